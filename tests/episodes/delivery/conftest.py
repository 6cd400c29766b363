"""Masters for the delivery tests, made once per run: espeak-ng speech at a known loudness, stereo and
mono, in WAV, FLAC and MP3, and an MP3 that is podcast-ready already. Loudness and true peak are measured
with ffmpeg's ``ebur128`` filter, independently of the ``loudnorm`` filter the encoder uses."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.audio import require

TEXT = (
    "Coproduction means that the people who use a service and the people who provide it work together "
    "as equals, from the first idea to the last review."
)
STEREO_TARGET, MONO_TARGET, TRUE_PEAK = -16.0, -19.0, -1.0


@dataclass(frozen=True)
class Loudness:
    integrated: float
    true_peak: float


def loudness(path: Path) -> Loudness:
    """EBU R128 integrated loudness (LUFS) and true peak (dBTP) of a file, by ffmpeg's ebur128 filter."""
    log = subprocess.run(
        [require("ffmpeg"), "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128=peak=true"]
        + ["-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    summary = log[log.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))
    peak = float(re.search(r"Peak:\s+(-?[\d.inf]+) dBFS", summary).group(1))
    return Loudness(integrated, peak)


def decoded_seconds(path: Path) -> float:
    """How long the file lasts once decoded (as a player hears it: encoder delay and padding trimmed),
    counted in samples."""
    pcm = subprocess.run(
        [require("ffmpeg"), "-v", "error", "-i", str(path), "-ac", "1", "-ar", "44100", "-f", "s16le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return len(pcm) / 2 / 44100


def _ffmpeg(*arguments: str) -> None:
    subprocess.run([require("ffmpeg"), "-v", "error", "-y", *arguments], check=True)


def _at(
    source: Path, target: Path, lufs: float, channels: int, codec: list[str], ceiling: float | None = None
) -> Path:
    """``source`` made ``lufs`` loud (within 0.3 LU) by a gain, in ``channels`` channels at 44.1 kHz,
    encoded with ``codec``. Without a ``ceiling`` a too loud master clips, as real ones do; with one, a peak
    limiter holds the peaks under it. Clipping and limiting take some loudness away, so the gain is
    corrected and the file made again until it is on the mark."""
    gain = lufs - loudness(source).integrated
    for _ in range(8):
        limiter = f",alimiter=limit={ceiling}:level=false:attack=1:release=20" if ceiling else ""
        _ffmpeg(
            "-i", str(source), "-af", f"volume={gain:.2f}dB{limiter},aresample=44100",
            "-ac", str(channels), *codec, str(target),
        )  # fmt: skip
        error = lufs - loudness(target).integrated
        if abs(error) <= 0.3:
            return target
        gain += 1.5 * error  # clipping and limiting give back only part of each gain step
    raise AssertionError(f"could not make {target.name} {lufs} LUFS loud")


@pytest.fixture(scope="session")
def masters(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("delivery-masters")
    speech = folder / "speech.wav"
    subprocess.run([require("espeak-ng"), "-w", str(speech), TEXT], check=True)
    wav, flac = ["-c:a", "pcm_s16le"], ["-c:a", "flac"]
    mp3_320 = ["-c:a", "libmp3lame", "-b:a", "320k"]
    made = {
        "quiet_stereo_wav": _at(speech, folder / "quiet-stereo.wav", STEREO_TARGET - 18, 2, wav),
        "loud_stereo_flac": _at(speech, folder / "loud-stereo.flac", STEREO_TARGET + 10, 2, flac),
        "quiet_mono_flac": _at(speech, folder / "quiet-mono.flac", MONO_TARGET - 18, 1, flac),
        "loud_mono_wav": _at(speech, folder / "loud-mono.wav", MONO_TARGET + 10, 1, wav),
        "loud_stereo_mp3": _at(speech, folder / "loud-stereo.mp3", STEREO_TARGET + 10, 2, mp3_320),
    }
    # Podcast-ready: on the target, peaks well under the ceiling, 128 kbit/s CBR at 44.1 kHz.
    mp3_128 = ["-c:a", "libmp3lame", "-b:a", "128k"]
    made["ready_mp3"] = _at(speech, folder / "ready.mp3", STEREO_TARGET, 2, mp3_128, ceiling=0.7)
    vbr = ["-c:a", "libmp3lame", "-q:a", "4"]
    made["ready_vbr_mp3"] = _at(speech, folder / "ready-vbr.mp3", STEREO_TARGET, 2, vbr, ceiling=0.7)
    return made
