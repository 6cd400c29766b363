"""What every transcription engine gives and takes, whichever Whisper implementation runs underneath.

Times are integer milliseconds throughout, as in the Segment model, so that no float rounding differs
between engines, formats and the player.
"""

from __future__ import annotations

import os
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

# Whisper's decoder takes at most 448 tokens; the prompt gets half of them, less the start token.
WHISPER_PROMPT_TOKENS = 224


class EngineError(Exception):
    """Transcription failed for a reason worth showing to the editor (unreadable audio, missing model)."""


@dataclass(frozen=True)
class Word:
    start_ms: int
    end_ms: int
    text: str
    probability: float | None


@dataclass(frozen=True)
class SegmentResult:
    start_ms: int
    end_ms: int
    text: str
    words: tuple[Word, ...]


@dataclass
class SpeechSignals:
    """What an engine saw of its own output, added up while its segments are read: enough to tell
    afterwards whether an English-only model was given speech in another language (see
    ``transcripts.language``). Zero everywhere for an engine that does not report them."""

    speech_ms: int = 0  # speech that voice-activity detection found
    worded_ms: int = 0  # the part of it covered by transcribed words
    words: int = 0
    uncertain_words: int = 0  # words with a probability under UNCERTAIN_WORD
    fallback_ms: int = 0  # speech decoded only at a fallback temperature (the first decoding failed checks)
    decoded_ms: int = 0  # speech in segments at all (the base of fallback_ms)


UNCERTAIN_WORD = 0.5


@dataclass(frozen=True)
class TranscriptionInfo:
    language: str
    duration_ms: int
    # Whether the model could have told another language (False: English-only, e.g. tiny.en).
    multilingual: bool = True
    language_probability: float | None = None
    # Filled in as the segments are read: complete only once the iterator is exhausted.
    signals: SpeechSignals = field(default_factory=SpeechSignals, compare=False)


Progress = Callable[[float], None]


class BaseEngine(ABC):
    """An engine is built once per worker process from ``settings.TRANSCRIPTION_ENGINE["OPTIONS"]``
    (see ``transcripts.engines.get_engine``) and then transcribes many files, so that a model is
    loaded once, not once per task."""

    name: str = ""

    def __init__(self, **options):
        self.options = options
        self._whisper = None
        self._lock = threading.Lock()

    def load(self):
        """The engine's model, loaded on first use (``_load``) and kept for the life of this engine."""
        with self._lock:
            if self._whisper is None:
                self._whisper = self._load()
        return self._whisper

    def open_audio(self, path: str, window_seconds: float):
        """``(total_ms, first window or None, the windows after it)`` of the audio at ``path``, decoding
        the first window at once so that unreadable audio fails here, as ``EngineError``."""
        from . import audio

        try:
            total_ms = audio.duration_ms(path)
            windows = audio.windows(path, window_seconds=window_seconds)
            first = next(windows, None)
        except audio.AudioDecodeError as error:
            raise EngineError(f"Cannot read {os.path.basename(path)} as audio: {error}") from error
        return (max(total_ms, first.duration_ms) if first else total_ms), first, windows

    @abstractmethod
    def _load(self):
        """Load the model; raise ``EngineError`` when it cannot be loaded."""

    @property
    @abstractmethod
    def model_label(self) -> str:
        """The model used, as stored with each transcript (e.g. a model name or directory)."""

    @abstractmethod
    def transcribe(
        self,
        path: str,
        *,
        prompt: str = "",
        language: str | None = None,
        language_hint: str | None = None,
        progress: Progress | None = None,
    ) -> tuple[TranscriptionInfo, Iterator[SegmentResult]]:
        """Transcribe the audio at ``path``: in ``language`` when given, else in the language a multilingual
        model detects, weighed with ``language_hint`` (the show's language); an English-only model: English.

        Returns the info at once and the segments as a lazy iterator: an hour of audio is stored segment
        by segment, never held as one list. ``progress`` is called with the fraction of the audio done
        (0..1, non-decreasing) as segments come, and with 1.0 when the iterator is exhausted.
        Raises ``EngineError``, either here or while iterating.
        """


def ms(seconds: float) -> int:
    return round(seconds * 1000)


_TOKEN_CHARS = 3


def estimate_tokens(text: str) -> int:
    """A deliberately pessimistic guess at Whisper's (GPT-2 BPE) token count, without its tokenizer.

    Common English averages about four characters a token; a glossary prompt is full of rare terms,
    names and punctuation, which split finer. So each whitespace-separated word counts as one token per
    started three characters (its leading space included), plus one for each punctuation mark and one
    for each non-ASCII character (byte-level BPE spends a token or more on each). Over-counting only
    trims a little more of the oldest part of the prompt; under-counting would let Whisper cut it
    silently.
    """
    total = 0
    for word in text.split():
        punctuation = len(re.findall(r"[^\w\s]", word))
        non_ascii = sum(1 for char in word if not char.isascii())
        total += -(-(len(word) + 1) // _TOKEN_CHARS) + punctuation + non_ascii
    return total


def limit_prompt(
    text: str,
    max_tokens: int = WHISPER_PROMPT_TOKENS,
    *,
    count_tokens: Callable[[str], int] = estimate_tokens,
) -> str:
    """The end of ``text`` that fits in Whisper's prompt, cut at a word boundary.

    Whisper keeps the *end* of a too-long prompt (the text nearest the audio), so this does the same.
    Tokens are counted word by word with ``count_tokens``: the pessimistic ``estimate_tokens`` unless an
    engine passes its model's tokenizer (Whisper's BPE never merges across a space, so counting a word
    with its leading space is exact). Whitespace is normalised to single spaces.
    """
    kept: list[str] = []
    used = 0
    for word in reversed(text.split()):
        cost = count_tokens(word)
        if used + cost > max_tokens:
            break
        kept.append(word)
        used += cost
    return " ".join(reversed(kept))
