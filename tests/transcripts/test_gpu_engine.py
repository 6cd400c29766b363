"""GPU transcription workers: the settings that pick CUDA, the compute type and batched inference, the
batched engine itself (run here on the CPU, where the suite runs), and a run on a real GPU that skips,
saying why, on a machine without one."""

import json
import os
import subprocess
import sys

import pytest

from tests.audio import speech
from transcripts.engines import get_engine
from transcripts.engines.batched import BatchedFasterWhisperEngine

SENTENCE = "The library hosts a carers group every week."


def engine_setting(**environment) -> dict:
    """TRANSCRIPTION_ENGINE as the settings build it from ``environment`` (a fresh interpreter)."""
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps(getattr(settings, 'TRANSCRIPTION_ENGINE', None)))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "website.settings.test", **environment}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_environment_chooses_cuda_float16_and_batches():
    assert engine_setting(TRANSCRIPTION_DEVICE="cuda", TRANSCRIPTION_BATCH_SIZE="16") == {
        "BACKEND": "transcripts.engines.batched.BatchedFasterWhisperEngine",
        "OPTIONS": {"device": "cuda", "compute_type": "float16", "batch_size": 16},
    }
    assert engine_setting(TRANSCRIPTION_DEVICE="cuda", TRANSCRIPTION_COMPUTE_TYPE="int8_float16") == {
        "BACKEND": "transcripts.engines.faster_whisper.FasterWhisperEngine",
        "OPTIONS": {"device": "cuda", "compute_type": "int8_float16"},
    }
    # Nothing set: the engine's own defaults (CPU, int8).
    assert engine_setting() is None


@pytest.fixture(scope="module")
def spoken(tmp_path_factory):
    return speech(tmp_path_factory.mktemp("gpu") / "library.mp3", SENTENCE)


def words(engine, path) -> str:
    _, segments = engine.transcribe(str(path))
    return " ".join(segment.text for segment in segments).lower()


def test_the_batched_engine_transcribes_as_the_plain_one_does(spoken, settings):
    settings.TRANSCRIPTION_ENGINE = {
        "BACKEND": "transcripts.engines.batched.BatchedFasterWhisperEngine",
        "OPTIONS": {"batch_size": 4},
    }
    engine = get_engine()
    assert isinstance(engine, BatchedFasterWhisperEngine)
    heard = words(engine, spoken)
    assert "library" in heard and "week" in heard, heard


def cuda_devices() -> int:
    import ctranslate2

    try:
        return ctranslate2.get_cuda_device_count()
    except Exception:  # a CPU-only build of CTranslate2
        return 0


@pytest.mark.skipif(cuda_devices() == 0, reason="no CUDA GPU on this machine: the GPU run needs one")
def test_a_gpu_worker_transcribes_on_cuda_in_float16_with_batches(spoken):
    engine = BatchedFasterWhisperEngine(device="cuda", compute_type="float16", batch_size=8)
    heard = words(engine, spoken)
    assert "library" in heard and "week" in heard, heard
