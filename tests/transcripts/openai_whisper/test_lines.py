"""The openai-whisper engine's segments are stored as lines too: ``run_transcription`` cuts whichever engine
runs (transcripts/lines.py)."""

import pytest

from episodes.uploads import create_audio_file
from tests.audio import speech
from transcripts.engines import get_engine
from transcripts.lines import RULES, split_lines
from transcripts.models import Transcript
from transcripts.transcribing import run_transcription

pytestmark = pytest.mark.django_db

TEXT = (
    "Coproduction means that the people who use a service and the people who provide it work together as "
    "equals, from the first idea to the last review, and nobody decides alone"
)


def test_the_openai_whisper_engines_segments_are_stored_as_lines(checkpoints, settings, tmp_path):
    """The built checkpoint says "hello world" (no sentence end) for each stretch of speech, one segment
    at a time in windows of 2 s: the stored lines join them into runs of speech of at most the target."""
    settings.TRANSCRIPTION_ENGINE = {
        "BACKEND": "transcripts.engines.openai_whisper.OpenAIWhisperEngine",
        "OPTIONS": {"model": str(checkpoints["english"]), "beam_size": 1, "threads": 1, "window_seconds": 2},
    }
    settings.TRANSCRIPTION_VOCABULARY = []
    audio = create_audio_file(speech(tmp_path / "long.mp3", TEXT), title="Long")
    _info, segments = get_engine().transcribe(audio.file.path)
    raw = list(segments)
    transcript = Transcript.objects.create(audio=audio, audio_sha256=audio.sha256)

    run_transcription(transcript.pk)

    stored = list(transcript.segments.order_by("index"))
    expected = list(split_lines(raw))
    assert len(raw) > len(stored) > 1
    assert [(s.start_ms, s.end_ms, s.text) for s in stored] == [
        (line.start_ms, line.end_ms, line.text) for line in expected
    ]
    assert all(s.end_ms - s.start_ms <= RULES.target_ms for s in stored)
    assert [w for s in stored for w in s.words] == [
        [w.start_ms, w.end_ms, w.text, w.probability] for line in expected for w in line.words
    ]
