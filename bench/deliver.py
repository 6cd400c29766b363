"""Audio delivery: our rendition task against bare ffmpeg, memory for long masters, the feed's queries.

One run, each figure beside a baseline measured in the same run (issue 14):

1. Wall time of our task (``episodes.delivery.preparing.run_delivery`` on a 60-minute stereo 44.1 kHz WAV
   master: probe, loudnorm's measuring pass, loudnorm and the MP3 encode, the timing check, the ID3 tags,
   hashing, storing, the progress heartbeat) against bare ffmpeg running the same two passes (the same
   filters and encoder options) on the same file. Target: at most 1.2x.
2. Peak memory of the worker, 60 vs 10 minutes: the worker process's own peak (VmHWM) plus the largest
   peak of the ffmpeg processes it ran (``getrusage(RUSAGE_CHILDREN)``, read in the worker). Target: at most
   1.2x. With ``--hours`` (default 3), also an hours-long mono FLAC master: it must be prepared, last as long
   as its master to 50 ms, and keep the same flat memory (at most 1.2x of the 10-minute run).
3. SQL queries to build a feed whose episodes have renditions (MP3, and M4A and Opus ones for alternate
   enclosures) against the same feed without any: unchanged, and the same for 10 and 100 episodes.

The masters are real speech: espeak-ng reads our script in two voices (left and right), looped to length
by ffmpeg in a temporary folder that is deleted afterwards. Each measurement of our task runs in a fresh
process (so its peak memory is its own) on a copy of a throwaway SQLite database migrated once; the
master is stored by a separate "upload" process first, as the admin would. Not part of the test suite;
exits 1 when a target fails. It takes about 25 minutes of CPU, nearly all of it ffmpeg's:

    .venv/bin/python bench/deliver.py [--short 10] [--long 60] [--hours 3] [--keep]   (make bench-deliver)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from loadkit import machine, peak_rss_mb, progress, tally, verdict  # noqa: E402 (after the path)
from transcribe import SCRIPT  # noqa: E402

MAX_TIME_RATIO = 1.2
MAX_MEMORY_RATIO = 1.2
TIMING_TOLERANCE_MS = 50
# The admin refuses uploads over AUDIO_MAX_UPLOAD_BYTES (300 MB by default); a 60-minute WAV is 635 MB.
UPLOAD_LIMIT = str(8 * 1024**3)


# Masters -------------------------------------------------------------------------------------------------


def run(*command) -> None:
    subprocess.run([str(part) for part in command], check=True)


def speech_clip(folder: Path) -> Path:
    """Our script read by two espeak-ng voices, one per channel, at 44.1 kHz."""
    text = " ".join(SCRIPT)
    left, right = folder / "left.wav", folder / "right.wav"
    run("espeak-ng", "-v", "en", "-w", left, text)
    run("espeak-ng", "-v", "en+f3", "-s", "160", "-w", right, text)
    clip = folder / "clip.wav"
    run(
        "ffmpeg", "-loglevel", "error", "-y", "-i", left, "-i", right, "-filter_complex",
        "[0:a][1:a]amerge=inputs=2,aresample=44100", "-ac", "2", "-c:a", "pcm_s16le", clip,
    )  # fmt: skip
    return clip


def looped(clip: Path, path: Path, minutes: float, *extra: str) -> Path:
    run(
        "ffmpeg",
        "-loglevel",
        "error",
        "-y",
        "-stream_loop",
        "-1",
        "-i",
        clip,
        "-t",
        minutes * 60,
        *extra,
        path,
    )
    return path


def warm(path: Path) -> None:
    """Read the file once, so that both contenders find it in the page cache."""
    with path.open("rb") as handle:
        while handle.read(8 * 1024 * 1024):
            pass


# Child processes -------------------------------------------------------------------------------------------


def django_setup(database: Path, media: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "website.settings.test"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["TEST_MEDIA_ROOT"] = str(media)
    os.environ["AUDIO_MAX_UPLOAD_BYTES"] = UPLOAD_LIMIT
    import django

    django.setup()


def quiet_uploads() -> None:
    """Neither transcription nor delivery starts on saving audio here: the tests' task backend would run
    them inline, in the wrong process."""
    from django.db.models.signals import post_save

    from episodes.models import AudioFile

    post_save.disconnect(sender=AudioFile, dispatch_uid="transcripts-audio-saved")
    post_save.disconnect(sender=AudioFile, dispatch_uid="episodes-audio-delivery")


def child_upload(master: Path) -> dict:
    """Store the master as an upload would, and queue its rendition without running it."""
    from episodes.delivery.preparing import request_delivery
    from episodes.uploads import create_audio_file

    quiet_uploads()
    audio = create_audio_file(master, title=master.stem)
    rendition = request_delivery(audio, enqueue=False)
    return {"rendition": rendition.pk, "duration_ms": audio.duration_ms}


def child_prepare(rendition_id: int) -> dict:
    """The worker: one delivery run, timed, with the peak memory of this process and of its ffmpeg."""
    from episodes.delivery.preparing import run_delivery

    start, cpu_start = time.perf_counter(), cpu_seconds()
    rendition = run_delivery(rendition_id)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "cpu": cpu_seconds() - cpu_start,
        "status": rendition.status,
        "error": rendition.error,
        "duration_ms": rendition.duration_ms,
        "master_ms": rendition.audio.duration_ms,
        "loudness": [rendition.loudness_before, rendition.loudness_after],
        "self_mb": peak_rss_mb(),
        "ffmpeg_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def child_feed(work: Path) -> dict:
    """Feed queries with and without renditions, for 10 and 100 episodes, each with audio of its own."""
    import secrets

    from feedkit import count_queries, create_show
    from loadkit import make_tone
    from wagtail.models import Site

    from episodes.factories import AudioFileFactory, PersonFactory
    from episodes.models import AudioFile, AudioRendition, EpisodePage

    quiet_uploads()
    home = Site.objects.get(is_default_site=True).root_page.specific
    work.mkdir(parents=True, exist_ok=True)
    tone = AudioFileFactory(path=make_tone(work / "tone.mp3", 3), title="Tone")
    people = [PersonFactory(name=f"Person {n}") for n in range(5)]
    counts = {}
    for count in (10, 100):
        show = create_show(home, f"bench-{count}", count, tone, people)
        for episode in EpisodePage.objects.child_of(show):
            audio = AudioFile.objects.get(pk=tone.pk)
            audio.pk, audio.sha256 = None, secrets.token_hex(32)
            audio.save()
            EpisodePage.objects.filter(pk=episode.pk).update(audio=audio)
        queries, items = count_queries(show)
        counts[f"{count} without"] = [len(queries), items]
        audio_ids = EpisodePage.objects.child_of(show).values_list("audio_id", flat=True)
        AudioRendition.objects.bulk_create(
            AudioRendition(
                audio=audio, format=fmt, status=AudioRendition.DONE, master_sha256=audio.sha256,
                sha256=secrets.token_hex(32), size=48_000, duration_ms=3000, bitrate=128_000,
                file=f"audio/renditions/bench-{audio.pk}.{fmt}",
            )
            for audio in AudioFile.objects.filter(pk__in=audio_ids)
            for fmt in (AudioRendition.MP3, AudioRendition.M4A, AudioRendition.OPUS)
        )  # fmt: skip
        queries, items = count_queries(show)
        counts[f"{count} with"] = [len(queries), items]
    return counts


def cpu_seconds() -> float:
    """CPU time of this process and of the processes it ran and waited for (ffmpeg)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def child_main(args) -> None:
    django_setup(args.database, args.media)
    if args.child == "upload":
        result = child_upload(args.audio)
    elif args.child == "prepare":
        result = child_prepare(args.rendition)
    else:
        result = child_feed(args.media)
    print("RESULT " + json.dumps(result))


def child(kind: str, work: Path, name: str, *arguments: str) -> dict:
    database = work / f"{name}.sqlite3"
    if not database.exists():
        shutil.copy(work / "template.sqlite3", database)
    command = [sys.executable, __file__, "--child", kind, "--database", database, "--media", work / name]
    done = subprocess.run([str(part) for part in [*command, *arguments]], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"the {kind} process failed:\n{done.stderr[-3000:]}")
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def ours(work: Path, master: Path) -> dict:
    """Upload ``master`` in one process, prepare it in another."""
    queued = child("upload", work, master.stem, "--audio", str(master))
    return child("prepare", work, master.stem, "--rendition", str(queued["rendition"]))


def migrate_template(work: Path) -> None:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="website.settings.test")
    env["DATABASE_URL"] = f"sqlite:///{work / 'template.sqlite3'}"
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--no-input", "-v", "0"], check=True, env=env
    )


# The baseline ---------------------------------------------------------------------------------------------


def bare(master: Path, output: Path) -> dict:
    """The two ffmpeg passes our encoder runs, typed out here and run bare: loudnorm measuring, then
    loudnorm with the measured values (linear), resampled to 44.1 kHz, 128 kbit/s CBR MP3."""
    target = "loudnorm=I=-16.0:TP=-1.0:LRA=11"
    start = time.perf_counter()
    log, peak_1, cpu_1 = _ffmpeg("-i", master, "-af", f"{target}:print_format=json", "-f", "null", "-")
    measured = json.loads(log[log.rindex("{") : log.rindex("}") + 1])
    filters = (
        f"{target}:measured_I={measured['input_i']}:measured_TP={measured['input_tp']}"
        f":measured_LRA={measured['input_lra']}:measured_thresh={measured['input_thresh']}"
        f":offset={measured['target_offset']}:linear=true:print_format=json,aresample=44100"
    )
    _log, peak_2, cpu_2 = _ffmpeg(
        "-i", master, "-af", filters, "-c:a", "libmp3lame", "-b:a", "128000", "-ar", "44100", "-ac", "2",
        "-f", "mp3", output,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "cpu": cpu_1 + cpu_2, "ffmpeg_mb": max(peak_1, peak_2)}


def _ffmpeg(*arguments) -> tuple[str, float, float]:
    """Run ffmpeg; its log, peak memory (MB) and CPU time (s), from wait4's resource usage of that one
    process."""
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            ["ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-y", *map(str, arguments)], stderr=log
        )
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        text = log.read()
    if process.returncode != 0:
        sys.exit(f"bare ffmpeg failed:\n{text[-2000:]}")
    return text, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


# The run ------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", type=float, default=10, help="minutes of the short master")
    parser.add_argument(
        "--long", type=float, default=60, help="minutes of the long master (0: no comparison with ffmpeg)"
    )
    parser.add_argument("--hours", type=float, default=3, help="hours of the hours-long master (0: none)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--child", choices=["upload", "prepare", "feed"], help=argparse.SUPPRESS)
    parser.add_argument("--audio", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rendition", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--database", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--media", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return 0
    for tool in ("ffmpeg", "espeak-ng"):
        if not shutil.which(tool):
            print(f"error: {tool} is not installed; on Debian: apt-get install -y {tool}", file=sys.stderr)
            return 2

    load_at_start = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="bench-deliver-"))
    baseline = ours_long = hours = None
    try:
        progress(f"Making the masters (espeak-ng speech, ffmpeg) and a database in {work}")
        clip = speech_clip(work)
        wav = ["-ac", "2", "-ar", "44100", "-c:a", "pcm_s16le"]
        short = looped(clip, work / "short.wav", args.short, *wav)
        migrate_template(work)
        if args.long > 0:
            long = looped(clip, work / "long.wav", args.long, *wav)
            warm(long)
            progress(f"Bare ffmpeg, two passes on {args.long:g} minutes")
            baseline = bare(long, work / "bare.mp3")
            shown("bare ffmpeg", baseline)
            progress(f"Our task on {args.long:g} minutes")
            ours_long = shown("ours", ours(work, long))
            long.unlink()  # room on the disk
        progress(f"Our task on {args.short:g} minutes")
        ours_short = shown("ours", ours(work, short))
        if args.hours > 0:
            progress(f"Our task on {args.hours:g} hours (mono FLAC, 22.05 kHz)")
            flac = looped(
                clip, work / "hours.flac", args.hours * 60, "-ac", "1", "-ar", "22050", "-c:a", "flac"
            )
            hours = shown("ours", ours(work, flac))
        progress("Feed queries with and without renditions")
        feed = child("feed", work, "feed")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return report(args, baseline, ours_long, ours_short, hours, feed, load_at_start)


def shown(label: str, figures: dict) -> dict:
    """Print a measurement as soon as it is made (a long run may be stopped before its report)."""
    print(f"      {label}: " + json.dumps(figures), flush=True)
    return figures


def worker_mb(figures: dict) -> float:
    return figures["self_mb"] + figures["ffmpeg_mb"]


def report(args, baseline, ours_long, ours_short, hours, feed, load_at_start) -> int:
    results = []
    print()
    for label, figures in (("long", ours_long), ("short", ours_short), ("hours-long", hours)):
        if figures is not None and figures["status"] != "done":
            print(f"FAIL  our task on the {label} master did not finish: {figures['error']}")
            results.append(False)
    if ours_long is not None:
        ratio = ours_long["seconds"] / baseline["seconds"]
        print(
            f"wall time, {args.long:g} min: ours {ours_long['seconds']:.1f} s, "
            f"bare {baseline['seconds']:.1f} s"
        )
        print(f"  {verdict(ratio <= MAX_TIME_RATIO)}  ratio {ratio:.3f}x (target at most {MAX_TIME_RATIO}x)")
        results.append(ratio <= MAX_TIME_RATIO)
        cpu = ours_long["cpu"] / baseline["cpu"]
        print(
            f"  CPU time: ours {ours_long['cpu']:.1f} s, bare {baseline['cpu']:.1f} s: {cpu:.3f}x (reported)"
        )

    for label, figures in ((f"{args.short:g} min", ours_short), (f"{args.long:g} min", ours_long)):
        if figures is not None:
            print(
                f"peak memory, {label}: worker {figures['self_mb']:.0f} MB + ffmpeg "
                f"{figures['ffmpeg_mb']:.0f} MB = {worker_mb(figures):.0f} MB"
            )
    if ours_long is not None:
        print(f"  (bare ffmpeg's own peak on {args.long:g} min: {baseline['ffmpeg_mb']:.0f} MB)")
        ratio = worker_mb(ours_long) / worker_mb(ours_short)
        print(
            f"  {verdict(ratio <= MAX_MEMORY_RATIO)}  ratio {args.long:g} / {args.short:g} min: {ratio:.3f}x"
        )
        results.append(ratio <= MAX_MEMORY_RATIO)

    if hours is not None:
        ok = (
            hours["status"] == "done"
            and abs(hours["duration_ms"] - hours["master_ms"]) <= TIMING_TOLERANCE_MS
        )
        ratio = worker_mb(hours) / worker_mb(ours_short)
        print(
            f"{args.hours:g}-hour master: {hours['status']} in {hours['seconds']:.0f} s "
            f"({hours['cpu']:.0f} s CPU), lasts {hours['duration_ms']} ms vs the master's "
            f"{hours['master_ms']} ms; peak memory {hours['self_mb']:.0f} + {hours['ffmpeg_mb']:.0f} MB"
        )
        print(f"  {verdict(ok)}  prepared, same duration to {TIMING_TOLERANCE_MS} ms")
        flat = ratio <= MAX_MEMORY_RATIO
        print(f"  {verdict(flat)}  memory ratio {args.hours:g} h / {args.short:g} min: {ratio:.3f}x")
        results += [ok, flat]

    print("feed queries (queries, items): " + ", ".join(f"{k} renditions {v}" for k, v in feed.items()))
    same = len({queries for queries, _items in feed.values()}) == 1
    print(f"  {verdict(same)}  the same with and without renditions, for 10 and 100 episodes")
    results.append(same)
    print(machine(load_at_start))
    return tally(results)


if __name__ == "__main__":
    sys.exit(main())
