"""The player's waveform peaks: computed by the same ffmpeg run that measures the master's loudness, from
real espeak-ng speech with a known two-second silence in the middle, and the streaming reduction itself."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from episodes.delivery.encode import EncodeError, encode
from episodes.delivery.waveform import SAMPLE_RATE, Peaks
from tests.audio import require

from .conftest import decoded_seconds

GAP_SECONDS = 2.0


@pytest.fixture(scope="session")
def gapped(tmp_path_factory) -> tuple[Path, float]:
    """Speech, two seconds of digital silence, the same speech again (a WAV of about 4.5 s), and how long
    the first speech lasts (where the gap starts)."""
    folder = tmp_path_factory.mktemp("waveform")
    speech = folder / "speech.wav"
    subprocess.run([require("espeak-ng"), "-w", str(speech), "Deciding together."], check=True)
    master = folder / "gapped.wav"
    subprocess.run(
        [require("ffmpeg"), "-v", "error", "-y", "-i", str(speech), "-filter_complex",
         f"[0:a]asplit[a][b];[a]apad=pad_dur={GAP_SECONDS}[p];[p][b]concat=n=2:v=0:a=1",
         "-ac", "2", "-c:a", "pcm_s16le", str(master)],
        check=True,
    )  # fmt: skip
    return master, decoded_seconds(speech)


def magnitudes(document: dict) -> list[int]:
    """Each pixel's loudest sample, 0 to 128."""
    data = document["data"]
    return [max(abs(low), abs(high)) for low, high in zip(data[::2], data[1::2], strict=True)]


def test_peaks_are_low_in_the_silence_and_high_in_the_speech(gapped, tmp_path, settings):
    settings.DELIVERY_WAVEFORM_POINTS = 300
    master, speech_seconds = gapped
    total = decoded_seconds(master)

    result = encode(master, tmp_path / "rendition.mp3", duration_ms=round(total * 1000))

    document = json.loads(result.waveform)
    assert {key: document[key] for key in ("version", "channels", "sample_rate", "bits")} == {
        "version": 2,
        "channels": 1,
        "sample_rate": SAMPLE_RATE,
        "bits": 8,
    }
    assert 295 <= document["length"] <= 300  # as configured (the pixel is a whole number of samples)
    assert len(document["data"]) == 2 * document["length"]
    assert all(-128 <= value <= 127 for value in document["data"])
    seconds_per_pixel = document["samples_per_pixel"] / document["sample_rate"]
    assert document["length"] * seconds_per_pixel == pytest.approx(total, abs=2 * seconds_per_pixel)

    peaks = magnitudes(document)

    def pixels(start: float, end: float) -> list[int]:
        return peaks[int(start / seconds_per_pixel) : int(end / seconds_per_pixel)]

    # A margin each side: espeak fades out, and the resampler rings a little at the edges.
    gap = pixels(speech_seconds + 0.2, speech_seconds + GAP_SECONDS - 0.2)
    first, second = pixels(0, speech_seconds), pixels(speech_seconds + GAP_SECONDS, total)
    assert len(gap) > 100 and max(gap) <= 2, gap
    assert max(first + second) == 127  # scaled: the loudest moment reaches the top
    for speech in (first, second):
        assert sorted(speech)[len(speech) // 2] >= 10  # the median pixel of speech is clearly above silence
        assert max(speech) >= 100


def test_a_copied_master_gets_its_waveform_from_the_measuring_pass(masters, tmp_path):
    """A podcast-ready MP3 is not encoded again, but pass 1 decodes it all the same: it has a waveform."""
    master = masters["ready_mp3"]
    result = encode(master, tmp_path / "rendition.mp3", duration_ms=round(decoded_seconds(master) * 1000))

    assert result.copied
    document = json.loads(result.waveform)
    assert document["length"] > 900 and max(magnitudes(document)) == 127


def test_a_master_ffmpeg_cannot_decode_fails_without_leaving_the_reader_waiting(tmp_path):
    master = tmp_path / "broken.wav"
    master.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(200))

    with pytest.raises(EncodeError):
        encode(master, tmp_path / "rendition.mp3", duration_ms=1000)


def reference(samples: np.ndarray, per_pixel: int) -> tuple[list[int], list[int]]:
    pixels = [samples[i : i + per_pixel] for i in range(0, len(samples), per_pixel)]
    return [int(p.min()) for p in pixels], [int(p.max()) for p in pixels]


@pytest.mark.parametrize("chunk", [1, 7, 80, 4096])
def test_the_reduction_does_not_depend_on_how_the_pipe_splits_the_samples(chunk):
    samples = np.random.default_rng(14).integers(-32768, 32767, size=8000, dtype=np.int16)
    peaks = Peaks.for_duration(1000, limit=100)  # 8000 samples expected: 80 a pixel

    for start in range(0, len(samples), chunk):
        peaks.feed(samples[start : start + chunk])

    assert peaks.samples_per_pixel == 80
    assert (peaks.mins, peaks.maxs) == reference(samples, 80)


def test_audio_longer_than_its_duration_said_still_fits_in_the_configured_points():
    """An hour of audio whose duration read as a minute: pixels are merged as it comes, so the peaks never
    hold more than the limit (memory stays flat), and they are still exact for their wider pixels."""
    samples = np.random.default_rng(7).integers(-32768, 32767, size=60 * 60 * 800, dtype=np.int16)
    peaks = Peaks.for_duration(60 * 100, limit=1000)  # says 6 s at 8 kHz (48,000 samples)
    before = peaks.samples_per_pixel

    for start in range(0, len(samples), 32768):
        peaks.feed(samples[start : start + 32768])
        assert len(peaks.mins) <= 1000

    assert peaks.samples_per_pixel > before
    assert 500 < len(peaks.mins) <= 1000
    assert (peaks.mins, peaks.maxs) == reference(samples, peaks.samples_per_pixel)


def test_silence_is_a_flat_waveform_not_an_error():
    peaks = Peaks.for_duration(1000, limit=10)
    peaks.feed(np.zeros(8000, dtype=np.int16))

    document = json.loads(peaks.as_json())
    assert document["length"] == 10 and set(document["data"]) == {0}
