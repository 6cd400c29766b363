"""faster-whisper with batched inference (``faster_whisper.BatchedInferencePipeline``), for GPU workers:
the speech of a window is cut at its pauses (Silero VAD) and the pieces decoded ``batch_size`` at a time,
several times faster on CUDA than one piece after another. On a CPU it brings little and costs memory,
so the CPU default stays ``FasterWhisperEngine``. Chosen by TRANSCRIPTION_BATCH_SIZE (settings)."""

from __future__ import annotations

from .faster_whisper import FasterWhisperEngine


class _Batched:
    """The loaded model, whose ``transcribe`` goes through the batched pipeline; all else (the tokenizer,
    language detection) is the model's own."""

    def __init__(self, model, batch_size: int):
        from faster_whisper import BatchedInferencePipeline

        self._model, self._batch_size = model, batch_size
        self._pipeline = BatchedInferencePipeline(model)

    def transcribe(self, audio, **options):
        return self._pipeline.transcribe(audio, batch_size=self._batch_size, **options)

    def __getattr__(self, name):
        return getattr(self._model, name)


class BatchedFasterWhisperEngine(FasterWhisperEngine):
    """``FasterWhisperEngine``'s options, and ``batch_size`` (pieces decoded at once; 8 to 16 on a GPU with
    8 GB or more)."""

    name = "faster-whisper (batched)"

    def __init__(self, *, batch_size: int = 8, **options):
        super().__init__(**options)
        self.batch_size = batch_size

    def _load(self):
        return _Batched(super()._load(), self.batch_size)
