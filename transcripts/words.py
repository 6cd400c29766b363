"""The words of a line (``Segment.words``: ``[start_ms, end_ms, text, probability]`` lists): which ones the
engine was unsure of, for the editor to check first, and their timings kept across an editor's correction.

Follow-along and moment links use the word timings, so a correction must not lose them: the words the
editor left alone keep their times, and only new or changed words get times, spread over the stretch their
neighbours leave them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from django.conf import settings

UNCERTAIN_BELOW = 0.5


def uncertain_below() -> float:
    """Words given a probability under this are marked uncertain (``TRANSCRIPT_UNCERTAIN_BELOW``)."""
    return float(getattr(settings, "TRANSCRIPT_UNCERTAIN_BELOW", UNCERTAIN_BELOW))


@dataclass(frozen=True)
class ReviewWord:
    """A word as the review screen shows it. ``start``/``end`` are where it stands in the line's text (for
    selecting it in the editor), or None when the text no longer has it there."""

    text: str
    probability: float | None
    uncertain: bool
    start: int | None
    end: int | None

    @property
    def percent(self) -> int | None:
        return None if self.probability is None else round(self.probability * 100)


def review_words(text: str, words: Sequence[Sequence], threshold: float | None = None) -> list[ReviewWord]:
    """The line's words, those with a probability under ``threshold`` marked uncertain. A word without a
    probability (typed by an editor, or imported) is never uncertain."""
    threshold = uncertain_below() if threshold is None else threshold
    shown, position = [], 0
    for word in words:
        said, probability = str(word[2]), word[3]
        found = text.find(said, position) if said else -1
        start = end = None
        if found >= 0:
            start, end = found, found + len(said)
            position = end
        uncertain = probability is not None and probability < threshold
        shown.append(ReviewWord(said, probability, uncertain, start, end))
    return shown


def _key(token: str) -> str:
    """What makes a word the same word: its letters and digits, whatever the case and punctuation, so that
    adding a comma or a capital keeps the word's timing."""
    return re.sub(r"[^\w']", "", token.casefold()) or token


def _spread(tokens: Sequence[str], start_ms: int, end_ms: int) -> list[list]:
    """New words over ``start_ms..end_ms``, each given time in proportion to its length."""
    end_ms = max(end_ms, start_ms)
    weights = [len(token) + 1 for token in tokens]
    total, done, words = sum(weights), 0, []
    for token, weight in zip(tokens, weights, strict=True):
        begin = start_ms + (end_ms - start_ms) * done // total
        done += weight
        words.append([begin, start_ms + (end_ms - start_ms) * done // total, token, None])
    return words


def retime(words: Sequence[Sequence], text: str, start_ms: int, end_ms: int) -> list[list]:
    """``words`` after the line's text became ``text`` and its times ``start_ms..end_ms``.

    A word-level diff (difflib) of the old words and the new text: words that did not change keep their
    timing and probability (with the editor's spelling, when only case or punctuation changed); a changed
    word takes the time of the words it replaced; an inserted word the gap between its neighbours (or the
    line's start or end). Every time is then held inside the line. A line without word timings (imported
    captions) gets none: nothing would be kept, only invented.
    """
    if not words:
        return []
    old = [list(word) for word in words]
    new = text.split()
    matcher = SequenceMatcher(a=[_key(w[2]) for w in old], b=[_key(t) for t in new], autojunk=False)
    result: list[list] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                result.append([old[i][0], old[i][1], new[j], old[i][3]])
        elif tag == "replace":
            result += _spread(new[j1:j2], old[i1][0], old[i2 - 1][1])
        elif tag == "insert":
            before = result[-1][1] if result else start_ms
            after = old[i1][0] if i1 < len(old) else end_ms
            result += _spread(new[j1:j2], min(before, after), after)
    for word in result:  # inside the line, in order
        word[0] = min(max(word[0], start_ms), end_ms)
        word[1] = min(max(word[1], word[0]), end_ms)
    return result
