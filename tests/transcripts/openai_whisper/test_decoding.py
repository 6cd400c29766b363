"""The openai-whisper engine turns audio into timed segments and words, lazily, with progress; it skips
silence and refuses what is not audio. Checkpoints: see checkpoint.py."""

import inspect
import subprocess

import pytest

from tests.audio import require, speech
from tests.transcripts.openai_whisper.checkpoint import SAID, forward_passes, make_engine, silence
from transcripts.engines import EngineError
from transcripts.engines.base import SegmentResult, TranscriptionInfo, Word
from transcripts.engines.openai_whisper import OpenAIWhisperEngine, _clips

SILENCE_SECONDS = 3


@pytest.fixture(scope="session")
def transcribed(engine, audio_dir):
    """The short spoken sentence transcribed once, with every progress report and forward pass counted."""
    reports = []
    with forward_passes(engine.load()) as passes:
        info, segments = engine.transcribe(str(audio_dir / "speech.mp3"), progress=reports.append)
        reports_before_iterating = len(reports)
        passes_before_iterating = passes.total()
        results = list(segments)
    return {
        "info": info,
        "iterator": segments,
        "segments": results,
        "reports": reports,
        "reports_before_iterating": reports_before_iterating,
        "passes_before_iterating": passes_before_iterating,
        "passes": passes,
    }


# Transcribing


def test_segments_are_yielded_lazily(transcribed):
    assert inspect.isgenerator(transcribed["iterator"])
    # Only the audio was read before the caller asked for a segment: no model ran, nothing was reported.
    assert transcribed["passes_before_iterating"] == 0
    assert transcribed["reports_before_iterating"] == 0


def test_info_gives_language_and_duration_in_ms(transcribed):
    info = transcribed["info"]
    assert isinstance(info, TranscriptionInfo)
    assert info.language == "en"  # an English-only model
    assert isinstance(info.duration_ms, int)
    assert 2_000 < info.duration_ms < 5_000  # espeak says the sentence in about 3 s


def test_speech_is_decoded_into_timed_segments(transcribed):
    segments = transcribed["segments"]
    duration_ms = transcribed["info"].duration_ms
    assert transcribed["passes"]["encoder"] >= 1
    assert transcribed["passes"]["decoder"] >= 1
    assert [segment.text for segment in segments] == [SAID]
    for segment in segments:
        assert isinstance(segment, SegmentResult)
        assert isinstance(segment.start_ms, int)
        assert isinstance(segment.end_ms, int)
        assert 0 <= segment.start_ms < segment.end_ms <= duration_ms


def test_words_are_timed_inside_their_segment(transcribed):
    for segment in transcribed["segments"]:
        assert isinstance(segment.words, tuple)
        assert [word.text for word in segment.words] == SAID.split()
        for word in segment.words:
            assert isinstance(word, Word)
            assert isinstance(word.start_ms, int)
            assert isinstance(word.end_ms, int)
            assert segment.start_ms <= word.start_ms <= word.end_ms <= segment.end_ms
            assert isinstance(word.probability, float)
            assert 0 <= word.probability <= 1


def test_progress_rises_to_one(transcribed):
    reports = transcribed["reports"]
    assert len(reports) >= 2
    assert all(0 <= fraction <= 1 for fraction in reports)
    assert reports == sorted(reports)
    assert reports[0] < 1.0  # a report for the segment, before the end
    assert reports[-1] == 1.0


def test_silence_gives_no_segments_and_runs_no_model(engine, tmp_path):
    path = silence(tmp_path / "silence.wav", 4)
    reports = []
    with forward_passes(engine.load()) as passes:
        info, segments = engine.transcribe(str(path), progress=reports.append)
        assert list(segments) == []
    assert info.duration_ms == 4_000
    assert passes.total() == 0
    assert reports[-1] == 1.0
    assert reports == sorted(reports)


def test_only_the_speech_is_decoded_and_timed_on_the_files_clock(checkpoints, tmp_path):
    """Silence, then speech, in windows of 2 s: the silent windows are skipped, and the speech's segment
    is placed where the speech is in the file, not at the start of its window or its clip."""
    spoken = speech(tmp_path / "spoken.wav", "Shared decision making.")
    padded = tmp_path / "padded.wav"
    subprocess.run([require("sox"), str(spoken), str(padded), "pad", str(SILENCE_SECONDS), "0"], check=True)
    engine = make_engine(checkpoints["english"], window_seconds=2)
    reports = []
    with forward_passes(engine.load()) as passes:
        info, segments = engine.transcribe(str(padded), progress=reports.append)
        segments = list(segments)

    assert [segment.text for segment in segments] == [SAID]
    # Silero pads speech by 400 ms: the clip (and so the segment) starts at most that much early.
    assert SILENCE_SECONDS * 1000 - 500 <= segments[0].start_ms < segments[0].end_ms <= info.duration_ms
    assert passes["encoder"] >= 1
    assert reports == sorted(reports) and reports[-1] == 1.0


def test_a_text_file_named_mp3_is_an_engine_error(engine, tmp_path):
    fake = tmp_path / "episode.mp3"
    fake.write_text("This is not audio.")
    with pytest.raises(EngineError, match=r"Cannot read episode\.mp3 as audio"):
        info, segments = engine.transcribe(str(fake))
        list(segments)


def test_a_missing_audio_file_is_an_engine_error(engine, tmp_path):
    with pytest.raises(EngineError, match=r"Cannot read nothing\.wav as audio"):
        engine.transcribe(str(tmp_path / "nothing.wav"))


def test_a_speech_region_ending_with_the_audio_ends_on_its_last_whole_frame():
    # Silero ends speech at the last sample (44611, inside mel frame 278); openai-whisper would loop for
    # ever on a clip that ends past the last whole frame.
    assert _clips([{"start": 0, "end": 44611}], 44611) == [(0.0, 2.78)]
    assert _clips([{"start": 16000, "end": 32000}, {"start": 44600, "end": 44611}], 44611) == [(1.0, 2.0)]


def test_times_outside_the_window_are_held_inside_it():
    segment = {
        "text": " hello world",
        "start": 1.0,
        "end": 31.0,
        "words": [
            {"word": " hello", "start": 0.5, "end": 2.0, "probability": 0.5},
            {"word": " world", "start": 2.0, "end": 35.0, "probability": 0.25},
        ],
    }
    result = OpenAIWhisperEngine._segment(segment, offset_ms=60_000, window_end=64_000)
    assert (result.start_ms, result.end_ms) == (61_000, 64_000)
    assert [(word.start_ms, word.end_ms) for word in result.words] == [(61_000, 62_000), (62_000, 64_000)]
    assert OpenAIWhisperEngine._segment({**segment, "text": "  "}, offset_ms=0, window_end=64_000) is None
