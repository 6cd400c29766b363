"""The extra delivery formats on real audio, with real ffmpeg: AAC in M4A and Opus in Ogg, loudness to the
podcast norm (measured independently, by ffmpeg's ebur128 filter), timing kept through AAC's priming and
Opus's pre-skip, and the master's loudness measurement reused rather than made again."""

from __future__ import annotations

import json
import subprocess

import mutagen
import pytest
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus

from episodes.delivery.encode import Measurement, Targets, encode
from episodes.delivery.formats import M4A, MP3, OPUS
from tests.audio import require

from .conftest import MONO_TARGET, STEREO_TARGET, TRUE_PEAK, decoded_seconds, loudness

# As for the MP3 (test_encode.py): the measured true peak of a lossy file's decoded signal can sit a little
# over the ceiling the encoder aimed at; Opus's decoder overshoots a little more than LAME's.
PEAK_TOLERANCE = 1.0


def ms(path) -> int:
    return round(decoded_seconds(path) * 1000)


def stream(path) -> dict:
    """ffprobe's view of the first audio stream (mutagen reads an MP4's channel count from the sample
    entry, which ffmpeg writes as 2 even for mono)."""
    out = subprocess.run(
        [require("ffprobe"), "-v", "error", "-select_streams", "a:0", "-show_entries", "stream"]
        + ["-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out)["streams"][0]


@pytest.mark.parametrize(
    ("name", "spec", "channels", "target", "bitrate", "kind", "rate"),
    [
        ("quiet_stereo_wav", M4A, 2, STEREO_TARGET, 96_000, MP4, 44100),
        ("loud_mono_wav", M4A, 1, MONO_TARGET, 48_000, MP4, 44100),
        ("quiet_stereo_wav", OPUS, 2, STEREO_TARGET, 48_000, OggOpus, 48000),
        ("loud_stereo_flac", OPUS, 2, STEREO_TARGET, 48_000, OggOpus, 48000),
        ("quiet_mono_flac", OPUS, 1, MONO_TARGET, 24_000, OggOpus, 48000),
    ],
)
def test_extra_formats_are_normalised_and_keep_the_timing(
    masters, tmp_path, name, spec, channels, target, bitrate, kind, rate
):
    master = masters[name]
    assert abs(loudness(master).integrated - target) >= 9.5  # the master really is off target
    output = tmp_path / f"rendition.{spec.format}"

    result = encode(master, output, duration_ms=ms(master), spec=spec)

    after = loudness(output)
    assert abs(after.integrated - target) <= 1.0, after
    assert after.true_peak <= TRUE_PEAK + PEAK_TOLERANCE, after
    # AAC's encoder delay and Opus's pre-skip are trimmed by the player: every ?t= still lands on its word.
    assert abs(decoded_seconds(output) - decoded_seconds(master)) <= 0.05
    assert abs(result.duration_ms - ms(master)) <= 50
    assert isinstance(mutagen.File(output), kind)
    probed = stream(output)
    assert probed["codec_name"] == ("aac" if spec is M4A else "opus")
    assert (probed["channels"], result.channels) == (channels, channels)
    assert (int(probed["sample_rate"]), result.sample_rate) == (rate, rate)
    assert result.bitrate == bitrate and not result.copied
    # The real average bitrate is near the target (Opus is VBR; AAC's is set per frame).
    actual = output.stat().st_size * 8 / (result.duration_ms / 1000)
    assert 0.5 * bitrate <= actual <= 1.5 * bitrate, actual


def test_a_kept_measurement_is_used_instead_of_measuring_again(masters, tmp_path):
    """The MP3's pass 1 goes with it (Result.measurement); the M4A given it does not measure the master
    again. Shown by handing it a measurement 6 LU louder than the truth: the result comes out 6 LU under
    the target, which it could not if it had measured for itself."""
    master = masters["quiet_stereo_wav"]
    mp3 = encode(master, tmp_path / "r.mp3", duration_ms=ms(master), spec=MP3)
    kept = mp3.measurement
    assert kept["master_ms"] == pytest.approx(ms(master), abs=50)

    honest = encode(master, tmp_path / "honest.m4a", duration_ms=ms(master), spec=M4A, measured=kept)
    assert abs(loudness(tmp_path / "honest.m4a").integrated - STEREO_TARGET) <= 1.0
    assert honest.before == Measurement.from_json(kept, Targets.for_channels(2))[0]

    lying = dict(kept, integrated=kept["integrated"] + 6, threshold=kept["threshold"] + 6)
    encode(master, tmp_path / "lying.m4a", duration_ms=ms(master), spec=M4A, measured=lying)
    assert loudness(tmp_path / "lying.m4a").integrated == pytest.approx(STEREO_TARGET - 6, abs=1.0)


def test_a_measurement_for_other_targets_is_not_reused(masters, tmp_path, settings):
    master = masters["quiet_stereo_wav"]
    kept = encode(master, tmp_path / "r.mp3", duration_ms=ms(master)).measurement
    settings.DELIVERY_LOUDNESS_STEREO = -18.0  # the operators changed the target since

    encode(master, tmp_path / "r.opus", duration_ms=ms(master), spec=OPUS, measured=kept)

    assert abs(loudness(tmp_path / "r.opus").integrated - -18.0) <= 1.0
    assert Measurement.from_json(kept, Targets.for_channels(2)) is None
    assert Measurement.from_json({"targets": [-18.0, -1.0]}, Targets.for_channels(2)) is None  # not whole


def test_a_podcast_ready_aac_master_is_copied_into_the_m4a(masters, tmp_path):
    """An AAC master on the target is not encoded a second time (a generation of loss for nothing)."""
    ready = tmp_path / "ready.m4a"  # the ready MP3's sound (on the target, peaks limited) as AAC
    subprocess.run(
        [require("ffmpeg"), "-v", "error", "-i", str(masters["ready_mp3"]), "-c:a", "aac", "-b:a", "96k"]
        + ["-ar", "44100", str(ready)],
        check=True,
    )
    output = tmp_path / "rendition.m4a"

    result = encode(ready, output, duration_ms=ms(ready), spec=M4A)

    assert result.copied
    assert abs(decoded_seconds(output) - decoded_seconds(ready)) <= 0.05
    # ... but the MP3 of the same master is made: an AAC stream cannot go into an MP3 file.
    assert not encode(ready, tmp_path / "r.mp3", duration_ms=ms(ready)).copied
