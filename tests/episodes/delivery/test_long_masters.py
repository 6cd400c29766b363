"""Hours-long masters (issue 14, bad input): durations and ffmpeg's progress past the first hour, and a
whole delivery of a three-hour master with flat memory.

The first tests use a three-hour 8 kHz tone WAV that ffmpeg writes in about a second, so they run in the
default suite. Preparing a three-hour master takes minutes (loudnorm measures at 192 kHz, twice), so that
test is marked ``slow``: the default run leaves it out, ``pytest -m slow`` runs it, and bench/deliver.py
prepares an hours-long master on every run.
"""

from __future__ import annotations

import json
import resource
import subprocess
import tracemalloc
from pathlib import Path

import pytest

from episodes.audioinfo import inspect_audio
from episodes.delivery.encode import TIMING_TOLERANCE_MS, _input, _run, decoded_duration_ms, probe
from episodes.delivery.preparing import request_delivery, run_delivery
from episodes.factories import AudioFileFactory
from episodes.models import AudioRendition
from tests.audio import require

from .conftest import MONO_TARGET, TEXT

HOURS = 3
THREE_HOURS_MS = HOURS * 3600 * 1000


def ffprobe_ms(path: Path) -> int:
    """The container's duration as ffprobe states it, independently of our parsing of ffmpeg's progress."""
    out = subprocess.run(
        [require("ffprobe"), "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return round(float(json.loads(out)["format"]["duration"]) * 1000)


@pytest.fixture(scope="session")
def three_hour_tone(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("long") / "three-hours.wav"
    subprocess.run(
        [require("ffmpeg"), "-v", "error", "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=8000:"
         f"duration={HOURS * 3600}", "-ac", "1", "-c:a", "pcm_u8", str(path)],
        check=True,
    )  # fmt: skip
    return path


def test_the_upload_check_reads_hours_long_durations(three_hour_tone):
    with three_hour_tone.open("rb") as handle:
        info = inspect_audio(handle)
    assert info.duration_ms == ffprobe_ms(three_hour_tone) == THREE_HOURS_MS


def test_ffmpeg_progress_is_read_past_the_first_hour(three_hour_tone):
    """ffmpeg reports progress as ``out_time=03:00:00.000000`` and ``out_time_us``: the encoder reads the
    latter, so an hour or more must not wrap, truncate or stop the fractions short of 1."""
    seen: list[float] = []
    source = probe(three_hour_tone)
    _log, decoded_ms = _run([*_input(three_hour_tone), "-f", "null", "-"], THREE_HOURS_MS, seen.append)

    assert (source.codec, source.sample_rate, source.channels) == ("pcm_u8", 8000, 1)
    assert decoded_ms == ffprobe_ms(three_hour_tone) == THREE_HOURS_MS
    assert decoded_duration_ms(three_hour_tone) == THREE_HOURS_MS
    assert seen and seen == sorted(seen) and seen[-1] == 1.0


@pytest.fixture(scope="session")
def three_hour_speech(tmp_path_factory) -> Path:
    """Three hours of espeak-ng speech, mono 16 kHz FLAC (about 170 MB, under the upload limit)."""
    folder = tmp_path_factory.mktemp("long-speech")
    clip = folder / "clip.wav"
    subprocess.run([require("espeak-ng"), "-w", str(clip), TEXT], check=True)
    path = folder / "three-hours.flac"
    subprocess.run(
        [require("ffmpeg"), "-v", "error", "-stream_loop", "-1", "-i", str(clip), "-t", str(HOURS * 3600),
         "-ac", "1", "-ar", "16000", "-c:a", "flac", str(path)],
        check=True,
    )  # fmt: skip
    return path


@pytest.mark.slow
@pytest.mark.django_db
def test_a_three_hour_master_is_prepared_with_flat_memory(three_hour_speech):
    audio = AudioFileFactory(path=three_hour_speech, title="Three hours")
    assert audio.duration_ms == THREE_HOURS_MS

    tracemalloc.start()
    try:
        rendition = run_delivery(request_delivery(audio, enqueue=False).pk)
        _current, python_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert rendition.status == AudioRendition.DONE, rendition.error
    assert abs(rendition.duration_ms - audio.duration_ms) <= TIMING_TOLERANCE_MS
    assert (rendition.channels, rendition.bitrate) == (1, 64_000)
    assert abs(rendition.loudness_after - MONO_TARGET) <= 1
    # Three hours of mono audio is 950 MB as 16-bit samples at 44.1 kHz and 8 GB as loudnorm's 192 kHz
    # floats: the worker holds none of it (tags, hashing and storing go in chunks) ...
    assert python_peak < 32 * 1024 * 1024, python_peak
    # ... and neither does ffmpeg. RUSAGE_CHILDREN is the largest child this test process ever waited for;
    # ffmpeg streaming takes about 150 MB.
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 600 * 1024
