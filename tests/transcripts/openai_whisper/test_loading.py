"""The openai-whisper engine loads a checkpoint by path or by name, reports what it cannot load, checks its
options, and is the one a worker uses when the setting names it. Checkpoints: see checkpoint.py."""

import shutil
import sys

import pytest
import torch
from django.core.exceptions import ImproperlyConfigured
from whisper.model import Whisper

from episodes.uploads import create_audio_file
from tests.transcripts.openai_whisper.checkpoint import SAID
from transcripts.engines import EngineError, get_engine
from transcripts.engines.openai_whisper import OpenAIWhisperEngine
from transcripts.models import Transcript
from transcripts.transcribing import request_transcription, run_transcription

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
