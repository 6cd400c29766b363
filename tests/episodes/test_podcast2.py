"""The Podcasting 2.0 feedgen extension: the XML it writes, the guid rule, and text that editors type."""

import math
from decimal import Decimal

import feedparser
import pytest
from feedgen.feed import FeedGenerator
from lxml import etree

from episodes.podcast2 import (
    APPLE_DESCRIPTION_MAX_BYTES,
    PODCAST_NS,
    TRANSCRIPT_HTML,
    TRANSCRIPT_JSON,
    TRANSCRIPT_PLAIN,
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
    truncate_utf8,
    xml_safe,
)

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
P = f"{{{PODCAST_NS}}}"
FEED_URL = "https://example.org/podcast/feed.xml"
GUID = podcast_guid(FEED_URL)
# What an editor might type: markup characters, a CDATA terminator, emoji, Arabic, and stray controls.
MESSY = "Tom & Jerry <live> ]]> 🎙️ مرحبا\x00\x08\x1f end"


def make_feed() -> FeedGenerator:
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("podcast2", Podcast2Extension, Podcast2EntryExtension)
    fg.title("The Power of Co-production")
    fg.link(href="https://example.org/podcast/")
    fg.description("Conversations about working together.")
    fg.podcast.itunes_author("Ana Author")

    fg.podcast2.guid(GUID)
    fg.podcast2.locked(True, owner="owner@example.org")
    fg.podcast2.funding("https://example.org/donate", "Support the show")
    fg.podcast2.funding("https://example.org/members?a=1&b=2", MESSY)
    fg.podcast2.person("Ana Author", role="host", group="cast", img="https://example.org/ana.jpg")
    fg.podcast2.person("Bo", href="https://example.org/bo")

    first = fg.add_entry(order="append")
    first.title("Episode one")
    first.guid("ep-1")
    first.description("The first one.")
    first.podcast.itunes_duration(600)
    first.podcast2.season(2, name="Spring & Summer")
    first.podcast2.episode(Decimal("315.5"), display="Ep. 315½")
    first.podcast2.chapters("https://example.org/ep1/chapters.json")
    first.podcast2.transcript("https://example.org/ep1.vtt", TRANSCRIPT_VTT, language="en", rel="captions")
    first.podcast2.transcript("https://example.org/ep1.srt", TRANSCRIPT_SRT, language="en", rel="captions")
    first.podcast2.transcript("https://example.org/ep1.json", TRANSCRIPT_JSON, language="en")
    first.podcast2.transcript("https://example.org/ep1.html", TRANSCRIPT_HTML)
    first.podcast2.transcript("https://example.org/ep1.txt", TRANSCRIPT_PLAIN, language="ar")
    first.podcast2.person("Guest Person", role="guest", group="cast")
    first.podcast2.soundbite(73, 60.5, "The best bit ]]>")
    first.podcast2.soundbite(0.25, 15)

    second = fg.add_entry(order="append")
    second.title("Episode two")
    second.guid("ep-2")
    second.description("The second one.")
    second.podcast2.season(3)
    second.podcast2.episode(4)
    return fg


def render(fg: FeedGenerator) -> bytes:
    return fg.rss_str(pretty=True)


def parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))


@pytest.fixture
def feed_xml() -> bytes:
    return render(make_feed())


@pytest.fixture
def channel(feed_xml) -> etree._Element:
    return parse(feed_xml).find("channel")


def items(channel) -> tuple[etree._Element, etree._Element]:
    first, second = channel.findall("item")
    return first, second


# The rendered feed


def test_namespace_is_declared_once_on_the_root_with_the_podcast_prefix(feed_xml):
    root = parse(feed_xml)
    assert root.nsmap["podcast"] == PODCAST_NS
    assert root.nsmap["itunes"] == ITUNES_NS
    assert b'xmlns:podcast="https://podcastindex.org/namespace/1.0"' in feed_xml
    assert feed_xml.count(b"xmlns:podcast=") == 1
    assert b"ns0" not in feed_xml  # items are built apart from the feed; none keeps a stray prefix


def test_channel_guid_and_locked(channel):
    assert [e.text for e in channel.findall(f"{P}guid")] == [GUID]
    (locked,) = channel.findall(f"{P}locked")
    assert locked.text == "yes"
    assert dict(locked.attrib) == {"owner": "owner@example.org"}


def test_locked_no_without_owner():
    fg = make_feed()
    fg.podcast2.locked(False)
    (locked,) = parse(render(fg)).find("channel").findall(f"{P}locked")
    assert locked.text == "no"
    assert "owner" not in locked.attrib


def test_channel_funding_is_repeatable_and_cleaned(channel):
    donate, members = channel.findall(f"{P}funding")
    assert dict(donate.attrib) == {"url": "https://example.org/donate"}
    assert donate.text == "Support the show"
    assert members.get("url") == "https://example.org/members?a=1&b=2"
    assert members.text == "Tom & Jerry <live> ]]> 🎙️ مرحبا end"


def test_channel_persons(channel):
    ana, bo = channel.findall(f"{P}person")
    assert ana.text == "Ana Author"
    assert dict(ana.attrib) == {"role": "host", "group": "cast", "img": "https://example.org/ana.jpg"}
    assert bo.text == "Bo"
    assert dict(bo.attrib) == {"href": "https://example.org/bo"}


def test_channel_tags_come_before_the_items_and_only_in_the_channel(channel):
    tags = [child.tag for child in channel]
    assert tags.index(f"{P}guid") < tags.index("item")
    first, _ = items(channel)
    assert first.find(f"{P}guid") is None
    assert first.find(f"{P}funding") is None


def test_feedgen_itunes_tags_still_written(channel):
    first, _ = items(channel)
    assert channel.findtext(f"{{{ITUNES_NS}}}author") == "Ana Author"
    assert first.findtext(f"{{{ITUNES_NS}}}duration") == "600"


def test_item_season_and_episode(channel):
    first, second = items(channel)
    season = first.find(f"{P}season")
    assert (season.text, dict(season.attrib)) == ("2", {"name": "Spring & Summer"})
    episode = first.find(f"{P}episode")
    assert (episode.text, dict(episode.attrib)) == ("315.5", {"display": "Ep. 315½"})
    assert (second.findtext(f"{P}season"), second.find(f"{P}season").attrib) == ("3", {})
    assert (second.findtext(f"{P}episode"), second.find(f"{P}episode").attrib) == ("4", {})


def test_item_chapters(channel):
    first, second = items(channel)
    (chapters,) = first.findall(f"{P}chapters")
    assert dict(chapters.attrib) == {
        "url": "https://example.org/ep1/chapters.json",
        "type": "application/json+chapters",
    }
    assert chapters.text is None
    assert second.find(f"{P}chapters") is None


def test_item_transcripts_one_tag_per_format(channel):
    first, second = items(channel)
    assert [dict(t.attrib) for t in first.findall(f"{P}transcript")] == [
        {"url": "https://example.org/ep1.vtt", "type": "text/vtt", "language": "en", "rel": "captions"},
        {
            "url": "https://example.org/ep1.srt",
            "type": "application/x-subrip",
            "language": "en",
            "rel": "captions",
        },
        {"url": "https://example.org/ep1.json", "type": "application/json", "language": "en"},
        {"url": "https://example.org/ep1.html", "type": "text/html"},
        {"url": "https://example.org/ep1.txt", "type": "text/plain", "language": "ar"},
    ]
    assert second.findall(f"{P}transcript") == []


def test_item_person_and_soundbites(channel):
    first, second = items(channel)
    (guest,) = first.findall(f"{P}person")
    assert (guest.text, dict(guest.attrib)) == ("Guest Person", {"role": "guest", "group": "cast"})
    best, short = first.findall(f"{P}soundbite")
    assert (dict(best.attrib), best.text) == ({"startTime": "73", "duration": "60.5"}, "The best bit ]]>")
    assert (dict(short.attrib), short.text) == ({"startTime": "0.25", "duration": "15"}, None)
    assert second.findall(f"{P}person") == second.findall(f"{P}soundbite") == []


def test_numbers_are_written_in_plain_decimal():
    fg = make_feed()
    entry = fg.entry()[1]
    entry.podcast2.episode(Decimal("-0"))
    entry.podcast2.soundbite(Decimal("1E+2"), Decimal("2.50"))
    item = parse(render(fg)).find("channel").findall("item")[1]
    assert item.findtext(f"{P}episode") == "0"
    assert dict(item.find(f"{P}soundbite").attrib) == {"startTime": "100", "duration": "2.5"}


def test_feedparser_reads_a_valid_rss_feed(feed_xml):
    parsed = feedparser.parse(feed_xml)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.namespaces["podcast"] == PODCAST_NS
    assert parsed.feed.podcast_guid == GUID
    assert [e.title for e in parsed.entries] == ["Episode one", "Episode two"]
    # feedparser keeps only the last of a repeated unknown element; its attributes come through intact.
    assert parsed.entries[0].podcast_transcript["type"] == TRANSCRIPT_PLAIN
    assert parsed.entries[0].podcast_chapters["url"] == "https://example.org/ep1/chapters.json"


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
