"""Chapters suggested from the transcript: the method (transcripts/chapters.py) on transcripts written for
the purpose. The admin page that offers them is tested in test_chapter_suggestions.py."""

import random

import pytest

from episodes.factories import AudioFileFactory
from tests.transcripts.chapter_samples import DECISIONS, MEDICATION, SELF_CARE, segments
from transcripts.chapters import Suggestion, stem, suggest_chapters
from transcripts.models import Segment, Transcript

# Words a title may take from each topic.
TOPIC_WORDS = {
    id(DECISIONS): {"decision", "decisions", "patients", "patient", "options", "shared", "clinician"},
    id(MEDICATION): {
        "tablets",
        "dose",
        "doses",
        "medicines",
        "medication",
        "pharmacist",
        "pharmacy",
        "drugs",
    },
    id(SELF_CARE): {"self", "care", "home", "friends", "exercise", "sleep", "walking"},
}


def title_words(suggestion):
    return set(suggestion.title.lower().replace(",", " ").split())


@pytest.mark.parametrize("seconds", [6, 9, 12])
@pytest.mark.parametrize(
    "topics",
    [
        (DECISIONS, MEDICATION, SELF_CARE),
        (SELF_CARE, DECISIONS, MEDICATION),
        (MEDICATION, SELF_CARE, DECISIONS),
    ],
    ids=["decisions-first", "self-care-first", "medication-first"],
)
def test_three_topics_give_three_chapters_at_the_changes(topics, seconds):
    rows = segments(*topics, seconds=seconds)
    topic_ms = len(DECISIONS) * seconds * 1000

    chapters = suggest_chapters(rows, min_chapter_ms=60_000)

    assert [c.start_ms for c in chapters][0] == 0
    assert len(chapters) == 3
    for chapter, true_start in zip(chapters[1:], (topic_ms, 2 * topic_ms), strict=True):
        # Within one segment of where the topic really changes, and at a segment's start.
        assert abs(chapter.start_ms - true_start) <= seconds * 1000
        assert chapter.start_ms in {row["start_ms"] for row in rows}
        assert chapter.score > 0.3
    for chapter, topic in zip(chapters, topics, strict=True):
        assert title_words(chapter) & TOPIC_WORDS[id(topic)], chapter.title
        for other in topics:
            if other is not topic:
                assert not title_words(chapter) & TOPIC_WORDS[id(other)], chapter.title


def test_the_default_settings_find_the_same_changes_in_a_nine_minute_talk():
    chapters = suggest_chapters(segments(DECISIONS, MEDICATION, SELF_CARE))

    assert [round(c.start_ms / 9000) for c in chapters] in ([0, 20, 40], [0, 21, 40])
    assert chapters[0].title == "Decision, patients, options"
    assert chapters[0].keywords == ("decision", "patients", "options")


@pytest.mark.parametrize(
    "topic", [DECISIONS, MEDICATION, SELF_CARE], ids=["decisions", "medication", "self-care"]
)
@pytest.mark.parametrize("seconds", [6, 9, 12])
def test_a_talk_on_one_topic_is_one_chapter(topic, seconds):
    chapters = suggest_chapters(segments(topic, seconds=seconds), min_chapter_ms=60_000)

    assert [c.start_ms for c in chapters] == [0]
    assert title_words(chapters[0]) & TOPIC_WORDS[id(topic)]


def test_no_segments_no_chapters():
    assert suggest_chapters([]) == []


@pytest.mark.parametrize(
    ("texts", "title", "keywords"),
    [
        (["Hello and welcome."], "Hello, welcome", ("hello", "welcome")),
        (["Um.", "Yeah, so."], "Um. Yeah, so.", ()),  # no topic words: titled by its opening words
        (["", "   "], "Chapter 1", ()),
    ],
)
def test_a_very_short_transcript_is_one_chapter(texts, title, keywords):
    rows = [{"start_ms": 2000 * i, "end_ms": 2000 * i + 1500, "text": text} for i, text in enumerate(texts)]
    assert suggest_chapters(rows) == [Suggestion(start_ms=0, title=title, keywords=keywords)]


def test_segment_rows_from_the_database_work_as_well(db, audio_dir):
    transcript = Transcript.objects.create(audio=AudioFileFactory(path=audio_dir / "tone.mp3"), status="done")
    Segment.objects.bulk_create(
        Segment(transcript=transcript, index=i, **row)
        for i, row in enumerate(segments(DECISIONS, MEDICATION, SELF_CARE))
    )
    assert suggest_chapters(transcript.segments.all()) == suggest_chapters(
        segments(DECISIONS, MEDICATION, SELF_CARE)
    )


def test_chapters_are_never_shorter_than_the_minimum():
    rows = segments(DECISIONS, MEDICATION, SELF_CARE)  # topics change at 3:00 and 6:00, ends at 9:00
    end = rows[-1]["end_ms"]

    chapters = suggest_chapters(rows, min_chapter_ms=175_000)

    starts = [c.start_ms for c in chapters] + [end]
    assert len(chapters) == 2  # the two changes are 3 minutes apart: only one can be kept
    assert all(b - a >= 175_000 for a, b in zip(starts, starts[1:], strict=False))
    assert len(suggest_chapters(rows, min_chapter_ms=170_000)) == 3
    assert [c.start_ms for c in suggest_chapters(rows, min_chapter_ms=end)] == [0]


def test_no_more_chapters_than_asked_for_the_clearest_changes_first():
    rows = segments(DECISIONS, MEDICATION, SELF_CARE)
    everything = suggest_chapters(rows, min_chapter_ms=60_000)
    deepest = max(everything[1:], key=lambda c: c.score)

    two = suggest_chapters(rows, min_chapter_ms=60_000, max_chapters=2)

    assert [c.start_ms for c in two] == [0, deepest.start_ms]
    assert [c.start_ms for c in suggest_chapters(rows, max_chapters=1)] == [0]


def test_the_same_segments_in_any_order_give_the_same_suggestions():
    rows = segments(DECISIONS, MEDICATION, SELF_CARE)
    shuffled = rows[:]
    random.Random(4).shuffle(shuffled)  # noqa: S311 (a fixed order, not a secret)

    assert suggest_chapters(shuffled) == suggest_chapters(rows) == suggest_chapters(rows)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"start_ms": -5, "end_ms": 10, "text": "x"}, "Segment 1: start_ms must be whole milliseconds"),
        ({"start_ms": 5.5, "end_ms": 10, "text": "x"}, "Segment 1: start_ms must be whole milliseconds"),
        ({"start_ms": 5000, "end_ms": 10, "text": "x"}, "Segment 1: ends (10 ms) before it starts (5000 ms)"),
        ({"start_ms": 5000, "end_ms": 6000, "text": None}, "Segment 1: text must be a string"),
        ({"start_ms": 5000, "text": "x"}, "Segment 1: end_ms must be whole milliseconds"),
    ],
)
def test_a_malformed_segment_is_named_in_the_error(row, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        suggest_chapters([{"start_ms": 0, "end_ms": 900, "text": "Hello."}, row])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_chapters": 0}, "max_chapters must be a whole number of at least 1, not 0"),
        ({"min_chapter_ms": "60"}, "min_chapter_ms must be a whole number of at least 1, not '60'"),
        ({"window_ms": -1}, "window_ms must be"),
        ({"min_depth": 3}, "min_depth must be between 0 and 2"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(options, message):
    with pytest.raises(ValueError, match=message):
        suggest_chapters([], **options)


@pytest.mark.parametrize(
    "forms", [("dose", "doses"), ("deciding", "decided", "decides"), ("hospital", "hospitals"), ("status",)]
)
def test_forms_of_a_word_are_counted_as_one(forms):
    assert len({stem(form) for form in forms}) == 1
    assert all(len(stem(form)) >= 3 for form in forms)
