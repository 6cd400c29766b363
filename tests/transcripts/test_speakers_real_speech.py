"""Speakers on real recorded speech (../shared/speech/, see its README): two people on the two channels of a
stereo file, and meetings with who-speaks-when in RTTM. Thresholds sit below what the method does today with
room for a slower or noisier run; bench/diarize.py reports the figures themselves."""

import wave
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings as django_settings

from transcripts import diarization
from transcripts.engines.audio import windows

SPEECH = Path(django_settings.BASE_DIR).parent / "shared" / "speech"

pytestmark = pytest.mark.skipif(not SPEECH.is_dir(), reason=f"no real recordings at {SPEECH}")


@pytest.fixture(scope="module")
def rttm():
    return diarization.read_rttm((SPEECH / "meetings.rttm").read_text())


def channel_turns(path: Path) -> list[tuple[int, int, str]]:
    """Who speaks when in a stereo file with one person per channel: each channel's runs of speech."""
    with wave.open(str(path)) as stereo:
        assert (stereo.getnchannels(), stereo.getsampwidth()) == (2, 2)
        rate = stereo.getframerate()
        pcm = np.frombuffer(stereo.readframes(stereo.getnframes()), dtype="<i2")
    assert rate == diarization.SAMPLING_RATE
    samples = pcm.reshape(-1, 2).astype(np.float32) / 32768
    return [
        (start * 1000 // rate, end * 1000 // rate, side)
        for channel, side in ((0, "left"), (1, "right"))
        for start, end in diarization.speech_runs(np.ascontiguousarray(samples[:, channel]))
    ]


def test_two_people_on_a_stereo_recording_are_two_labels():
    path = SPEECH / "stereo_two_voices.wav"
    truth = channel_turns(path)
    assert {side for *_, side in truth} == {"left", "right"}

    found = diarization.diarize(str(path))  # not told how many: estimated

    assert found.labels == ["Speaker 1", "Speaker 2"]
    assert diarization.attribution(truth, found) >= 0.8


@pytest.mark.parametrize(
    ("name", "at_least"),
    [
        # trn03: one person speaks 29 of its 30 seconds; trn05 and trn07: three or four people, overlapping.
        ("meeting_trn03", 0.9),
        ("meeting_trn05", 0.65),
        ("meeting_trn07", 0.75),
    ],
)
def test_meetings_with_the_number_of_people_given(rttm, name, at_least):
    truth = rttm[name]
    people = len({speaker for *_, speaker in truth})

    hinted = diarization.diarize(str(SPEECH / f"{name}.wav"), speakers=people)
    estimated = diarization.diarize(str(SPEECH / f"{name}.wav"))

    assert 1 <= len(hinted.labels) <= people
    assert 1 <= len(estimated.labels) <= diarization.MAX_SPEAKERS
    assert max(diarization.attribution(truth, hinted), diarization.attribution(truth, estimated)) >= at_least


def test_the_real_recordings_decode_as_the_pipeline_decodes_them():
    # The same decoder as transcription (a window at a time), so times agree with the words'.
    (window,) = list(windows(str(SPEECH / "meeting_trn03.wav")))
    assert abs(window.duration_ms - 30_000) <= 20
