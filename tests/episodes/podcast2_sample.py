"""The sample feed that the Podcasting 2.0 tests render and parse: a channel and two items that use every
tag of the extension, with text an editor might type."""

from decimal import Decimal

from feedgen.feed import FeedGenerator
from lxml import etree

from episodes.podcast2 import (
    PODCAST_NS,
    TRANSCRIPT_HTML,
    TRANSCRIPT_JSON,
    TRANSCRIPT_PLAIN,
    TRANSCRIPT_SRT,
    TRANSCRIPT_VTT,
    Podcast2EntryExtension,
    Podcast2Extension,
    podcast_guid,
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


def items(channel) -> tuple[etree._Element, etree._Element]:
    first, second = channel.findall("item")
    return first, second
