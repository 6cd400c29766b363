"""Speakers: how much speech goes to the right speaker, how fast, how much memory, and what the pipeline pays.

One run, figures as ratios or shares, each measured in this run:

1. Attribution: the share of speech attributed to the right speaker (optimal one-to-one label mapping,
   10 ms frames; ``transcripts.diarization.attribution``) on two synthetic espeak-ng voices taking turns
   (target: at least 0.95), and on each real meeting excerpt of ../shared/speech/ with its RTTM (aim: at
   least 0.8 on the two-person one, meeting_trn03), told the number of people and not told.
2. Speed: diarization alone on a 10-minute two-voice episode, as a real-time factor of wall time and of CPU
   time (target: at least 30x on 2 cores).
3. Peak memory (VmHWM) of a process diarizing a 60-minute episode against a 10-minute one (target: at most
   1.3x).
4. Throughput of the whole pipeline with speakers (``TRANSCRIPT_SPEAKERS=True``: transcription task,
   diarization, lines, storage, formats; bench/transcribe.py's pipeline child) against bare faster-whisper on
   the same 10-minute file (target: at least 0.8x).

Each timed or measured part runs in a fresh child process. The load average is printed at the start and
the end: on a shared machine, read wall times beside CPU times.

    .venv/bin/python bench/diarize.py [--short 10] [--long 60] [--threads 2] [--skip-pipeline]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from loadkit import peak_rss_mb  # noqa: E402 (after the path)

SPEECH = ROOT.parent / "shared" / "speech"
# Our own lines, two voices taking turns (tests/audio.py VOICES: a low British male, a high American female).
DIALOGUE = [
    ("A", "Welcome back to the programme. Today we ask how a clinic and its patients plan care as equals."),
    ("B", "Thank you for having me. I chaired a patient panel at our surgery for six years."),
    ("A", "What changed first when the panel started meeting?"),
    ("B", "The letters. We rewrote every appointment letter so that people knew what to bring."),
    ("A", "And did the staff welcome that, or was it a struggle?"),
    ("B", "Some were wary at first, but the complaints fell within a season, and that won them over."),
    ("A", "If a listener wants to start a panel, where should they begin?"),
    ("B", "Ask the practice manager for one evening a month, and invite people who complain the most."),
]


def child_diarize(audio: Path, threads: int, warm: Path | None) -> dict:
    import torch

    torch.set_num_threads(threads)
    from transcripts import diarization

    # As in a worker that has run one job: the encoder loaded, librosa's first-call set-up done.
    diarization.diarize(str(warm)) if warm else diarization.encoder()
    start, cpu = time.perf_counter(), _cpu()
    found = diarization.diarize(str(audio))
    return {
        "seconds": time.perf_counter() - start,
        "cpu_seconds": _cpu() - cpu,
        "labels": found.labels,
        "turns": len(found.turns),
        "peak_mb": peak_rss_mb(),
    }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_child(audio: Path, threads: int, warm: Path) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", "--audio", str(audio), "--threads", str(threads)]
        + ["--warm", str(warm)],
        check=True,
        capture_output=True,
        text=True,
        env=dict(os.environ, HF_HUB_OFFLINE="1"),
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def looped(clip: Path, minutes: float, folder: Path) -> Path:
    path = folder / f"dialogue-{minutes:g}min.mp3"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-stream_loop", "-1", "-i", str(clip), "-t", str(minutes * 60)]
        + ["-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k", str(path)],
        check=True,
    )
    return path


def attribution_figures(clip: Path, truth) -> list[tuple[str, str, float]]:
    from transcripts import diarization

    rows = []
    for hint in (2, None):
        found = diarization.diarize(str(clip), speakers=hint)
        rows.append(("two espeak-ng voices", _told(hint), diarization.attribution(truth, found)))
    if not SPEECH.is_dir():
        print(f"(no real recordings at {SPEECH}: meetings skipped)")
        return rows
    reference = diarization.read_rttm((SPEECH / "meetings.rttm").read_text())
    for name, turns in sorted(reference.items()):
        people = len({speaker for *_, speaker in turns})
        prints = diarization.voice_prints(str(SPEECH / f"{name}.wav"))
        for hint in (people, None):
            found = diarization.from_prints(prints, speakers=hint)
            label = f"{name} ({people} people in the RTTM)"
            rows.append(
                (label, _told(hint) + f", {len(found.labels)} found", diarization.attribution(turns, found))
            )
    return rows


def diarization_threads() -> int:
    from transcripts import diarization

    return diarization.THREADS


def _told(hint) -> str:
    return f"told {hint}" if hint else "estimated"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", type=float, default=10, help="minutes of the short episode")
    parser.add_argument("--long", type=float, default=60, help="minutes of the long episode")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-pipeline", action="store_true", help="leave out the pipeline throughput")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--audio", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--warm", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print("RESULT " + json.dumps(child_diarize(args.audio, args.threads, args.warm)))
        return

    from tests.audio import dialogue

    print(f"load average at the start: {os.getloadavg()}, {os.cpu_count()} cores, {args.threads} threads")
    with tempfile.TemporaryDirectory(prefix="bench-diarize-") as work:
        work = Path(work)
        clip = work / "dialogue.wav"
        truth = dialogue(clip, DIALOGUE)
        clip_seconds = truth[-1][1] / 1000

        print("\n1. Share of speech attributed to the right speaker (10 ms frames, optimal mapping)")
        for what, how, share in attribution_figures(clip, truth):
            print(f"   {what:<42} {how:<22} {share:.3f}")

        short, long = looped(clip, args.short, work), looped(clip, args.long, work)
        print(f"\n2. Speed: diarizing {args.short:g} minutes ({clip_seconds:.0f}-second dialogue looped)")
        fast = run_child(short, args.threads, clip)
        audio_seconds = args.short * 60
        print(
            f"   wall {fast['seconds']:.1f} s = {audio_seconds / fast['seconds']:.1f}x real time; "
            f"CPU {fast['cpu_seconds']:.1f} s = {audio_seconds / fast['cpu_seconds']:.1f}x real time per "
            f"CPU second (the encoder and BLAS on {diarization_threads()} thread); "
            f"{len(fast['labels'])} labels, {fast['turns']} turns"
        )

        print(f"\n3. Peak memory: {args.long:g} minutes against {args.short:g}")
        slow = run_child(long, args.threads, clip)
        print(
            f"   {slow['peak_mb']:.0f} MB against {fast['peak_mb']:.0f} MB = "
            f"{slow['peak_mb'] / fast['peak_mb']:.2f}x "
            f"(the {args.long:g}-minute run: wall {slow['seconds']:.0f} s, CPU {slow['cpu_seconds']:.0f} s, "
            f"{args.long * 60 / slow['seconds']:.1f}x real time)"
        )

        if not args.skip_pipeline:
            print(
                f"\n4. Throughput: the pipeline with speakers against bare faster-whisper, "
                f"{args.short:g} minutes"
            )
            import transcribe

            transcribe.migrate_template(work)
            os.environ["TRANSCRIPT_SPEAKERS"] = "True"  # the pipeline child runs the test settings
            bare = transcribe.child("bare", short, work, args.threads)
            pipeline = transcribe.child("pipeline", short, work, args.threads)
            print(
                f"   bare {bare['seconds']:.1f} s, pipeline with speakers {pipeline['seconds']:.1f} s: "
                f"{bare['seconds'] / pipeline['seconds']:.2f}x the throughput of bare faster-whisper"
            )
    print(f"\nload average at the end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
