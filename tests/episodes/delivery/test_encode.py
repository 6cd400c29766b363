"""The encoder on real audio, with real ffmpeg: loudness to the podcast norm, timing kept, a podcast-ready
MP3 copied rather than encoded again. Results are measured independently (ffmpeg's ebur128 filter)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import mutagen
import pytest
from mutagen.mp3 import BitrateMode

from episodes.delivery.encode import EncodeError, encode
from tests.audio import require

from .conftest import MONO_TARGET, STEREO_TARGET, TRUE_PEAK, decoded_seconds, loudness

# ebur128 and loudnorm measure the true peak on different oversampled signals, and an MP3 decoder's
# reconstruction overshoots the encoder's input a little: on clips of a few seconds the measured true peak
# of the result can sit up to about 0.5 dB over the ceiling the encoder aimed at.
PEAK_TOLERANCE = 0.5


def audio_md5(path: Path) -> str:
    """A hash of the file's compressed audio frames (no tags), as ffmpeg demuxes them."""
    return subprocess.run(
        [require("ffmpeg"), "-v", "error", "-i", str(path), "-map", "0:a", "-c", "copy", "-f", "md5", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.mark.parametrize(
    ("name", "channels", "target", "bitrate"),
    [
        ("quiet_stereo_wav", 2, STEREO_TARGET, 128_000),
        ("loud_stereo_flac", 2, STEREO_TARGET, 128_000),
        ("quiet_mono_flac", 1, MONO_TARGET, 64_000),
        ("loud_mono_wav", 1, MONO_TARGET, 64_000),
        ("loud_stereo_mp3", 2, STEREO_TARGET, 128_000),
    ],
)
def test_masters_are_normalised_to_the_podcast_norm(masters, tmp_path, name, channels, target, bitrate):
    master = masters[name]
    before = loudness(master)
    assert abs(before.integrated - target) >= 9.5  # the master really is off target
    output = tmp_path / "rendition.mp3"

    result = encode(master, output, duration_ms=round(decoded_seconds(master) * 1000))

    after = loudness(output)
    assert abs(after.integrated - target) <= 1.0, after
    assert after.true_peak <= TRUE_PEAK + PEAK_TOLERANCE, after
    # Timing: every ?t= link and transcript time lands on the same word.
    assert abs(decoded_seconds(output) - decoded_seconds(master)) <= 0.05
    assert abs(result.duration_ms / 1000 - decoded_seconds(master)) <= 0.05
    info = mutagen.File(output).info
    assert (info.sample_rate, info.channels, info.bitrate) == (44100, channels, bitrate)
    assert info.bitrate_mode == BitrateMode.CBR  # the Xing "Info" frame marks a constant bitrate
    assert not result.copied
    assert abs(result.before.integrated - before.integrated) <= 1.0
    assert abs(result.after.integrated - target) <= 1.0


def test_a_podcast_ready_mp3_is_copied_not_encoded_again(masters, tmp_path):
    master = masters["ready_mp3"]
    measured = loudness(master)
    assert abs(measured.integrated - STEREO_TARGET) <= 1.0 and measured.true_peak <= TRUE_PEAK  # precondition
    output = tmp_path / "rendition.mp3"

    result = encode(master, output, duration_ms=round(decoded_seconds(master) * 1000))

    assert result.copied
    assert audio_md5(output) == audio_md5(master)  # the very same MP3 frames
    assert abs(decoded_seconds(output) - decoded_seconds(master)) <= 0.05


def test_a_variable_bitrate_mp3_at_the_target_is_encoded_again(masters, tmp_path):
    """Loud enough, but VBR: players estimate its duration and seek badly, so it is made CBR."""
    master = masters["ready_vbr_mp3"]
    output = tmp_path / "rendition.mp3"

    result = encode(master, output, duration_ms=round(decoded_seconds(master) * 1000))

    assert not result.copied
    assert mutagen.File(output).info.bitrate_mode == BitrateMode.CBR


def test_a_real_recording_goes_through_the_encoder(tmp_path):
    """A real meeting recording (not synthetic speech) from the shared speech samples."""
    source = Path("/work/shared/speech/stereo_two_voices.wav")
    if not source.exists():
        source = Path(__file__).resolve().parents[4] / "shared" / "speech" / "stereo_two_voices.wav"
    master = tmp_path / "recording.wav"
    # Its first 8 seconds keep the test short.
    subprocess.run(
        [require("ffmpeg"), "-v", "error", "-i", str(source), "-t", "8", "-c:a", "pcm_s16le", str(master)],
        check=True,
    )
    output = tmp_path / "rendition.mp3"
    channels = mutagen.File(master).info.channels
    target = MONO_TARGET if channels == 1 else STEREO_TARGET

    encode(master, output, duration_ms=8000)

    after = loudness(output)
    assert abs(after.integrated - target) <= 1.0, after
    assert after.true_peak <= TRUE_PEAK + PEAK_TOLERANCE
    assert abs(decoded_seconds(output) - decoded_seconds(master)) <= 0.05


def test_a_master_ffmpeg_cannot_decode_is_refused_with_a_reason(tmp_path):
    master = tmp_path / "broken.flac"
    master.write_bytes(b"fLaC" + bytes(200))
    with pytest.raises(EncodeError, match="ffmpeg could not read the audio of the master file"):
        encode(master, tmp_path / "out.mp3", duration_ms=3000)
    assert not (tmp_path / "out.mp3").exists() or (tmp_path / "out.mp3").stat().st_size == 0
