"""The matching rules of concepts.matching, on text written for each rule."""

import pytest

from concepts.matching import Matcher, literal_prefix, name_pattern


def keys(names, text):
    return Matcher(names).keys_in(text)


@pytest.mark.parametrize(
    "text",
    [
        "Coproduction starts with listening.",
        "COPRODUCTION, again.",
        "Two coproductions ran in parallel.",
        "(coproduction)",
        "the coproduction's aims",
    ],
)
def test_the_term_is_found_whatever_its_case_and_simple_ending(text):
    assert keys({"c": ["coproduction"]}, text) == ["c"]


@pytest.mark.parametrize(
    "text",
    ["Patients coproduce care.", "They coproduced the plan.", "We are coproducing it.", "She coproduces."],
)
def test_a_verb_term_ending_in_e_is_found_inflected(text):
    assert keys({"c": ["coproduce"]}, text) == ["c"]


@pytest.mark.parametrize("text", ["health literacy matters", "many health literacies", "HEALTH-LITERACY"])
def test_a_final_y_becomes_ies_and_words_join_by_space_or_hyphen(text):
    assert keys({"h": ["health literacy"]}, text) == ["h"]


@pytest.mark.parametrize(
    "text",
    [
        "We talked about self-care at home.",
        "We talked about self care at home.",
        "We talked about selfcare at home.",
        "We talked about self\u2011care at home.",  # a non-breaking hyphen
    ],
)
def test_the_words_of_a_name_join_with_a_space_a_hyphen_or_nothing(text):
    assert keys({"s": ["self-care"]}, text) == ["s"]


@pytest.mark.parametrize(
    "text",
    [
        "She was careful with the dose.",  # "care" inside a word
        "Primary healthcare services.",  # at the end of a word
        "Scared of the ward.",  # "care" in the middle
        "caretaker",
        "care_plan",  # joined by an underscore is still one word
    ],
)
def test_no_match_inside_other_words(text):
    assert keys({"care": ["care"]}, text) == []


def test_aliases_and_acronyms_name_the_same_concept():
    names = {"sdm": ["shared decision-making", "SDM"]}
    assert keys(names, "We used SDM twice.") == ["sdm"]
    assert keys(names, "Shared decision making works.") == ["sdm"]
    assert keys(names, "Two SDMs.") == ["sdm"]
    assert keys(names, "SDMA is something else.") == []


def test_overlapping_terms_the_longest_wins():
    names = {"dm": ["decision making"], "sdm": ["shared decision making"]}
    assert keys(names, "Shared decision making is not just decision making.") == ["sdm", "dm"]
    found = Matcher(names).find("Shared decision making.")
    assert [(m.key, m.text) for m in found] == [("sdm", "Shared decision making")]


def test_each_concept_is_listed_once_in_order_of_first_mention():
    names = {"a": ["safety"], "b": ["coproduction"]}
    assert keys(names, "Coproduction and safety; safety and coproduction.") == ["b", "a"]


def test_names_without_letters_give_no_pattern_and_match_nothing():
    assert name_pattern(" - !") is None
    assert not Matcher({"x": ["--"]})
    assert keys({"x": ["--"]}, "-- anything --") == []


def test_regex_characters_in_a_name_are_literal():
    assert keys({"x": ["C++ (care)"]}, "We use c care daily") == ["x"]  # punctuation is not a word
    assert keys({"x": ["a.b"]}, "axb") == []


@pytest.mark.parametrize(
    "name,prefix",
    [
        ("Coproduction", "coproduction"),
        ("coproduce", "coproduc"),
        ("Health literacy", "health"),
        ("SDM", "sdm"),
    ],
)
def test_literal_prefix_is_contained_in_every_match(name, prefix):
    assert literal_prefix(name) == prefix
    for text in ("Coproduced", "coproducing", "health literacies", "SDMs"):
        for match in Matcher({"k": [name]}).find(text):
            assert prefix in match.text.lower()
