"""What the openai-whisper engine is given besides audio: a prompt cut to Whisper's limit by the model's
tokenizer, and a language that multilingual models otherwise detect. Checkpoints: see checkpoint.py."""

import pytest
from whisper.tokenizer import LANGUAGES

from tests.transcripts.openai_whisper.checkpoint import SAID, forward_passes, make_engine, silence
from transcripts.engines import EngineError
from transcripts.engines.base import estimate_tokens, limit_prompt

# Whisper keeps the last n_text_ctx // 2 - 1 prompt tokens.
PROMPT_TOKENS = 223


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
