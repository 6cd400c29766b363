"""Real audio for tests, made with ffmpeg (tones of exact length) and espeak-ng (speech)."""

import shutil
import subprocess
from pathlib import Path

# ffmpeg output options per container: small, mono, quick to encode.
ENCODINGS = {
    "mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
    "m4a": ["-c:a", "aac", "-b:a", "64k"],
    "aac": ["-c:a", "aac", "-b:a", "64k", "-f", "adts"],
    "opus": ["-c:a", "libopus", "-b:a", "32k"],
    "ogg": ["-c:a", "libvorbis", "-q:a", "2"],
    "flac": ["-c:a", "flac"],
    "wav": ["-c:a", "pcm_s16le"],
}


def require(tool: str) -> str:
    found = shutil.which(tool)
    if not found:
        raise RuntimeError(f"{tool} is not installed; `.ci/run` installs it (apt-get install {tool})")
    return found


def tone(path: Path, seconds: float, *, rate: int = 44100, channels: int = 1) -> Path:
    """A sine tone of exactly ``seconds``, encoded by the extension of ``path``."""
    fmt = path.suffix.lstrip(".")
    subprocess.run(
        [require("ffmpeg"), "-loglevel", "error", "-y", "-f", "lavfi"]
        + ["-i", f"sine=frequency=440:sample_rate={rate}:duration={seconds}"]
        + ["-ac", str(channels)]
        + ENCODINGS[fmt]
        + [str(path)],
        check=True,
    )
    return path


def speech(path: Path, text: str) -> Path:
    """``text`` spoken by espeak-ng, encoded by the extension of ``path``."""
    wav = path.with_suffix(".speech.wav")
    subprocess.run([require("espeak-ng"), "-w", str(wav), text], check=True)
    fmt = path.suffix.lstrip(".")
    subprocess.run(
        [require("ffmpeg"), "-loglevel", "error", "-y", "-i", str(wav), "-ac", "1"]
        + ENCODINGS[fmt]
        + [str(path)],
        check=True,
    )
    wav.unlink()
    return path


# Two espeak-ng voices far apart: a low British male and a high American female (voice variant and pitch).
VOICES = {"A": ["-v", "en-gb+m3", "-p", "35", "-s", "160"], "B": ["-v", "en-us+f4", "-p", "75", "-s", "170"]}


# Eight espeak-ng voices (variant, pitch, speed), for a panel of many speakers.
PANEL = {
    f"V{n}": ["-v", variant, "-p", str(pitch), "-s", str(speed)]
    for n, (variant, pitch, speed) in enumerate(
        [
            ("en-gb+m3", 30, 150),
            ("en-us+f4", 80, 170),
            ("en-gb+f2", 55, 160),
            ("en-us+m7", 45, 175),
            ("en-gb+m1", 60, 140),
            ("en-us+f1", 95, 155),
            ("en-gb+croak", 40, 165),
            ("en-us+whisper", 50, 150),
        ],
        start=1,
    )
}


def dialogue(
    path: Path,
    turns: list[tuple[str, str]],
    *,
    gap_seconds: float = 0.6,
    voices: dict[str, list[str]] | None = None,
) -> list[tuple[int, int, str]]:
    """``turns`` of (voice, text), voices from ``voices`` (``VOICES`` by default), spoken one after another
    with ``gap_seconds`` of silence between them, as 16 kHz mono audio encoded by the extension of ``path``.
    Returns who spoke when: ``(start_ms, end_ms, voice)`` per turn, measured from the synthesised parts."""
    import wave

    parts, truth, at = [], [], 0
    gap = b"\0\0" * int(16000 * gap_seconds)
    for n, (voice, text) in enumerate(turns):
        raw = path.with_suffix(f".turn{n}.wav")
        subprocess.run([require("espeak-ng"), *(voices or VOICES)[voice], "-w", str(raw), text], check=True)
        pcm = subprocess.run(
            [require("ffmpeg"), "-loglevel", "error", "-i", str(raw), "-ar", "16000", "-ac", "1"]
            + ["-f", "s16le", "-"],
            check=True,
            capture_output=True,
        ).stdout
        raw.unlink()
        length = len(pcm) // 32  # ms
        truth.append((at, at + length, voice))
        parts += [pcm, gap]
        at += length + round(gap_seconds * 1000)
    joined = path.with_suffix(".dialogue.wav")
    with wave.open(str(joined), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(b"".join(parts[:-1]))
    fmt = path.suffix.lstrip(".")
    if fmt == "wav":
        joined.replace(path)
    else:
        subprocess.run(
            [require("ffmpeg"), "-loglevel", "error", "-y", "-i", str(joined)] + ENCODINGS[fmt] + [str(path)],
            check=True,
        )
        joined.unlink()
    return truth
