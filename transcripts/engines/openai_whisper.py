"""The optional engine: OpenAI's own ``openai-whisper`` package (PyTorch), with a model by name or a path to a
``.pt`` checkpoint.

Its packages (torch, openai-whisper) are an extra: ``make install-whisper``, or
``pip install -r requirements-whisper.txt``. Choose it with::

    TRANSCRIPTION_ENGINE = {
        "BACKEND": "transcripts.engines.openai_whisper.OpenAIWhisperEngine",
        "OPTIONS": {
            "model": "small.en",  # small.en.pt must already be in download_root; or a path to a .pt file
            "download_root": "/srv/models/whisper",  # default: ~/.cache/whisper, as openai-whisper's own
            "beam_size": 5,
            "threads": 2,  # torch threads; 0 leaves torch's default
        },
    }

A worker never downloads a model: a name whose checkpoint is not in ``download_root`` is an error that tells
the operator where to put it.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.core.exceptions import ImproperlyConfigured

from . import audio
from .base import BaseEngine, EngineError, Progress, SegmentResult, TranscriptionInfo, Word, limit_prompt, ms

INSTALL_HINT = "pip install -r requirements-whisper.txt (or make install-whisper)"


def _import_whisper():
    """``whisper`` and ``torch``, imported on first use so that the project runs without the extra."""
    try:
        import torch
        import whisper
    except ImportError as error:
        raise EngineError(
            "The openai-whisper engine needs the optional packages torch and openai-whisper: "
            f"{INSTALL_HINT}. ({error})"
        ) from error
    return whisper, torch


def default_download_root() -> str:
    """Where openai-whisper itself keeps its checkpoints: $XDG_CACHE_HOME/whisper or ~/.cache/whisper."""
    cache = os.getenv("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "whisper")


# Whisper's mel frames (whisper.audio.HOP_LENGTH, FRAMES_PER_SECOND): clip times are counted in them.
HOP_LENGTH = 160
FRAMES_PER_SECOND = audio.SAMPLING_RATE // HOP_LENGTH


def _clips(regions: list[dict], n_samples: int) -> list[tuple[float, float]]:
    """Silero's speech regions (in samples) as ``clip_timestamps`` pairs (in seconds), each ending no later
    than the last whole mel frame of the audio.

    openai-whisper loops for ever on a clip that ends past its last frame: once it has decoded up to the
    end of the audio, the rest of the clip is an empty slice, whose decoding moves it on by nothing. Silero
    ends a region of speech at the very last sample, which is usually part of a frame, so every file that
    ends while someone is speaking would hang the worker without this.
    """
    last_frame = n_samples // HOP_LENGTH
    clips = []
    for region in regions:
        start = round(region["start"] / HOP_LENGTH)
        end = min(round(region["end"] / HOP_LENGTH), last_frame)
        if start < end:
            clips.append((start / FRAMES_PER_SECOND, end / FRAMES_PER_SECOND))
    return clips


@dataclass
class _Piece:
    """A window of the audio with its speech regions (seconds from the window's start). The samples of a
    window without speech are dropped as soon as that is known: nothing will decode them."""

    offset_ms: int
    duration_ms: int
    samples: np.ndarray | None
    clips: list[tuple[float, float]]


class OpenAIWhisperEngine(BaseEngine):
    """Options: ``model`` (required: an openai-whisper model name such as ``"small.en"`` whose checkpoint,
    ``small.en.pt``, is already in ``download_root``; or the path to a ``.pt`` checkpoint),
    ``download_root``, ``device`` (``"cpu"``, or e.g. ``"cuda"``), ``beam_size``, ``temperature``
    (Whisper's fallback temperatures for a window that decodes badly; ``0`` decodes each window once, which
    is faster), ``threads`` (``torch.set_num_threads`` when above 0; it is process-wide),
    ``window_seconds`` (how much decoded audio is held at once; see ``transcripts.engines.audio``) and
    ``vad`` (a dict of ``faster_whisper.vad.VadOptions`` fields).

    Silero voice-activity detection (the one faster-whisper ships) finds the speech in each window first and
    only that is given to Whisper (``clip_timestamps``), so silence and music produce no invented text, and
    a window without speech is never decoded at all. The glossary prompt biases every 30-second decoding
    window (``carry_initial_prompt``), and each window is decoded without the previous one's text, so that
    a mistake cannot repeat itself down the file.
    """

    name = "openai-whisper"

    def __init__(
        self,
        *,
        model: str | Path | None = None,
        download_root: str | Path | None = None,
        device: str = "cpu",
        beam_size: int = 5,
        temperature: float | list[float] | tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
        threads: int = 0,
        window_seconds: float = 300,
        vad: dict | None = None,
        **options,
    ):
        super().__init__(
            model=model,
            download_root=download_root,
            device=device,
            beam_size=beam_size,
            temperature=temperature,
            threads=threads,
            window_seconds=window_seconds,
            vad=vad,
            **options,
        )
        if not model:
            raise ImproperlyConfigured(
                'TRANSCRIPTION_ENGINE["OPTIONS"]["model"] is required for the openai-whisper engine: a '
                'model name such as "small.en" (its .pt checkpoint in download_root) or the path to a .pt '
                "checkpoint."
            )
        if beam_size < 1:
            raise ImproperlyConfigured(f"beam_size must be at least 1, not {beam_size!r}.")
        self.model = str(model)
        self.download_root = os.path.expanduser(str(download_root or default_download_root()))
        self.device = device
        self.beam_size = beam_size
        self.temperature = self._temperatures(temperature)
        self.threads = threads
        self.window_seconds = window_seconds
        self.vad = self._vad_options(vad or {})
        self._tokenizer = None
        # openai-whisper hangs its key-value cache and attention hooks on the model's modules while it
        # decodes: two decodings at once on one model would read each other's.
        self._decoding = threading.Lock()

    @staticmethod
    def _temperatures(temperature) -> tuple[float, ...]:
        values = temperature if isinstance(temperature, list | tuple) else [temperature]
        try:
            values = tuple(float(value) for value in values)
        except (TypeError, ValueError) as error:
            raise ImproperlyConfigured(
                f"temperature must be a number or a list of numbers, not {temperature!r}."
            ) from error
        if not values or any(not 0 <= value <= 1 for value in values):
            raise ImproperlyConfigured(f"temperature must be between 0 and 1, not {temperature!r}.")
        return values

    @staticmethod
    def _vad_options(vad: dict):
        from faster_whisper.vad import VadOptions

        try:
            return VadOptions(**vad)
        except TypeError as error:
            raise ImproperlyConfigured(f'TRANSCRIPTION_ENGINE["OPTIONS"]["vad"]: {error}') from error

    @property
    def model_label(self) -> str:
        return f"openai-whisper {self.model}"

    def checkpoint(self) -> tuple[str, str | None]:
        """The checkpoint file to load and the model's alignment heads (the cross-attention heads that time
        words well), when they are known: openai-whisper lists them for its own models, by name."""
        whisper, _ = _import_whisper()
        known = whisper._MODELS  # name -> download URL, whose last part is the checkpoint's file name
        heads = whisper._ALIGNMENT_HEADS
        if self.model in known:
            filename = os.path.basename(known[self.model])
            path = os.path.join(self.download_root, filename)
            if not os.path.isfile(path):
                raise EngineError(
                    f"Whisper model {self.model!r} is not available offline: {filename} is not in "
                    f"{self.download_root}. Put the {filename} checkpoint there (or set download_root to the "
                    'folder that holds it), or set TRANSCRIPTION_ENGINE["OPTIONS"]["model"] to the path of a '
                    ".pt checkpoint. A worker never downloads a model."
                )
            return path, heads[self.model]
        path = os.path.expanduser(self.model)
        if not os.path.isfile(path):
            raise EngineError(
                f"Whisper checkpoint {path} does not exist, and {self.model!r} is not an openai-whisper "
                f"model name ({', '.join(known)})."
            )
        # An official checkpoint kept under its own name, e.g. /srv/models/small.en.pt.
        return path, heads.get(Path(path).name.removesuffix(".pt"))

    def _load(self):
        whisper, torch = _import_whisper()
        if self.threads > 0:
            torch.set_num_threads(self.threads)
        path, heads = self.checkpoint()
        try:
            # A path, never a name: load_model would download a name's checkpoint.
            model = whisper.load_model(path, device=self.device)
        except Exception as error:  # torch.load raises whatever the unpickler or zip reader meets
            raise EngineError(
                f"Cannot load Whisper checkpoint {path}: {type(error).__name__}: {error}. It must be an "
                "openai-whisper .pt checkpoint (a dict of dims and model_state_dict)."
            ) from error
        if heads is not None:
            # A different model under an official name keeps the default heads (its last half layers).
            with contextlib.suppress(RuntimeError, ValueError):
                model.set_alignment_heads(heads)
        return model

    def tokenizer(self):
        """The model's own tokenizer (GPT-2 BPE for English-only models, the multilingual one otherwise)."""
        if self._tokenizer is None:
            whisper, _ = _import_whisper()
            model = self.load()
            self._tokenizer = whisper.tokenizer.get_tokenizer(
                model.is_multilingual, num_languages=model.num_languages
            )
        return self._tokenizer

    def limit_prompt(self, prompt: str) -> str:
        """``prompt`` trimmed to what Whisper keeps, counted exactly with the model's tokenizer."""
        model, tokenizer = self.load(), self.tokenizer()
        return limit_prompt(
            prompt,
            # openai-whisper keeps the last n_text_ctx // 2 - 1 prompt tokens (223 for every released model).
            max_tokens=model.dims.n_text_ctx // 2 - 1,
            count_tokens=lambda word: len(tokenizer.encode(" " + word)),
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
        """Decodes the file a window at a time (``audio.windows``), so memory stays flat however long the
        episode. The first window is decoded here, so that unreadable audio fails at once; a multilingual
        model given no ``language`` reads on to the first speech to detect it, and keeps it for the file."""
        whisper, _ = _import_whisper()
        model = self.load()
        name = os.path.basename(path)
        total_ms, first, windows = self.open_audio(path, self.window_seconds)
        if first is None:
            return TranscriptionInfo(
                language=language or "", duration_ms=total_ms, multilingual=model.is_multilingual
            ), iter(())
        pieces = self._pieces(first, windows, name)

        scanned: list[_Piece] = []
        if not model.is_multilingual:
            language = "en"
        elif language:
            language = self._language_code(whisper, language)
        else:
            for piece in pieces:
                scanned.append(piece)
                if piece.clips:
                    language = self._detect_language(whisper, model, piece, language_hint)
                    break
        info = TranscriptionInfo(
            language=language or "", duration_ms=total_ms, multilingual=model.is_multilingual
        )
        options = {
            "language": language,
            "beam_size": self.beam_size,
            "temperature": self.temperature,
            "initial_prompt": self.limit_prompt(prompt) or None,
            "carry_initial_prompt": True,
            "word_timestamps": True,
            "condition_on_previous_text": False,
            "fp16": self.device != "cpu",
            "verbose": None,  # neither text nor tqdm bar on the worker's output
        }
        return info, self._results(
            whisper, model, itertools.chain(scanned, pieces), options, total_ms, progress
        )

    def _pieces(self, first: audio.Window, rest: Iterator[audio.Window], name: str) -> Iterator[_Piece]:
        from faster_whisper.vad import get_speech_timestamps

        def all_windows():
            yield first
            try:
                yield from rest
            except audio.AudioDecodeError as error:
                raise EngineError(f"Cannot read {name} as audio: {error}") from error

        for window in all_windows():
            regions = get_speech_timestamps(window.samples, self.vad, sampling_rate=audio.SAMPLING_RATE)
            clips = _clips(regions, len(window.samples))
            samples = window.samples if clips else None
            yield _Piece(window.offset_ms, window.duration_ms, samples, clips)

    @staticmethod
    def _language_code(whisper, language: str) -> str:
        code = language.lower()
        code = whisper.tokenizer.TO_LANGUAGE_CODE.get(code, code)
        if code not in whisper.tokenizer.LANGUAGES:
            raise EngineError(f"Whisper does not know the language {language!r}.")
        return code

    def _detect_language(self, whisper, model, piece: _Piece, hint: str | None = None) -> str:
        """The language of the first 30 s of speech in ``piece`` (only speech: music would mislead it),
        weighed with the show's language (``choose_language``)."""
        from .faster_whisper import choose_language

        speech = np.concatenate(
            [
                piece.samples[round(s * audio.SAMPLING_RATE) : round(e * audio.SAMPLING_RATE)]
                for s, e in piece.clips
            ]
        )
        mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(speech), model.dims.n_mels)
        with self._decoding:
            _, probabilities = model.detect_language(mel.to(model.device))
        return choose_language(probabilities, hint)[0]

    def _results(
        self,
        whisper,
        model,
        pieces: Iterable[_Piece],
        options: dict,
        total_ms: int,
        progress: Progress | None,
    ) -> Iterator[SegmentResult]:
        done = 0.0

        def report(end_ms: int) -> None:
            nonlocal done
            if progress and total_ms:
                done = max(done, min(end_ms / total_ms, 1.0))
                progress(done)

        for piece in pieces:
            window_end = piece.offset_ms + piece.duration_ms
            if piece.clips:
                try:
                    with self._decoding:
                        result = whisper.transcribe(
                            model,
                            piece.samples,
                            clip_timestamps=[t for clip in piece.clips for t in clip],
                            **options,
                        )
                except (RuntimeError, ValueError, IndexError) as error:
                    raise EngineError(f"Transcription failed: {type(error).__name__}: {error}") from error
                for segment in result["segments"]:
                    converted = self._segment(segment, piece.offset_ms, window_end)
                    if converted is not None:
                        report(converted.end_ms)
                        yield converted
            report(window_end)
        if progress:
            progress(1.0)

    @staticmethod
    def _segment(segment: dict, offset_ms: int, window_end: int) -> SegmentResult | None:
        """One of openai-whisper's segments in integer milliseconds from the start of the file, held inside
        the window's audio and its words inside the segment; None for a segment without text."""
        text = segment["text"].strip()
        if not text:
            return None
        start_ms = min(offset_ms + ms(segment["start"]), window_end)
        end_ms = max(min(offset_ms + ms(segment["end"]), window_end), start_ms)
        words = []
        for word in segment.get("words") or ():
            word_start = min(max(offset_ms + ms(word["start"]), start_ms), end_ms)
            word_end = min(max(offset_ms + ms(word["end"]), word_start), end_ms)
            probability = word.get("probability")
            words.append(
                Word(
                    start_ms=word_start,
                    end_ms=word_end,
                    text=word["word"].strip(),
                    probability=None if probability is None else float(probability),
                )
            )
        return SegmentResult(start_ms=start_ms, end_ms=end_ms, text=text, words=tuple(words))
