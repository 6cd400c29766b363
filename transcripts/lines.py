"""Lines a person would cut: the engine's segments re-cut, by their word timings, into sentences and short
runs of speech.

Whisper's own segments follow its 30-second decoding windows, not the speech: with a glossary prompt tiny.en
often returns one segment for half a minute of talk, so a moment link lands far too early and follow-along
highlights a paragraph. Here the words of consecutive segments are read as one stream and cut again:

- a line never crosses a sentence end (``.``, ``?``, ``!``), a silence (``silence_ms``) or a change of
  speaker;
- a line longer than ``LineRules.target_ms`` is cut in two at its best break, again and again until every
  piece fits: a sentence end first, then a pause (a gap of ``pause_ms`` or more between words, or where the
  engine itself ended a segment), then a comma (``,`` ``;`` ``:`` or a dash), then the largest gap between
  two words; never inside a word;
- a cut leaves no piece shorter than ``min_ms`` or ``min_words`` where another cut can avoid it (a whole
  sentence may be short: "Yes." is a line, and so is "Okay," alone before a silence).

So no line is longer than ``max_ms`` unless one word is (Whisper's words last about a second). Captions keep
their own cue rules (``formats.py``); these are the stored segments, which pages, search and concepts quote.

Speakers: ``speaker_of`` (a function of a word, e.g. a lookup in the turns a diarization step found) makes
each change of speaker a break and names each line's speaker. Without it, lines have no speaker.

Pure functions over ``engines.base`` results, streaming: an hour of speech is cut a sentence at a time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from .engines.base import SegmentResult, Word


@dataclass(frozen=True)
class LineRules:
    max_ms: int = 15_000  # no line longer (unless a single word is)
    target_ms: int = 8_000  # a longer line is cut at its best break
    min_ms: int = 1_000  # no shorter piece where a cut can avoid it...
    min_words: int = 2  # ...nor one of fewer words
    pause_ms: int = 500  # a gap this long between words is a pause
    silence_ms: int = 2_000  # and one this long ends the line, as a sentence end does


RULES = LineRules()


@dataclass(frozen=True)
class Line(SegmentResult):
    """A line to store as a segment: a ``SegmentResult`` with the speaker of its words ("" if unknown)."""

    speaker: str = ""


SpeakerOf = Callable[[Word], str | None]

# Break strengths, strongest first. A line is cut at its strongest break; sentence ends always cut.
SENTENCE, PAUSE, COMMA, GAP = 3, 2, 1, 0

_CLOSERS = re.escape("\"'”’)]»")
_SENTENCE_END = re.compile(rf"[.!?…。！？][{_CLOSERS}]*$")
_ELLIPSIS = re.compile(rf"(\.\.\.|…)[{_CLOSERS}]*$")
_COMMA = re.compile(rf"([,;:，、；：]|\s?[-–—])[{_CLOSERS}]*$")
# Words ending in a full stop that seldom end a sentence: titles, "e.g.", initials ("J.").
_ABBREVIATIONS = {"mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "e.g.", "i.e.", "vs.", "cf.", "no."}
_INITIAL = re.compile(r"^[A-Z]\.$")


@dataclass(frozen=True)
class _Token:
    """A word with its text as it stands in the segment's text (punctuation and all) and whether a space
    comes before it there (not in Chinese or Japanese, for example)."""

    word: Word
    text: str
    spaced: bool
    segment_end: bool  # the engine ended a segment after this word


def ends_sentence(text: str) -> bool:
    text = text.strip()
    if not _SENTENCE_END.search(text) or _ELLIPSIS.search(text):
        return False
    return text.lower() not in _ABBREVIATIONS and not _INITIAL.match(text)


def _strength(token: _Token, following: _Token, rules: LineRules) -> int:
    if ends_sentence(token.text):
        return SENTENCE
    if token.segment_end or following.word.start_ms - token.word.end_ms >= rules.pause_ms:
        return PAUSE
    if _COMMA.search(token.text) or _ELLIPSIS.search(token.text):
        return COMMA
    return GAP


def _tokens(segment: SegmentResult) -> list[_Token]:
    """The segment's words, each with its stretch of the segment's text: from where the word starts there
    to where the next one does (so the text between them, punctuation included, goes with the word before).
    Words that cannot be found in order in the text keep their own text, spaced."""
    words = segment.words
    text = segment.text
    starts: list[int] = []
    position = 0
    for word in words:
        found = text.find(word.text, position) if word.text else -1
        if found < 0:
            starts = []
            break
        starts.append(found)
        position = found + len(word.text)
    last = len(words) - 1
    if not starts:
        return [_Token(w, w.text, True, i == last) for i, w in enumerate(words)]
    tokens = []
    for i, word in enumerate(words):
        begin = 0 if i == 0 else starts[i]
        end = starts[i + 1] if i < last else len(text)
        spaced = i == 0 or text[begin - 1 : begin].isspace()
        tokens.append(_Token(word, text[begin:end].strip(), spaced, i == last))
    return tokens


def _text(tokens: Sequence[_Token]) -> str:
    parts: list[str] = []
    for token in tokens:
        if not token.text:  # a word Whisper gave as a bare space
            continue
        if parts and token.spaced:
            parts.append(" ")
        parts.append(token.text)
    return "".join(parts)


def _duration(tokens: Sequence[_Token]) -> int:
    return tokens[-1].word.end_ms - tokens[0].word.start_ms


def _best_cut(tokens: Sequence[_Token], rules: LineRules) -> int | None:
    """Where to cut ``tokens`` in two (the index of the first word after the cut), or None for one word.

    The strongest break wins; among pauses and plain gaps the longest, among sentence ends and commas the one
    that leaves the longer piece shortest. Cuts that leave a too-short piece are taken only if there are
    no others."""
    first_start, last_end = tokens[0].word.start_ms, tokens[-1].word.end_ms
    candidates = []
    for k in range(1, len(tokens)):
        before, after = tokens[k - 1], tokens[k]
        strength = _strength(before, after, rules)
        gap = after.word.start_ms - before.word.end_ms
        left, right = before.word.end_ms - first_start, last_end - after.word.start_ms
        longer = max(left, right)
        preference = gap if strength in (PAUSE, GAP) else -longer
        fits = min(k, len(tokens) - k) >= rules.min_words and min(left, right) >= rules.min_ms
        candidates.append(((fits, strength, preference, -longer), k))
    if not candidates:
        return None
    return max(candidates)[1]


def _cut(tokens: Sequence[_Token], rules: LineRules) -> list[Sequence[_Token]]:
    """``tokens`` (no sentence end or change of speaker inside) as lines of at most ``target_ms`` where
    possible."""
    pieces, out = [tokens], []
    while pieces:
        piece = pieces.pop()
        k = _best_cut(piece, rules) if _duration(piece) > rules.target_ms else None
        if k is None:
            out.append(piece)
        else:
            pieces += [piece[k:], piece[:k]]  # the earlier piece is cut (or kept) first
    return out


def _line(tokens: Sequence[_Token], speaker: str | None) -> Line:
    return Line(
        start_ms=tokens[0].word.start_ms,
        end_ms=max(token.word.end_ms for token in tokens),
        text=_text(tokens),
        words=tuple(token.word for token in tokens),
        speaker=speaker or "",
    )


def split_lines(
    segments: Iterable[SegmentResult],
    *,
    rules: LineRules = RULES,
    speaker_of: SpeakerOf | None = None,
) -> Iterator[Line]:
    """The engine's ``segments`` re-cut into lines (see the module's docstring), lazily, in order.

    A segment without word timings cannot be cut and is kept as it is (it also ends the line before it).
    ``speaker_of(word)`` gives a word's speaker, or None when unknown (a None never changes speaker).
    """
    run: list[_Token] = []
    speaker: str | None = None
    # A run that grows this long without a sentence end is cut, and all but its last line given out, so
    # that speech without punctuation is never held whole.
    hold_ms = 4 * rules.max_ms

    def flush(keep_last: bool = False) -> Iterator[Line]:
        nonlocal run
        pieces = _cut(run, rules) if run else []
        if keep_last and pieces:
            *pieces, last = pieces
            run = list(last)
        else:
            run = []
        for piece in pieces:
            yield _line(piece, speaker)

    for segment in segments:
        if not segment.words:
            yield from flush()
            yield Line(segment.start_ms, segment.end_ms, segment.text.strip(), ())
            continue
        for token in _tokens(segment):
            said_by = speaker_of(token.word) if speaker_of else None
            changed = said_by is not None and speaker is not None and said_by != speaker
            if changed or run and token.word.start_ms - run[-1].word.end_ms >= rules.silence_ms:
                yield from flush()
            if said_by is not None:
                speaker = said_by
            run.append(token)
            if ends_sentence(token.text):
                yield from flush()
            elif _duration(run) > hold_ms:
                yield from flush(keep_last=True)
    yield from flush()
