"""The openai-whisper checkpoints, built once per test run, and an engine on the English one."""

import pytest

from tests.transcripts.openai_whisper.checkpoint import build_checkpoint, make_engine


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory):
    folder = tmp_path_factory.mktemp("checkpoints")
    return {
        "english": build_checkpoint(folder / "english.pt"),
        "multilingual": build_checkpoint(folder / "multilingual.pt", multilingual=True),
    }


@pytest.fixture(scope="session")
def engine(checkpoints):
    engine = make_engine(checkpoints["english"])
    engine.load()
    return engine
