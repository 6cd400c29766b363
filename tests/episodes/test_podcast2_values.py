"""The Podcasting 2.0 feedgen extension's values: the podcast:guid rule, the getters and setters, and the
values the setters refuse."""

import math
from decimal import Decimal

import pytest

from episodes.podcast2 import (
    TRANSCRIPT_SRT,
    TRANSCRIPT_VTT,
    Chapters,
    Episode,
    Funding,
    Locked,
    Person,
    Podcast2EntryExtension,
    Podcast2Extension,
    Season,
    Soundbite,
    Transcript,
    podcast_guid,
)
from tests.episodes.podcast2_sample import GUID

# podcast:guid


@pytest.mark.parametrize(
    ("feed_url", "guid"),
    [
        # The two examples in the namespace spec.
        ("https://mp3s.nashownotes.com/pc20rss.xml", "917393e3-1b1e-5cef-ace4-edaa54e1f810"),
        ("podnews.net/rss", "9b024349-ccf0-5f69-a609-6b82873eab3c"),
        # Scheme and trailing slashes do not count.
        ("http://podnews.net/rss", "9b024349-ccf0-5f69-a609-6b82873eab3c"),
        ("https://podnews.net/rss//", "9b024349-ccf0-5f69-a609-6b82873eab3c"),
        ("feed://podnews.net/rss/", "9b024349-ccf0-5f69-a609-6b82873eab3c"),
    ],
)
def test_podcast_guid(feed_url, guid):
    assert podcast_guid(feed_url) == guid


def test_podcast_guid_depends_on_the_path():
    assert podcast_guid("podnews.net/rss") != podcast_guid("podnews.net/rss2")


def test_guid_setter_normalises_uuids():
    ext = Podcast2Extension()
    assert ext.guid(" 917393E3-1B1E-5CEF-ACE4-EDAA54E1F810 ") == "917393e3-1b1e-5cef-ace4-edaa54e1f810"


# Getters


def test_channel_getters():
    ext = Podcast2Extension()
    assert (ext.guid(), ext.locked(), ext.funding(), ext.person()) == (None, None, [], [])
    ext.guid(GUID)
    ext.locked(True, owner="o@example.org")
    ext.funding("https://example.org/f", "Fund")
    ext.person("Ana", role="host")
    assert ext.guid() == GUID
    assert ext.locked() == Locked(True, "o@example.org")
    assert ext.funding() == [Funding("https://example.org/f", "Fund")]
    assert ext.person() == [Person("Ana", role="host")]
    ext.funding().clear()  # getters hand out copies
    ext.person().clear()
    assert (len(ext.funding()), len(ext.person())) == (1, 1)


def test_entry_getters():
    ext = Podcast2EntryExtension()
    assert ext.season() is ext.episode() is ext.chapters() is None
    assert ext.transcript() == ext.person() == ext.soundbite() == []
    ext.season(1)
    ext.episode(3, display="Three")
    ext.chapters("https://example.org/c.json")
    ext.transcript("https://example.org/t.vtt", TRANSCRIPT_VTT, rel="captions")
    ext.soundbite(1.5, 30, "Bite")
    assert ext.season() == Season(1, None)
    assert ext.episode() == Episode(Decimal(3), "Three")
    assert ext.chapters() == Chapters("https://example.org/c.json", "application/json+chapters")
    assert ext.transcript() == [Transcript("https://example.org/t.vtt", "text/vtt", None, "captions")]
    assert ext.soundbite() == [Soundbite(Decimal("1.5"), Decimal(30), "Bite")]
    for getter in (ext.transcript, ext.person, ext.soundbite):
        getter().append("not mine")  # getters hand out copies
    assert [ext.transcript()[-1], ext.soundbite()[-1]] == [ext.transcript()[0], ext.soundbite()[0]]
    assert ext.person() == []


def test_setters_replace_single_values():
    ext = Podcast2EntryExtension()
    ext.season(1, name="One")
    assert ext.season(2) == Season(2, None)
    ext.episode(1)
    assert ext.episode(2.5) == Episode(Decimal("2.5"))


def test_transcripts_are_deduplicated_by_url():
    ext = Podcast2EntryExtension()
    ext.transcript("https://example.org/t.vtt", TRANSCRIPT_VTT)
    ext.transcript("https://example.org/t.srt", TRANSCRIPT_SRT)
    ext.transcript("https://example.org/t.vtt", TRANSCRIPT_VTT, language="en", rel="captions")
    assert ext.transcript() == [
        Transcript("https://example.org/t.vtt", TRANSCRIPT_VTT, "en", "captions"),
        Transcript("https://example.org/t.srt", TRANSCRIPT_SRT),
    ]


def test_unknown_transcript_type_is_allowed():
    ext = Podcast2EntryExtension()
    ext.transcript("https://example.org/t.ttml", "application/ttml+xml")
    assert ext.transcript()[0].type == "application/ttml+xml"


def test_blank_optional_text_is_left_out():
    ext = Podcast2EntryExtension()
    assert ext.season(1, name="  ") == Season(1, None)


# Validation


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda c, e: e.soundbite(10, -1), ValueError),
        (lambda c, e: e.soundbite(10, 0), ValueError),
        (lambda c, e: e.soundbite(-1, 10), ValueError),
        (lambda c, e: e.soundbite(math.nan, 10), ValueError),
        (lambda c, e: e.soundbite(1, math.inf), ValueError),
        (lambda c, e: e.soundbite(True, 10), TypeError),
        (lambda c, e: e.soundbite("1", 10), TypeError),
        (lambda c, e: e.soundbite(10), ValueError),
        (lambda c, e: e.soundbite(duration_seconds=10), ValueError),
        (lambda c, e: e.soundbite(1, 10, "x" * 129), ValueError),
        (lambda c, e: e.transcript("https://example.org/t", ""), ValueError),
        (lambda c, e: e.transcript("https://example.org/t", "   "), ValueError),
        (lambda c, e: e.transcript("https://example.org/t"), ValueError),
        (lambda c, e: e.transcript("https://example.org/t", "vtt"), ValueError),
        (lambda c, e: e.transcript("/relative/t.vtt", TRANSCRIPT_VTT), ValueError),
        (lambda c, e: e.transcript("javascript:alert(1)", TRANSCRIPT_VTT), ValueError),
        (lambda c, e: e.transcript(type=TRANSCRIPT_VTT), ValueError),
        (lambda c, e: e.season(-1), ValueError),
        (lambda c, e: e.season(1.5), TypeError),
        (lambda c, e: e.season(True), TypeError),
        (lambda c, e: e.season(name="Orphan"), ValueError),
        (lambda c, e: e.season(1, name="x" * 129), ValueError),
        (lambda c, e: e.episode(-0.5), ValueError),
        (lambda c, e: e.episode("3"), TypeError),
        (lambda c, e: e.episode(3, display="x" * 33), ValueError),
        (lambda c, e: e.episode(display="Three"), ValueError),
        (lambda c, e: e.chapters("https://example.org/c.json", type=""), ValueError),
        (lambda c, e: e.chapters("chapters.json"), ValueError),
        (lambda c, e: e.person(""), ValueError),
        (lambda c, e: e.person("\x00\x01"), ValueError),  # nothing left once cleaned
        (lambda c, e: e.person(role="host"), ValueError),
        (lambda c, e: e.person("Ana", img="ana.jpg"), ValueError),
        (lambda c, e: c.guid("not-a-uuid"), ValueError),
        (lambda c, e: c.guid(42), ValueError),
        (lambda c, e: c.locked("yes"), TypeError),
        (lambda c, e: c.locked(owner="o@example.org"), ValueError),
        (lambda c, e: c.funding("ftp://example.org/f", "Fund"), ValueError),
        (lambda c, e: c.funding("https://example.org/f", "x" * 129), ValueError),
        (lambda c, e: c.funding(text="Fund"), ValueError),
        (lambda c, e: c.person(["Ana"]), TypeError),
    ],
)
def test_setters_refuse_bad_values(call, error):
    channel, entry = Podcast2Extension(), Podcast2EntryExtension()
    with pytest.raises(error):
        call(channel, entry)
    # A refused value leaves nothing behind.
    assert (channel.guid(), channel.locked(), channel.funding(), channel.person()) == (None, None, [], [])
    assert (entry.season(), entry.episode(), entry.chapters()) == (None, None, None)
    assert entry.transcript() == entry.person() == entry.soundbite() == []


def test_limits_are_inclusive():
    ext = Podcast2EntryExtension()
    ext.soundbite(0, 0.001, "x" * 128)
    ext.episode(0, display="x" * 32)
    assert ext.soundbite()[0].duration == Decimal("0.001")
