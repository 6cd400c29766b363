"""The openai-whisper engine, on checkpoints built here (no weights can be downloaded) and real audio.

A tiny model with random weights cannot hear anything, and decoding its noise is slow and endless. So the
checkpoint built here is a real openai-whisper checkpoint (seeded random weights, saved as
``torch.save({"dims", "model_state_dict"})``) with its text decoder wired by hand to say one thing,
``<|0.00|> hello world<|1.00|>``, whatever it hears: each token's embedding points the decoder's MLP at the
next token. The encoder and the cross-attention stay random, so the word timings come from openai-whisper's
real alignment code. The tests check the engine's contracts (times, words, progress, silence, errors, the
prompt), not accuracy: ``test_engines.py`` does that with the faster-whisper model.
"""

import inspect
import shutil
import subprocess
import sys
from collections import Counter
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

import pytest
import torch
from django.core.exceptions import ImproperlyConfigured
from whisper.model import ModelDimensions, Whisper
from whisper.tokenizer import LANGUAGES, get_tokenizer

from episodes.uploads import create_audio_file
from tests.audio import require, speech
from transcripts.engines import EngineError, get_engine
from transcripts.engines.base import SegmentResult, TranscriptionInfo, Word, estimate_tokens, limit_prompt
from transcripts.engines.openai_whisper import OpenAIWhisperEngine, _clips
from transcripts.models import Transcript
from transcripts.transcribing import request_transcription, run_transcription

SAID = "hello world"  # what the built checkpoint says for any speech
SILENCE_SECONDS = 3
# Whisper keeps the last n_text_ctx // 2 - 1 prompt tokens.
PROMPT_TOKENS = 223


def build_checkpoint(path: Path, *, multilingual: bool = False) -> Path:
    """A small openai-whisper checkpoint whose decoder says ``SAID`` in one timed segment."""
    dims = ModelDimensions(
        n_mels=80,
        n_audio_ctx=1500,
        n_audio_state=64,
        n_audio_head=1,
        n_audio_layer=1,
        n_vocab=51865 if multilingual else 51864,  # 51864: the English-only (GPT-2) vocabulary
        n_text_ctx=448,
        n_text_state=64,
        n_text_head=1,
        n_text_layer=1,
    )
    torch.manual_seed(0)
    model = Whisper(dims)
    tokenizer = get_tokenizer(multilingual, num_languages=model.num_languages)
    hello, world = (tokenizer.encode(word)[0] for word in (" hello", " world"))
    start, end = tokenizer.timestamp_begin, tokenizer.timestamp_begin + 50  # <|0.00|>, <|1.00|>
    # Each token -> the one the decoder is to say after it (<|startoftranscript|> in English-only models
    # and <|transcribe|> in multilingual ones come just before the first sampled token).
    chain = {tokenizer.sot: start, tokenizer.transcribe: start, start: hello, hello: world, world: end}
    chain[end] = tokenizer.eot
    tokens = list(dict.fromkeys([*chain, *chain.values()]))
    dim = {token: index for index, token in enumerate(tokens)}  # one embedding dimension each
    with torch.no_grad():
        for parameter in model.parameters():  # Whisper leaves some of them uninitialised (torch.empty)
            parameter.normal_(0, 0.02)
        for module in model.modules():
            if isinstance(module, torch.nn.LayerNorm):
                module.weight.fill_(1)
                module.bias.zero_()
        decoder = model.decoder
        decoder.positional_embedding.zero_()
        embedding = decoder.token_embedding.weight
        embedding[:, : len(tokens)] = 0
        for token, index in dim.items():
            embedding[token] = 0
            embedding[token, index] = 4.0
        for block in decoder.blocks:
            for attention in (block.attn, block.cross_attn):  # attention weights stay, their output goes
                attention.out.weight.zero_()
                attention.out.bias.zero_()
            fc1, fc2 = block.mlp[0], block.mlp[2]
            fc1.weight.zero_()
            fc1.bias.fill_(-10)
            fc2.weight.zero_()
            fc2.bias.zero_()
            for unit, (token, following) in enumerate(chain.items()):
                fc1.weight[unit, dim[token]] = 1.0
                fc1.bias[unit] = -2.0
                fc2.weight[dim[following], unit] = 5.0
    torch.save({"dims": asdict(dims), "model_state_dict": model.state_dict()}, path)
    return path


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory):
    folder = tmp_path_factory.mktemp("checkpoints")
    return {
        "english": build_checkpoint(folder / "english.pt"),
        "multilingual": build_checkpoint(folder / "multilingual.pt", multilingual=True),
    }


def make_engine(model, **options):
    # One torch thread: on a small shared machine two threads mostly wait for each other.
    return OpenAIWhisperEngine(model=str(model), beam_size=1, threads=1, **options)


@pytest.fixture(scope="session")
def engine(checkpoints):
    engine = make_engine(checkpoints["english"])
    engine.load()
    return engine


@contextmanager
def forward_passes(model):
    """How many times the model's encoder and decoder run (torch forward hooks)."""
    counts = Counter()
    handles = [
        getattr(model, part).register_forward_hook(lambda *args, part=part: counts.update([part]))
        for part in ("encoder", "decoder")
    ]
    try:
        yield counts
    finally:
        for handle in handles:
            handle.remove()


def silence(path: Path, seconds: float) -> Path:
    subprocess.run(
        [require("ffmpeg"), "-loglevel", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono"]
        + ["-t", str(seconds), str(path)],
        check=True,
    )
    return path


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


# Loading


def test_a_checkpoint_path_loads(engine, checkpoints):
    model = engine.load()
    assert isinstance(model, Whisper)
    assert model.dims.n_text_state == 64
    assert not model.is_multilingual
    assert engine.load() is model  # once per engine
    assert engine.model_label == f"openai-whisper {checkpoints['english']}"
    assert engine.name == "openai-whisper"


def test_a_model_name_loads_from_download_root(checkpoints, tmp_path):
    shutil.copy(checkpoints["english"], tmp_path / "tiny.en.pt")
    engine = OpenAIWhisperEngine(model="tiny.en", download_root=str(tmp_path), threads=1)

    model = engine.load()

    assert isinstance(model, Whisper)
    assert engine.model_label == "openai-whisper tiny.en"
    # tiny.en's own alignment heads (4 layers of 6) do not fit this 1x1 model: the default heads stay.
    assert model.alignment_heads.to_dense().tolist() == [[True]]


def test_a_model_name_not_in_download_root_says_where_to_put_it(tmp_path):
    engine = OpenAIWhisperEngine(model="small.en", download_root=str(tmp_path))
    with pytest.raises(
        EngineError, match=r"small\.en\.pt is not in .*Put the small\.en\.pt checkpoint there"
    ):
        engine.load()
    assert list(tmp_path.iterdir()) == []  # nothing was downloaded, or even begun


def test_a_missing_checkpoint_file_is_an_engine_error(tmp_path):
    engine = OpenAIWhisperEngine(model=str(tmp_path / "gone.pt"))
    with pytest.raises(EngineError, match=r"gone\.pt does not exist.*not an openai-whisper model name"):
        engine.load()


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(lambda path: path.write_bytes(bytes(range(256)) * 64), id="random-bytes"),
        pytest.param(lambda path: torch.save({"weights": torch.zeros(3)}, path), id="not-whisper"),
        pytest.param(lambda path: path.write_bytes(b""), id="empty"),
    ],
)
def test_a_corrupt_checkpoint_is_an_engine_error(tmp_path, content):
    path = tmp_path / "broken.pt"
    content(path)
    engine = OpenAIWhisperEngine(model=str(path))
    with pytest.raises(EngineError, match=r"Cannot load Whisper checkpoint .*broken\.pt"):
        engine.load()


def test_a_truncated_checkpoint_is_an_engine_error(checkpoints, tmp_path):
    path = tmp_path / "truncated.pt"
    path.write_bytes(checkpoints["english"].read_bytes()[:100_000])
    with pytest.raises(EngineError, match="Cannot load Whisper checkpoint"):
        OpenAIWhisperEngine(model=str(path)).load()


def test_without_the_extra_the_error_says_how_to_install_it(checkpoints, monkeypatch):
    monkeypatch.setitem(sys.modules, "whisper", None)  # as if openai-whisper were not installed
    engine = OpenAIWhisperEngine(model=str(checkpoints["english"]))
    with pytest.raises(EngineError, match=r"pip install -r requirements-whisper\.txt.*make install-whisper"):
        engine.load()


@pytest.mark.parametrize(
    "options, message",
    [
        ({}, r'\["model"\] is required'),
        ({"model": "tiny.en", "beam_size": 0}, "beam_size must be at least 1"),
        ({"model": "tiny.en", "temperature": 2}, "temperature must be between 0 and 1"),
        ({"model": "tiny.en", "temperature": "hot"}, "temperature must be a number"),
        ({"model": "tiny.en", "vad": {"loudness": 3}}, r'\["vad"\].*loudness'),
    ],
)
def test_bad_options_are_reported_when_the_engine_is_built(options, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        OpenAIWhisperEngine(**options)


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


# The prompt


def count_tokens(engine, text):
    return len(engine.tokenizer().encode(" " + text))


def test_a_long_prompt_is_cut_to_whispers_limit_by_the_models_tokenizer(engine):
    prompt = "Glossary: " + ", ".join(f"shared decision{number}" for number in range(300)) + ", the end."
    assert count_tokens(engine, prompt) > 1000

    limited = engine.limit_prompt(prompt)

    assert prompt.endswith(limited)
    assert limited.endswith("shared decision299, the end.")
    # Counted with the model's own BPE it fills Whisper's prompt; the pessimistic estimate would not.
    assert PROMPT_TOKENS - 5 <= count_tokens(engine, limited) <= PROMPT_TOKENS
    assert count_tokens(engine, limit_prompt(prompt, PROMPT_TOKENS)) < PROMPT_TOKENS - 20
    assert estimate_tokens(limited) > PROMPT_TOKENS


def test_the_decoder_is_given_the_trimmed_prompt(engine, audio_dir):
    prompt = " ".join(["coproduction teach-back"] * 300)
    tokenizer = engine.tokenizer()
    prompt_tokens = tokenizer.encode(" " + engine.limit_prompt(prompt))
    seen = []
    hook = engine.load().decoder.register_forward_pre_hook(
        lambda module, args: seen.append(args[0][0].tolist())
    )
    try:
        info, segments = engine.transcribe(str(audio_dir / "speech.mp3"), prompt=prompt)
        assert [segment.text for segment in segments] == [SAID]
    finally:
        hook.remove()
    # The first decoder pass reads <|startofprev|>, the prompt, then <|startoftranscript|>.
    assert seen[0] == [tokenizer.sot_prev, *prompt_tokens, *tokenizer.sot_sequence]
    assert len(prompt_tokens) <= PROMPT_TOKENS


# Multilingual models


@pytest.fixture(scope="module")
def multilingual(checkpoints):
    engine = make_engine(checkpoints["multilingual"])
    engine.load()
    return engine


def test_a_multilingual_model_detects_the_language_of_the_speech(multilingual, audio_dir):
    with forward_passes(multilingual.load()) as passes:
        info, _ = multilingual.transcribe(str(audio_dir / "speech.mp3"))
    assert info.language in LANGUAGES  # a random model's guess, but one of Whisper's codes
    assert passes["encoder"] == 1  # detected once, before any segment is asked for


def test_a_multilingual_model_takes_a_given_language_by_name_or_code(multilingual, audio_dir):
    with forward_passes(multilingual.load()) as passes:
        info, segments = multilingual.transcribe(str(audio_dir / "speech.mp3"), language="English")
        assert passes.total() == 0  # nothing to detect
        assert info.language == "en"
        assert [segment.text for segment in segments] == [SAID]
    with pytest.raises(EngineError, match="does not know the language 'Klingon'"):
        multilingual.transcribe(str(audio_dir / "speech.mp3"), language="Klingon")


def test_a_multilingual_model_on_silence_names_no_language(multilingual, tmp_path):
    info, segments = multilingual.transcribe(str(silence(tmp_path / "silence.wav", 2)))
    assert info.language == ""
    assert list(segments) == []


# Through the setting, as a worker runs it


@pytest.mark.django_db
def test_the_setting_chooses_openai_whisper_for_a_transcription(settings, checkpoints, audio_dir):
    checkpoint = str(checkpoints["english"])
    settings.TRANSCRIPTION_ENGINE = {
        "BACKEND": "transcripts.engines.openai_whisper.OpenAIWhisperEngine",
        "OPTIONS": {"model": checkpoint, "beam_size": 1, "threads": 1},
    }
    assert isinstance(get_engine(), OpenAIWhisperEngine)
    audio = create_audio_file(audio_dir / "speech.mp3", title="Spoken")  # its queued run never commits
    transcript = request_transcription(audio, enqueue=False)

    run_transcription(transcript.pk)

    transcript.refresh_from_db()
    assert transcript.status == Transcript.DONE, transcript.error
    assert transcript.engine == "openai-whisper"
    assert transcript.model == f"openai-whisper {checkpoint}"
    assert transcript.language == "en"
    assert transcript.progress == 1
    segments = list(transcript.segments.all())
    assert [segment.text for segment in segments] == [SAID]
    assert all(0 <= s.start_ms < s.end_ms <= audio.duration_ms + 100 for s in segments)
    assert [word[2] for word in segments[0].words] == SAID.split()
