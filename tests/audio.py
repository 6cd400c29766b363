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
