"""Line splitting (transcripts/lines.py): the rules on examples, then as properties over any words Whisper
could give (hypothesis)."""

from __future__ import annotations

import itertools
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transcripts.engines.base import SegmentResult, Word
from transcripts.lines import RULES, LineRules, ends_sentence, split_lines


def segment(*words: tuple[int, int, str], text: str | None = None) -> SegmentResult:
    """A segment of ``(start_ms, end_ms, text)`` words; its text is theirs, spaced, unless given."""
    timed = tuple(Word(start, end, said, 0.9) for start, end, said in words)
    return SegmentResult(
        start_ms=timed[0].start_ms,
        end_ms=timed[-1].end_ms,
        text=text if text is not None else " ".join(w.text for w in timed),
        words=timed,
    )


def speech(text: str, *, start_ms: int = 0, word_ms: int = 400, gap_ms: int = 100, pauses=None):
    """Words of ``text`` one after another, each ``word_ms`` long and ``gap_ms`` apart; ``pauses`` maps a
    word's index to a longer gap before it."""
    pauses = pauses or {}
    words, at = [], start_ms
    for i, said in enumerate(text.split()):
        at += pauses.get(i, gap_ms if i else 0)
        words.append((at, at + word_ms, said))
        at += word_ms
    return words


def texts(segments, **options) -> list[str]:
    return [line.text for line in split_lines(segments, **options)]


def test_a_long_segment_is_cut_at_its_sentence_ends():
    said = (
        "So what did the doctor say? She said we could decide together. "
        "I liked that, because nobody had asked me before. Really!"
    )
    assert texts([segment(*speech(said))]) == [
        "So what did the doctor say?",
        "She said we could decide together.",
        "I liked that, because nobody had asked me before.",
        "Really!",  # a whole sentence may be short
    ]


def test_segments_that_end_inside_a_sentence_are_joined():
    first = segment(*speech("and then the"))
    second = segment(*speech("nurse came in.", start_ms=first.end_ms + 100))
    (line,) = split_lines([first, second])
    assert line.text == "and then the nurse came in."
    assert (line.start_ms, line.end_ms) == (first.start_ms, second.end_ms)
    assert line.words == first.words + second.words


def test_a_long_sentence_is_cut_at_a_pause_before_a_comma():
    words = "we talked about the plan, the tablets and the exercise and then after a while we agreed on it"
    cut = words.split().index("after")
    lines = texts([segment(*speech(words, pauses={cut: 700}))])
    assert lines == [
        "we talked about the plan, the tablets and the exercise and then",
        "after a while we agreed on it",
    ]


def test_without_a_pause_a_comma_then_the_widest_gap():
    words = "we talked about the plan and the tablets, and the exercise that she wanted me to do every day"
    assert texts([segment(*speech(words))]) == [
        "we talked about the plan and the tablets,",
        "and the exercise that she wanted me to do every day",
    ]
    plain = "we talked about the plan and the tablets and the exercise that she wanted me to do every day"
    lines = texts([segment(*speech(plain, pauses={9: 300, 3: 250}))])
    assert lines[0] == "we talked about the plan and the tablets and"


def test_of_two_pauses_the_longer_wins():
    words = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"
    lines = texts([segment(*speech(words, pauses={5: 600, 10: 900}))])
    assert lines[0] == "one two three four five six seven eight nine ten"


def test_a_cut_leaves_no_one_word_or_too_short_piece_when_another_will_do():
    # A comma after the first word, and a long pause before the last: both would leave one word alone.
    words = "Well, " + " ".join(["word"] * 22) + " end"
    lines = list(split_lines([segment(*speech(words, pauses={23: 900}))]))
    assert len(lines) == 2
    assert all(len(line.words) >= RULES.min_words for line in lines)
    assert all(line.end_ms - line.start_ms >= RULES.min_ms for line in lines)


def test_no_line_is_longer_than_the_target_unless_it_is_one_word():
    words = " ".join(f"w{i}" for i in range(80))  # 40 s without punctuation or pauses
    lines = list(split_lines([segment(*speech(words))]))
    assert all(line.end_ms - line.start_ms <= RULES.target_ms for line in lines)
    assert [w for line in lines for w in line.words] == list(segment(*speech(words)).words)
    (word,) = next(split_lines([segment((0, 20_000, "Ohhhhh"))])).words  # never inside a word
    assert word.text == "Ohhhhh"


def test_a_silence_ends_the_line_even_if_that_leaves_it_short():
    """tiny.en on a real meeting: "Okay," then nearly seven seconds of nothing, then more talk."""
    words = speech("Okay, so the view and let's see myself", pauses={1: 6700})
    assert texts([segment(*words)]) == ["Okay,", "so the view and let's see myself"]


def test_abbreviations_and_ellipses_do_not_end_a_sentence():
    assert not ends_sentence("Dr.") and not ends_sentence("e.g.") and not ends_sentence("J.")
    assert not ends_sentence("so...") and not ends_sentence("so…")
    assert ends_sentence("together.") and ends_sentence('"really?"') and ends_sentence("stop!)")
    assert texts([segment(*speech("I saw Dr. Okafor today."))]) == ["I saw Dr. Okafor today."]


def test_the_segments_own_text_is_kept_spacing_and_punctuation_included():
    # Whisper's words can lose what the text has between them; and Japanese has no spaces.
    seg = segment((0, 300, "Hello"), (400, 700, "world"), text="Hello - world")
    assert texts([seg]) == ["Hello - world"]
    japanese = segment((0, 400, "今日は"), (450, 900, "いい"), (950, 1400, "天気。"), text="今日はいい天気。")
    assert texts([japanese]) == ["今日はいい天気。"]


def test_words_not_found_in_the_text_keep_their_own_text():
    seg = segment((0, 300, "Hello"), (400, 700, "there."), text="something else")
    assert texts([seg]) == ["Hello there."]


def test_an_empty_word_adds_no_space():
    seg = segment((0, 300, "Hello"), (300, 310, ""), (400, 700, "there."), text="Hello  there.")
    assert texts([seg]) == ["Hello there."]
    (line,) = split_lines([seg])
    assert len(line.words) == 3


def test_a_segment_without_word_timings_is_kept_as_it_is():
    first = segment(*speech("and so"))
    bare = SegmentResult(3000, 25_000, " No word timings here. ", ())
    lines = list(split_lines([first, bare]))
    assert [(line.start_ms, line.end_ms, line.text) for line in lines] == [
        (first.start_ms, first.end_ms, "and so"),
        (3000, 25_000, "No word timings here."),
    ]


def test_a_change_of_speaker_cuts_the_line_and_names_its_speaker():
    seg = segment(*speech("How are you today Fine thanks and you"))
    turns = {"How": "A", "are": "A", "you": None, "today": "A", "Fine": "B"}

    def speaker_of(word: Word) -> str | None:
        return turns.get(word.text, "B" if word.start_ms > 2000 else None)

    lines = list(split_lines([seg], speaker_of=speaker_of))
    assert [(line.text, line.speaker) for line in lines] == [
        ("How are you today", "A"),
        ("Fine thanks and you", "B"),
    ]
    assert all(line.speaker == "" for line in split_lines([seg]))


def test_lines_are_given_out_a_sentence_at_a_time():
    """An hour of speech is never held whole: the first line comes before the second segment is read."""

    def segments():
        yield segment(*speech("The first sentence ends here."))
        raise AssertionError("read too far")

    assert next(split_lines(segments())).text == "The first sentence ends here."


def test_speech_without_any_sentence_end_is_given_out_as_it_comes():
    read = []

    def segments():
        for n in itertools.count():
            read.append(n)
            yield segment(*speech("and on and on and on", start_ms=n * 3000))

    first = next(split_lines(segments()))
    assert first.end_ms - first.start_ms <= RULES.target_ms
    assert len(read) <= 4 * RULES.max_ms // 3000 + 2


# ------------------------------------------------------------------------------------------------ properties

PUNCTUATION = ["", "", "", "", ",", ".", "?", "!", "...", ";"]


@st.composite
def whisper_output(draw):
    """Segments as an engine gives them: words in order, of 50 ms to 2 s, gaps of 0 to 3 s, some with
    punctuation, grouped into segments of 1 to 40 words."""
    n = draw(st.integers(1, 80))
    at = draw(st.integers(0, 5000))
    words = []
    for i in range(n):
        at += draw(st.integers(0, 3000)) if i else 0
        length = draw(st.integers(50, 2000))
        said = draw(st.sampled_from(["we", "decide", "together", "Dr.", "okay", "a"]))
        words.append(Word(at, at + length, said + draw(st.sampled_from(PUNCTUATION)), 0.5))
        at += length
    sizes = draw(st.lists(st.integers(1, 40), min_size=1, max_size=8))
    segments, position = [], 0
    for size in itertools.cycle(sizes):
        group = tuple(words[position : position + size])
        if not group:
            break
        segments.append(
            SegmentResult(group[0].start_ms, group[-1].end_ms, " ".join(w.text for w in group), group)
        )
        position += size
    return segments


@given(whisper_output())
def test_every_word_is_kept_once_in_order_and_the_text_with_it(segments):
    lines = list(split_lines(segments))
    assert [w for line in lines for w in line.words] == [w for s in segments for w in s.words]
    assert " ".join(line.text for line in lines) == " ".join(s.text for s in segments)
    assert all(line.start_ms <= line.end_ms for line in lines)
    assert all(a.start_ms <= b.start_ms for a, b in itertools.pairwise(lines))


@given(whisper_output())
def test_no_line_is_too_long_or_crosses_a_sentence_end(segments):
    for line in split_lines(segments):
        if len(line.words) > 1:
            assert line.end_ms - line.start_ms <= RULES.target_ms <= RULES.max_ms
        assert not any(ends_sentence(w.text) for w in line.words[:-1]), line.text


@given(
    st.lists(st.tuples(st.integers(200, 600), st.integers(0, 400)), min_size=1, max_size=120),
    st.integers(0, 5),
)
def test_where_a_cut_can_leave_both_pieces_long_enough_no_piece_is_short(timings, comma_every):
    """Speech without sentence ends or pauses, words of 0.2 to 0.6 s: a line too long has a cut leaving
    two words and a second on each side, so no line is shorter (but the whole run, when it is short)."""
    words, at = [], 0
    for i, (length, gap) in enumerate(timings):
        at += gap if i else 0
        comma = "," if comma_every and i % (comma_every + 1) == comma_every else ""
        words.append((at, at + length, f"word{comma}"))
        at += length
    lines = list(split_lines([segment(*words)]))
    if len(lines) > 1:
        for line in lines:
            assert len(line.words) >= RULES.min_words and line.end_ms - line.start_ms >= RULES.min_ms


@given(whisper_output(), st.lists(st.sampled_from(["A", "B", None]), min_size=1))
def test_a_line_has_one_speaker(segments, turns):
    speakers = {}

    def speaker_of(word):
        return speakers.setdefault(word, turns[len(speakers) % len(turns)])

    for line in split_lines(segments, speaker_of=speaker_of):
        said_by = {speakers[w] for w in line.words} - {None}
        assert len(said_by) <= 1
        if said_by:
            assert line.speaker == said_by.pop()


# ------------------------------------------------------------------------------- conversational speech shape


@pytest.mark.parametrize("rules", [RULES, LineRules(target_ms=6000)])
def test_a_23_second_line_of_conversation_comes_back_as_lines_a_person_would_cut(rules):
    """The issue's phone call: tiny.en with the glossary prompt gave one 23-second segment, commas and a
    few sentence ends in it."""
    said = (
        "Hello, is that the clinic? Yes, this is Amara speaking, how can I help you today? "
        "Well I had a letter about my appointment and I wasn't sure whether I should bring my tablets "
        "or just the list, because the last time nobody asked me about them at all, so I thought I would "
        "ring and check first, okay"
    )
    seg = segment(*speech(said, word_ms=300, gap_ms=80, pauses={37: 600}))
    assert seg.end_ms - seg.start_ms > 20_000
    lines = list(split_lines([seg], rules=rules))
    lengths = [line.end_ms - line.start_ms for line in lines]
    assert max(lengths) <= rules.target_ms
    assert statistics.median(lengths) <= 8000
    assert lines[0].text == "Hello, is that the clinic?"
