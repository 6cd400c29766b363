"""Decoding audio a window at a time (transcripts.engines.audio)."""

import subprocess

import numpy as np
import pytest
from faster_whisper.audio import decode_audio

from tests.audio import require
from transcripts.engines.audio import SAMPLING_RATE, AudioDecodeError, duration_ms, quiet_cut, windows


@pytest.fixture(scope="module")
def tone_with_gap(tmp_path_factory):
    """10 s of a 440 Hz tone with a 120 ms silence at 3.5 s (a pause between words, as it were)."""
    path = tmp_path_factory.mktemp("windows") / "gap.wav"
    subprocess.run(
        [require("ffmpeg"), "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=10"]
        + ["-af", "volume=enable='between(t,3.5,3.62)':volume=0", "-ar", "16000", "-ac", "1", str(path)],
        check=True,
    )
    return path


def test_windows_cover_the_file_exactly_once(tone_with_gap):
    whole = decode_audio(str(tone_with_gap))
    pieces = list(windows(str(tone_with_gap), window_seconds=3, search_seconds=1))

    assert len(pieces) >= 3
    joined = np.concatenate([piece.samples for piece in pieces])
    assert len(joined) == len(whole)
    assert np.allclose(joined, whole, atol=1e-3)
    offset = 0
    for piece in pieces:
        assert piece.offset_ms == round(offset * 1000 / SAMPLING_RATE)
        assert piece.samples.dtype == np.float32
        offset += len(piece.samples)


def test_a_window_ends_in_the_nearby_silence_not_in_the_sound(tone_with_gap):
    first = next(windows(str(tone_with_gap), window_seconds=3, search_seconds=1))
    # Nominal end 3 s, searched up to 1 s either side: the gap at 3.5-3.62 s is where it is cut.
    assert 3500 <= first.duration_ms <= 3620


def test_quiet_cut_picks_the_quietest_frame():
    loud = (np.sin(np.arange(16000) / 3) * 10000).astype(np.int16)
    loud[8000:8320] = 0  # 20 ms of silence, one frame
    assert quiet_cut(loud, 16000) == 8320


def test_short_audio_is_one_window(tone_with_gap):
    pieces = list(windows(str(tone_with_gap), window_seconds=60))
    assert len(pieces) == 1
    assert pieces[0].offset_ms == 0
    assert pieces[0].duration_ms == duration_ms(str(tone_with_gap)) == 10_000


@pytest.mark.parametrize(
    "content", [b"", b"not audio at all, only words\n" * 40, b"ID3" + bytes(range(256)) * 8]
)
def test_what_is_not_audio_is_a_decode_error(tmp_path, content):
    path = tmp_path / "broken.mp3"
    path.write_bytes(content)
    with pytest.raises(AudioDecodeError):
        list(windows(str(path)))
