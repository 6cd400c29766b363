"""Speaking the demo scripts: espeak-ng reads each line in its speaker's voice, ffmpeg encodes the whole.

The lines are joined here (not by ffmpeg) so that the start of every line is known exactly; the command
prints them, which is what the chapter times in ``content.py`` are checked against.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from episodes.audioinfo import inspect_audio
from episodes.timecodes import format_timecode, parse_timecode

from . import content

AUDIO_DIR = Path(__file__).resolve().parent / "audio"
WORDS_PER_MINUTE = 160
PAUSE_SECONDS = 0.4  # between two lines
# Mono speech at 64 kbit/s, what Apple recommends for spoken word (the directory checks warn below 48):
# each file stays below 300 KB.
MP3_OPTIONS = ["-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k"]
# No encoder version or date in the file, so that the same ffmpeg makes the same bytes.
BITEXACT = ["-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact"]


class SynthesisError(RuntimeError):
    """The demo audio cannot be made; the message says what to install or fix."""


@dataclass(frozen=True)
class SpokenEpisode:
    path: Path
    duration_ms: int
    size: int
    line_starts_ms: tuple[int, ...]


def require(tool: str) -> str:
    found = shutil.which(tool)
    if not found:
        raise SynthesisError(
            f"{tool} is not installed, and the demo audio is spoken by espeak-ng and encoded by ffmpeg. "
            "Install both (Debian/Ubuntu: apt-get install espeak-ng ffmpeg; macOS: brew install "
            "espeak-ng ffmpeg) and run `make demo-audio` again."
        )
    return found


def chapter_problems(episode: content.DemoEpisode, duration_ms: int) -> list[str]:
    """What is wrong with the episode's chapter marks for audio of ``duration_ms``; empty when all fit."""
    problems = []
    starts = [parse_timecode(mark.start) for mark in episode.chapters]
    if starts and starts[0] != 0:
        problems.append(f"{episode.slug}: the first chapter should start at 0:00")
    if starts != sorted(starts):
        problems.append(f"{episode.slug}: chapters are not in time order")
    for mark, start in zip(episode.chapters, starts, strict=True):
        if start >= duration_ms:
            problems.append(
                f"{episode.slug}: chapter {mark.title!r} starts at {mark.start}, after the end of the "
                f"audio ({format_timecode(duration_ms, precision='auto')})"
            )
    return problems


def _run(command: list[str]) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603 (fixed tools)
    except subprocess.CalledProcessError as exc:
        raise SynthesisError(f"{Path(command[0]).name} failed: {exc.stderr.strip() or exc}") from exc


def _join(parts: list[Path], target: Path) -> tuple[int, ...]:
    """Concatenate WAV files with a pause between them; return where each part starts (ms)."""
    starts, offset = [], 0
    with wave.open(str(parts[0]), "rb") as first:
        params = first.getparams()
    silence = b"\0" * (round(params.framerate * PAUSE_SECONDS) * params.sampwidth * params.nchannels)
    with wave.open(str(target), "wb") as out:
        out.setparams(params)
        for index, part in enumerate(parts):
            with wave.open(str(part), "rb") as speech:
                if (speech.getframerate(), speech.getnchannels()) != (params.framerate, params.nchannels):
                    raise SynthesisError(f"espeak-ng wrote {part.name} in a different format")
                frames = speech.readframes(speech.getnframes())
            if index:
                out.writeframes(silence)
                offset += len(silence)
            starts.append(offset)
            out.writeframes(frames)
            offset += len(frames)
    bytes_per_ms = params.framerate * params.sampwidth * params.nchannels / 1000
    return tuple(round(start / bytes_per_ms) for start in starts)


def speak_episode(episode: content.DemoEpisode, folder: Path = AUDIO_DIR) -> SpokenEpisode:
    """Write ``folder/<slug>.mp3`` from the episode's script."""
    espeak, ffmpeg = require("espeak-ng"), require("ffmpeg")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / episode.audio_name
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        parts = []
        for index, line in enumerate(episode.script):
            part = tmp / f"{index:02d}.wav"
            voice = content.PEOPLE[line.speaker].voice
            _run([espeak, "-v", voice, "-s", str(WORDS_PER_MINUTE), "-w", str(part), line.text])
            parts.append(part)
        joined = tmp / "joined.wav"
        starts = _join(parts, joined)
        encoded = tmp / episode.audio_name
        tags = ["-metadata", f"title={episode.title}", "-metadata", f"artist={content.SHOW['title']}"]
        _run(
            [
                ffmpeg,
                "-loglevel",
                "error",
                "-y",
                "-i",
                str(joined),
                *MP3_OPTIONS,
                *BITEXACT,
                *tags,
                str(encoded),
            ]
        )
        shutil.move(encoded, target)
    size = target.stat().st_size
    with target.open("rb") as fh:
        info = inspect_audio(fh, size)
    return SpokenEpisode(target, info.duration_ms, size, starts)


def make_demo_audio(folder: Path = AUDIO_DIR, log: Callable[[str], None] = print) -> list[SpokenEpisode]:
    """Speak every demo episode; raise :class:`SynthesisError` if a chapter falls outside its audio."""
    require("espeak-ng"), require("ffmpeg")  # fail before writing anything
    spoken, problems = [], []
    for episode in content.EPISODES:
        result = speak_episode(episode, folder)
        spoken.append(result)
        starts = ", ".join(format_timecode(ms, precision="auto") for ms in result.line_starts_ms)
        length = format_timecode(result.duration_ms, precision="auto")
        log(f"{result.path.name}: {length}, {result.size // 1024} KB; lines start at {starts}")
        problems += chapter_problems(episode, result.duration_ms)
    if problems:
        raise SynthesisError("Fix the chapter times in demo/content.py: " + "; ".join(problems))
    return spoken
