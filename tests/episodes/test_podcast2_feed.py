"""The Podcasting 2.0 feedgen extension: the XML it writes into a feed, read back by lxml and feedparser."""

from decimal import Decimal

import feedparser
import pytest
from lxml import etree

from episodes.podcast2 import PODCAST_NS, TRANSCRIPT_PLAIN
from tests.episodes.podcast2_sample import GUID, ITUNES_NS, P, items, make_feed, parse, render


@pytest.fixture
def feed_xml() -> bytes:
    return render(make_feed())


@pytest.fixture
def channel(feed_xml) -> etree._Element:
    return parse(feed_xml).find("channel")


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
