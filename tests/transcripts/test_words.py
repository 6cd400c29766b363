"""Word timings across an editor's correction, and the uncertain words (transcripts/words.py)."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from transcripts.words import retime, review_words, uncertain_below

WORDS = [
    [1000, 1400, "Shared", 0.95],
    [1450, 1900, "decision", 0.31],
    [1950, 2500, "making", 0.88],
    [2600, 3000, "means", 0.7],
    [3100, 3800, "deciding", 0.42],
    [3900, 4600, "together.", 0.99],
]
TEXT = "Shared decision making means deciding together."


def test_an_unchanged_line_keeps_every_word_as_it_was():
    assert retime(WORDS, TEXT, 1000, 4600) == WORDS


def test_a_changed_word_takes_the_time_of_the_word_it_replaces_and_the_others_keep_theirs():
    words = retime(WORDS, "Shared decision making means choosing together.", 1000, 4600)
    assert words[:4] == WORDS[:4] and words[5] == WORDS[5]
    assert words[4] == [3100, 3800, "choosing", None]  # typed by the editor: not uncertain any more


def test_punctuation_and_case_keep_the_timing_and_take_the_editors_spelling():
    words = retime(WORDS, "Shared decision-making, means Deciding together!", 1000, 4600)
    assert [w[2] for w in words] == ["Shared", "decision-making,", "means", "Deciding", "together!"]
    # "decision-making," is one new word for two old ones: it takes both their times.
    assert words[1] == [1450, 2500, "decision-making,", None]
    assert words[3] == [3100, 3800, "Deciding", 0.42]


def test_inserted_words_share_the_gap_between_their_neighbours():
    words = retime(WORDS, "Shared decision making really means deciding together.", 1000, 4600)
    assert words[3] == [2500, 2600, "really", None]
    assert words[4] == WORDS[3]
    first = retime(WORDS, "So shared decision making means deciding together.", 500, 4600)
    assert first[0] == [500, 1000, "So", None]
    assert first[1] == [1000, 1400, "shared", 0.95]


def test_deleted_words_go_and_the_rest_keep_their_times():
    words = retime(WORDS, "Shared decision making means together.", 1000, 4600)
    assert words == WORDS[:4] + WORDS[5:]


def test_new_line_times_hold_the_words_inside():
    words = retime(WORDS, TEXT, 1500, 4000)
    assert all(1500 <= w[0] <= w[1] <= 4000 for w in words)
    assert words[2] == [1950, 2500, "making", 0.88]


def test_a_line_without_word_timings_gets_none_invented():
    assert retime([], "Imported captions have no word timings.", 0, 3000) == []


@given(st.lists(st.sampled_from(["we", "decide", "together", "Shared,", "care", "-"]), max_size=12))
def test_any_edit_keeps_words_in_order_inside_the_line_and_spells_them_as_typed(tokens):
    words = retime(WORDS, " ".join(tokens), 1000, 4600)
    assert [w[2] for w in words] == tokens
    assert all(1000 <= w[0] <= w[1] <= 4600 for w in words)
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(words))


def test_words_under_the_threshold_are_uncertain_with_their_place_in_the_text(settings):
    settings.TRANSCRIPT_UNCERTAIN_BELOW = 0.5
    assert uncertain_below() == 0.5
    shown = review_words(TEXT, WORDS)
    assert [w.text for w in shown if w.uncertain] == ["decision", "deciding"]
    deciding = shown[4]
    assert (deciding.percent, TEXT[deciding.start : deciding.end]) == (42, "deciding")
    settings.TRANSCRIPT_UNCERTAIN_BELOW = 0.8
    assert [w.text for w in review_words(TEXT, WORDS) if w.uncertain] == ["decision", "means", "deciding"]


def test_a_word_without_probability_is_never_uncertain_and_a_word_not_in_the_text_has_no_place():
    shown = review_words("Something else entirely", [[0, 100, "typed", None], [100, 200, "gone", 0.1]])
    assert not shown[0].uncertain and shown[0].percent is None
    assert shown[1].uncertain and shown[1].start is None
