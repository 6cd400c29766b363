"""Chapters suggested from a transcript: headings proposed where the topic changes.

The method is TextTiling (Hearst, 1997, "TextTiling: Segmenting Text into Multi-paragraph Subtopic
Passages") kept small, with time instead of sentence counts. A topic change shows as a drop in the words
the speakers share before and after a moment.

1. **Words.** Each segment's text is lowercased and split into words; numbers, words of one or two
   letters and the common English words in ``STOP_WORDS`` (with the fillers of speech: "um", "yeah",
   "actually") are dropped, and a few endings are cut off (``stem``) so that "medicine", "medicines" and
   "medicinal" count as one word more often than not. Crude, but the same word is always cut the same way.
2. **Gaps.** Every segment start is a possible chapter start (so a suggestion never falls mid-sentence).
   For each, the words of the segments starting within ``window_ms`` before it are compared with the words
   of those starting within ``window_ms`` from it: the cosine similarity of the two word counts, 0 when
   the two stretches share no word, 1 when their words are in the same proportions. The default window,
   90 seconds, holds about 200 spoken words, the size of Hearst's blocks; shorter windows hold too few
   words to tell a change of topic from a change of sentence. Each similarity is then averaged with its
   two neighbours' to smooth out single odd sentences, as Hearst does. Gaps closer than half a window to
   either end are left out: their windows are cut short and their similarities are noise.
3. **Depth.** A topic change is a valley in that similarity. Its depth is how far the similarity climbs
   again on both sides: (highest point reached going left while rising − valley) + (the same going
   right), so between 0 and 2. A valley counts when its depth is above Hearst's cut-off, mean − ½
   standard deviation of the depths at all gaps (0 where there is no valley), and above ``min_depth``
   (0.3: a talk on one topic has valleys too, but in our tests none deeper than about 0.25, while a change
   of topic gives 0.4 or more).
4. **Choice.** The deepest valleys are taken first, skipping any that would make a chapter shorter than
   ``min_chapter_ms`` (counted from the start, from the other chapters and to the end of the last
   segment), until there are ``max_chapters`` chapters. A first chapter always starts at 0.
5. **Titles.** Each chapter is titled with its three most distinctive words: ranked by tf-idf, how often
   the word occurs in that chapter against in how many of the chapters it occurs, so that a word heard
   throughout the episode does not title every chapter. Each word is shown in the form most often spoken,
   e.g. "Tablets, dose, medicines". A chapter without any such word is titled by its opening words.

Everything is deterministic: the same segments give the same suggestions. Only English is understood
well (the stop words are English); in other languages common words stay in and fewer changes are found.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from statistics import fmean, pstdev

DEFAULT_WINDOW_MS = 90_000
DEFAULT_MIN_CHAPTER_MS = 120_000
DEFAULT_MAX_CHAPTERS = 12
DEFAULT_MIN_DEPTH = 0.3
TITLE_WORDS = 3
TITLE_MAX_CHARS = 60

# Function words and the fillers of conversation: they say nothing about the topic.
_STOP_WORDS = """
    about above after again against all also although always among and another any anyone anything are
    around because been before being below between both but can cannot could did does doing done down
    during each either else even ever every few for from further get gets getting got had has have having
    her here hers herself him himself his how however into its itself just least less let lot lots made
    make makes making many may maybe might more most much must myself near need needs never next nor not
    now off often once one ones only onto other others our ours ourselves out over own per perhaps put
    quite rather really said same say saying says see seen shall she should since some someone something
    sometimes still such than that the their theirs them themselves then there these they thing things
    think this those though through thus too toward towards under until upon very want wants was way ways
    well were what whatever when where whether which while who whom whose why will with within without
    would yes yet you your yours yourself yourselves able actually ago already anyway back basically bit
    come comes coming definitely did didn doesn don going gonna good great guess isn just kind know knows
    like little long look looking mean means new okay right sort sure take talk talking tell thank thanks
    time times today told took try trying use used using wasn went yeah yep absolutely course first
    last lots obviously ones part pretty probably second stuff three two wouldn couldn shouldn aren weren
    hasn haven hadn won isn ain hmm uhm umm mhm erm
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")
# Endings cut after a plural "s": (ending, replacement), longest first; the first that fits is cut if it
# leaves at least three letters.
_SUFFIXES = (
    ("ation", ""),
    ("ness", ""),
    ("ment", ""),
    ("ing", ""),
    ("ied", "y"),
    ("ed", ""),
    ("er", ""),
    ("ly", ""),
    ("al", ""),
)


@dataclass(frozen=True)
class Suggestion:
    """A proposed chapter: where it starts, a title to edit, the words the title came from and how sure
    the method is (the depth of the valley at its start; 0 for the opening chapter, which is always
    suggested)."""

    start_ms: int
    title: str
    keywords: tuple[str, ...] = ()
    score: float = 0.0


def stem(word: str) -> str:
    """Cut a plural, then one common English ending, then a final "e" off ``word`` (lowercase): "doses"
    and "dose" -> "dos"; "deciding", "decided" and "decides" -> "decid"; "hospitals" -> "hospit". Not a
    real stemmer; that the same word is always cut the same way is what matters here."""
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and len(word) > 3 and word[-2] not in "sui":  # not "process", "status", "basis"
        word = word[:-1]
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + replacement
            break
    if word.endswith("e") and len(word) >= 4:
        word = word[:-1]
    return word


def words(text: str) -> list[tuple[str, str]]:
    """The topic words of ``text`` as ``(stem, word as spoken)`` pairs, in order."""
    found = []
    for word in _WORD.findall(text.lower()):
        word = word.split("'")[0]  # "patient's" -> "patient", "don't" -> "don"
        if len(word) >= 3 and word not in STOP_WORDS:
            found.append((stem(word), word))
    return found


def suggest_chapters(
    segments: Iterable,
    *,
    min_chapter_ms: int = DEFAULT_MIN_CHAPTER_MS,
    max_chapters: int = DEFAULT_MAX_CHAPTERS,
    window_ms: int = DEFAULT_WINDOW_MS,
    min_depth: float = DEFAULT_MIN_DEPTH,
) -> list[Suggestion]:
    """Chapters for a transcript, first at 0 ms, in time order; ``[]`` for a transcript without segments.

    ``segments`` are objects (such as ``Segment`` rows) or mappings with ``start_ms``, ``end_ms`` and
    ``text``, in any order. See the module's docstring for the method.
    """
    _check_positive(min_chapter_ms=min_chapter_ms, max_chapters=max_chapters, window_ms=window_ms)
    if not 0 <= min_depth <= 2:
        raise ValueError(f"min_depth must be between 0 and 2 (a depth is at most 2), not {min_depth!r}")
    rows = sorted((_row(segment, number) for number, segment in enumerate(segments)), key=lambda r: r[:2])
    if not rows:
        return []

    starts = [start for start, _, _ in rows]
    counts = [Counter(stemmed for stemmed, _ in words(text)) for _, _, text in rows]
    end = max(end for _, end, _ in rows)

    # One gap before every segment that starts later than the one before it.
    gaps = [i for i in range(1, len(rows)) if starts[i] > starts[i - 1]]
    similarity = _smooth([_similarity(starts, counts, i, window_ms) for i in gaps])
    depth = _valley_depths(similarity)

    margin = window_ms // 2
    inside = [(depth[g], starts[i]) for g, i in enumerate(gaps) if margin <= starts[i] <= end - margin]
    chosen: list[tuple[int, float]] = []
    if inside:
        values = [d for d, _ in inside]
        cutoff = max(fmean(values) - pstdev(values) / 2, min_depth)
        for d, start in sorted(inside, key=lambda v: (-v[0], v[1])):
            if len(chosen) + 1 >= max_chapters:
                break
            if d <= cutoff:
                break
            edges = [0, end, *(s for s, _ in chosen)]
            if all(abs(start - edge) >= min_chapter_ms for edge in edges):
                chosen.append((start, d))
    chosen.sort()

    bounds = [(0, 0.0), *chosen]
    chapter_rows: list[list[int]] = [[] for _ in bounds]
    chapter = 0
    for i, start in enumerate(starts):
        while chapter + 1 < len(bounds) and start >= bounds[chapter + 1][0]:
            chapter += 1
        chapter_rows[chapter].append(i)
    return [
        Suggestion(start_ms=start, title=title, keywords=keywords, score=round(score, 4))
        for (start, score), (title, keywords) in zip(
            bounds, _titles([[rows[i][2] for i in members] for members in chapter_rows]), strict=True
        )
    ]


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")


def _row(segment, number: int) -> tuple[int, int, str]:
    """``(start_ms, end_ms, text)`` of a segment, or a ValueError that says which one is wrong."""
    get = segment.get if isinstance(segment, Mapping) else lambda name: getattr(segment, name, None)
    start, end, text = get("start_ms"), get("end_ms"), get("text")
    for name, value in (("start_ms", start), ("end_ms", end)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(
                f"Segment {number}: {name} must be whole milliseconds of 0 or more, not {value!r}"
            )
    if end < start:
        raise ValueError(f"Segment {number}: ends ({end} ms) before it starts ({start} ms)")
    if not isinstance(text, str):
        raise ValueError(f"Segment {number}: text must be a string, not {type(text).__name__}")
    return start, end, text


def _similarity(starts: list[int], counts: list[Counter], gap: int, window_ms: int) -> float:
    """Cosine similarity of the words of the segments starting within ``window_ms`` before segment
    ``gap`` and those starting within ``window_ms`` from it."""
    at = starts[gap]
    left, right = Counter(), Counter()
    i = gap - 1
    while i >= 0 and starts[i] >= at - window_ms:
        left.update(counts[i])
        i -= 1
    i = gap
    while i < len(starts) and starts[i] < at + window_ms:
        right.update(counts[i])
        i += 1
    dot = sum(n * right[word] for word, n in left.items())
    if not dot:
        return 0.0
    norm = math.sqrt(sum(n * n for n in left.values())) * math.sqrt(sum(n * n for n in right.values()))
    return dot / norm


def _smooth(values: list[float]) -> list[float]:
    """Each value averaged with its neighbours (one on each side)."""
    return [fmean(values[max(0, i - 1) : i + 2]) for i in range(len(values))]


def _valley_depths(similarity: list[float]) -> list[float]:
    """Depth of each local minimum of ``similarity`` (Hearst's depth score); 0 elsewhere."""
    depths = []
    last = len(similarity) - 1
    for g, value in enumerate(similarity):
        is_valley = (g == 0 or similarity[g - 1] >= value) and (g == last or similarity[g + 1] >= value)
        if not is_valley:
            depths.append(0.0)
            continue
        left = g
        while left > 0 and similarity[left - 1] >= similarity[left]:
            left -= 1
        right = g
        while right < last and similarity[right + 1] >= similarity[right]:
            right += 1
        depths.append((similarity[left] - value) + (similarity[right] - value))
    return depths


def _titles(chapters: list[list[str]]) -> list[tuple[str, tuple[str, ...]]]:
    """A ``(title, keywords)`` pair per chapter, from its texts (see step 5 of the module's docstring)."""
    spoken: dict[str, Counter] = {}
    chapter_counts = []
    for texts in chapters:
        count = Counter()
        for text in texts:
            for stemmed, word in words(text):
                count[stemmed] += 1
                spoken.setdefault(stemmed, Counter())[word] += 1
        chapter_counts.append(count)
    document_frequency = Counter(stemmed for count in chapter_counts for stemmed in count)
    n = len(chapters)

    titles = []
    for number, (texts, count) in enumerate(zip(chapters, chapter_counts, strict=True), start=1):
        total = sum(count.values())
        ranked = sorted(
            count,
            key=lambda s: (
                -(count[s] / total) * (math.log((1 + n) / (1 + document_frequency[s])) + 1),
                -count[s],
                s,
            ),
        )
        keywords = tuple(_most_spoken(spoken[s]) for s in ranked[:TITLE_WORDS])
        if keywords:
            title = ", ".join(keywords)
            title = title[0].upper() + title[1:]
        else:
            title = _opening_words(" ".join(texts)) or f"Chapter {number}"
        titles.append((title, keywords))
    return titles


def _most_spoken(forms: Counter) -> str:
    return min(forms, key=lambda form: (-forms[form], len(form), form))


def _opening_words(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= TITLE_MAX_CHARS:
        return text
    cut = text[: TITLE_MAX_CHARS + 1].rsplit(" ", 1)[0].rstrip(",;:.-")
    return cut + "…"
