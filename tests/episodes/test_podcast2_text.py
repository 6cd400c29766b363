"""The Podcasting 2.0 feedgen extension and text that editors type: characters XML cannot carry, escaping,
and descriptions cut to a byte budget."""

import feedparser
import pytest
from lxml import etree

from episodes.podcast2 import APPLE_DESCRIPTION_MAX_BYTES, TRANSCRIPT_VTT
from episodes.xmltext import truncate_utf8, xml_safe
from tests.episodes.podcast2_sample import P, make_feed, parse, render

# xml_safe


def test_xml_safe_drops_what_xml_cannot_carry():
    assert xml_safe("a\x00b\x01c\x0bd\x0ce\x1ff\x7f") == "abcdef\x7f"
    assert xml_safe("lone \ud800 and \udfff surrogates") == "lone  and  surrogates"
    assert xml_safe("no\ufffe\uffffnon-characters\ufffd") == "nonon-characters\ufffd"


def test_xml_safe_keeps_everything_else():
    text = "tab\tline\nreturn\r & < > \" ' ]]> 🎙️ 𝄞 مرحبا שלום \u200f\u202e"
    assert xml_safe(text) == text


def test_lxml_refuses_the_characters_xml_safe_removes():
    element = etree.Element("x")
    with pytest.raises(ValueError, match="XML compatible"):
        element.text = "a\x01b"
    element.text = xml_safe("a\x01b")
    assert etree.tostring(element) == b"<x>ab</x>"


@pytest.mark.parametrize(
    "text",
    [
        "Q&A: <b>bold</b> ]]> the end",
        "already &amp; escaped",  # a literal "&amp;" must come back as typed, not as "&"
        "emoji 👩🏽‍💻 and 4-byte 𝄞",
        "עברית and العربية mixed",
        "line one\nline two\r\n\ttabbed",
    ],
)
def test_editor_text_round_trips_as_text_and_attribute(text):
    fg = make_feed()
    fg.podcast2.person(text, role=text)
    xml = render(fg)
    person = parse(xml).find("channel").findall(f"{P}person")[-1]
    assert person.text == text.strip()
    assert person.get("role") == text.strip()
    assert feedparser.parse(xml).bozo == 0


def test_nothing_is_escaped_twice():
    fg = make_feed()
    fg.podcast2.person("A & B", href="https://example.org/?x=1&y=2")
    xml = render(fg)
    assert b">A &amp; B</podcast:person>" in xml
    assert b'href="https://example.org/?x=1&amp;y=2"' in xml
    assert b"&amp;amp;" not in xml


def test_control_characters_in_every_value_still_give_well_formed_xml():
    bad = "\x02bad\x1b"
    fg = make_feed()
    fg.podcast2.locked(True, owner=f"{bad}@example.org")
    fg.podcast2.funding("https://example.org/f", bad)
    entry = fg.entry()[0]
    entry.podcast2.season(1, name=bad)
    entry.podcast2.episode(1, display=bad)
    entry.podcast2.transcript("https://example.org/t", TRANSCRIPT_VTT, language=bad, rel=bad)
    entry.podcast2.person(bad, role=bad, group=bad)
    entry.podcast2.soundbite(1, 2, bad)
    xml = render(fg)
    assert b"\x02" not in xml
    assert b"\x1b" not in xml
    item = parse(xml).find("channel").find("item")
    assert item.find(f"{P}season").get("name") == "bad"
    assert item.findall(f"{P}soundbite")[-1].text == "bad"


# truncate_utf8


def test_truncate_leaves_text_that_fits():
    assert truncate_utf8("short", 100) == "short"
    exact = "é" * 2000  # 4000 bytes
    assert truncate_utf8(exact, APPLE_DESCRIPTION_MAX_BYTES) == exact
    assert truncate_utf8("ab😀cd", 8) == "ab😀cd"


def test_truncate_one_byte_over_cuts_with_an_ellipsis():
    text = "é" * 2000 + "x"
    cut = truncate_utf8(text, APPLE_DESCRIPTION_MAX_BYTES)
    assert cut.endswith("…")
    assert len(cut.encode()) <= APPLE_DESCRIPTION_MAX_BYTES
    assert cut == "é" * 1998 + "…"  # 3996 + 3 bytes; a 1-byte gap beats a split character


def test_truncate_never_splits_an_emoji_at_the_cut():
    assert truncate_utf8("ab😀cd", 7) == "ab…"
    assert truncate_utf8("ab😀cd", 5) == "ab…"
    assert truncate_utf8("ab😀cd", 4) == "a…"


def test_truncate_with_four_byte_characters():
    assert truncate_utf8("𝄞𝄞𝄞", 12) == "𝄞𝄞𝄞"
    assert truncate_utf8("𝄞𝄞𝄞", 11) == "𝄞𝄞…"
    assert truncate_utf8("𝄞𝄞𝄞", 10) == "𝄞…"
    assert truncate_utf8("𝄞𝄞𝄞", 6) == "…"


def test_truncate_keeps_modifiers_and_joiners_with_their_character():
    assert truncate_utf8("x👍🏽y", 8) == "x…"  # not a bare 👍 without its skin tone
    assert truncate_utf8("abcde\u0301fgh", 9) == "abcd…"  # not "abcde" without its accent
    assert truncate_utf8("x👩‍💻y", 12) == "x…"  # not a dangling zero-width joiner


def test_truncate_prefers_a_word_boundary():
    assert truncate_utf8("hello world again", 12) == "hello…"
    assert truncate_utf8("hello world again", 14) == "hello world…"
    assert truncate_utf8("abcdefghij", 8) == "abcde…"  # no space to go back to
    assert truncate_utf8("a bcdefghijklmnop", 12) == "a bcdefgh…"  # a far-back space would waste too much
    assert truncate_utf8("aaaa bb cc ddd", 13) == "aaaa bb cc…"  # cut falls on a space: keep the last word
    assert truncate_utf8("hello   world", 10) == "hello…"  # no spaces before the ellipsis
    assert truncate_utf8("hello  world", 11) == "hello…"


def test_truncate_below_the_ellipsis_size_cuts_without_one():
    assert truncate_utf8("abc d", 2) == "ab"
    assert truncate_utf8("😀😀", 2) == ""
    assert truncate_utf8("abc", 0) == ""
    with pytest.raises(ValueError):
        truncate_utf8("abc", -1)


def test_truncate_drops_lone_surrogates():
    assert truncate_utf8("a\ud800b", 10) == "ab"


def test_truncate_is_always_within_budget_and_a_prefix():
    text = "Ünïcødé 👩🏽‍💻 text — with 𝄞 words and مرحبا, to cut everywhere. "
    size = len(text.encode())
    for max_bytes in range(size + 2):
        cut = truncate_utf8(text, max_bytes)
        assert len(cut.encode()) <= max_bytes
        if max_bytes >= size:
            assert cut == text
        else:
            assert text.startswith(cut.removesuffix("…"))
            assert cut != text


def test_truncate_for_apple_description():
    text = "word " * 1000
    cut = truncate_utf8(text, APPLE_DESCRIPTION_MAX_BYTES)
    assert len(cut.encode()) <= APPLE_DESCRIPTION_MAX_BYTES
    assert cut.endswith("word…")
    assert len(cut.encode()) > APPLE_DESCRIPTION_MAX_BYTES - 10
