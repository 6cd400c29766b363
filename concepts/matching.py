"""Finding a concept's terms in text: the matching rules, kept apart from the database.

A concept is named by its term and its aliases ("shared decision-making", "SDM"). Text matches when it
contains one of those names:

- **case-insensitively**, as whole words: "care" matches "Care," but never inside "careful" or
  "healthcare";
- with the **words of a name joined by spaces or hyphens or nothing at all**: "self-care", "self care"
  and "selfcare" are one name;
- with **simple inflections** of every word: plural and possessive (``-s``, ``-es``, ``-'s``), ``-ed``
  and ``-ing``, a final "e" or "y" dropped before them ("coproduce" matches "coproduced", "coproducing";
  "literacy" matches "literacies"). Words of three letters or fewer (acronyms, "SDM") take only ``-s``;
- where names **overlap**, the longest match wins and the shorter one inside it is not counted:
  "shared decision making" is a mention of that concept, not also of "decision making".

These are deliberately simple rules, predictable for an editor; a wrong hit is hidden in the admin.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

_SEPARATOR = r"[\s\u2010-\u2015-]*"  # spaces, hyphens and dashes, or nothing
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")


def _word_pattern(word: str) -> str:
    lower = word.lower()
    if len(lower) <= 3:
        return re.escape(lower) + r"(?:s|'s)?"
    if lower.endswith("e"):
        return re.escape(lower[:-1]) + r"(?:e|es|e's|ed|ing)"
    if lower.endswith("y") and lower[-2:-1] not in "aeiou":
        return re.escape(lower[:-1]) + r"(?:y|y's|ies|ied|ying)"
    if lower.endswith("s"):
        return re.escape(lower) + r"(?:es|'s|')?"
    return re.escape(lower) + r"(?:s|es|'s|s'|ed|ing)?"


def literal_prefix(name: str) -> str:
    """Lower-case text that every match of ``name`` contains (case-insensitively): its first word, less a
    final letter an inflection may change. For narrowing candidates in the database before matching."""
    words = _WORD.findall(name)
    if not words:
        return ""
    first = words[0].lower()
    return first[:-1] if len(first) > 3 and first[-1] in "ey" else first


def name_pattern(name: str) -> str | None:
    """The regular expression (without flags) for one name, or None when it has no word in it."""
    words = _WORD.findall(name)
    if not words:
        return None
    return _SEPARATOR.join(_word_pattern(word) for word in words)


@dataclass(frozen=True)
class Match:
    key: Hashable  # whatever identifies the concept to the caller
    start: int
    end: int
    text: str


class Matcher:
    """Finds the names of many concepts in text in one pass per concept; built once, used on many texts.

    ``names`` maps a concept's key to its names (term and aliases).
    """

    def __init__(self, names: dict[Hashable, Iterable[str]]):
        self.patterns: list[tuple[Hashable, re.Pattern]] = []
        for key, concept_names in names.items():
            patterns = sorted(
                {p for p in map(name_pattern, concept_names) if p}, key=len, reverse=True
            )  # longer first, so that "teach-back method" is tried before "teach-back"
            if patterns:
                alternatives = "|".join(f"(?:{p})" for p in patterns)
                self.patterns.append((key, re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)))

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def find(self, text: str) -> list[Match]:
        """Every non-overlapping match in ``text``, in order; where matches of different concepts overlap,
        the longest wins (the earlier one on a tie)."""
        found = [
            Match(key, m.start(), m.end(), m.group())
            for key, pattern in self.patterns
            for m in pattern.finditer(text)
        ]
        found.sort(key=lambda m: (-(m.end - m.start), m.start))
        kept: list[Match] = []
        for match in found:
            if all(match.end <= other.start or match.start >= other.end for other in kept):
                kept.append(match)
        return sorted(kept, key=lambda m: m.start)

    def keys_in(self, text: str) -> list[Hashable]:
        """The concepts mentioned in ``text``, each once, in order of first mention."""
        return list(dict.fromkeys(match.key for match in self.find(text)))
