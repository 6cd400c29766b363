"""Parsing RSS 2.0 with the iTunes and Podcasting 2.0 tags into :class:`FeedChannel` and
:class:`FeedItem`; anything else raises :class:`FeedError`. Nothing is fetched or written here."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from lxml import etree

from ..categories import APPLE_CATEGORIES, SEPARATOR
from ..models import EpisodePage
from ..models.pages import language_validator
from ..people_roles import role_from_feed
from .data import ChapterRef, Enclosure, FeedChannel, FeedItem, PersonRef, SoundbiteRef, TranscriptRef
from .repair import HostileXML, refuse_entities, repair_text
from .text import LOOKS_LIKE_HTML, html_to_text, plain

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
ATOM_NS = "http://www.w3.org/2005/Atom"
PSC_NS = "http://podlove.org/simple-chapters"
# The Podcasting 2.0 namespace has had two URLs; feeds in the wild use both.
PODCAST_NAMESPACES = frozenset(
    {
        "https://podcastindex.org/namespace/1.0",
        "https://github.com/podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
    }
)

# The prefixes podcast apps read without a declaration (a feed that writes <itunes:author> and never
# declares xmlns:itunes is repaired by declaring them: repair.repair_text).
WELL_KNOWN_PREFIXES = {
    "itunes": ITUNES_NS,
    "podcast": "https://podcastindex.org/namespace/1.0",
    "content": CONTENT_NS,
    "atom": ATOM_NS,
    "psc": PSC_NS,
    "googleplay": "http://www.google.com/schemas/play-podcasts/1.0",
    "media": "http://search.yahoo.com/mrss/",
    "dc": "http://purl.org/dc/elements/1.1/",
}

TRANSCRIPT_TYPES = {
    "text/vtt": "text/vtt",
    "application/x-subrip": "application/x-subrip",
    "application/srt": "application/x-subrip",
    "text/srt": "application/x-subrip",
    "application/json": "application/json",
    "text/html": "text/html",
    "text/plain": "text/plain",
}


class FeedError(Exception):
    """The source is not a feed that can be imported; nothing was imported. The message says why."""


def _parser(*, recover: bool = False) -> etree.XMLParser:
    """An XML parser that neither expands entities nor fetches DTDs (no XXE, no billion laughs); with
    ``recover``, libxml2's error recovery reads what a broken document still holds."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_pis=True,
        recover=recover,
    )


def parse_feed(content: bytes) -> FeedChannel:
    """Parse RSS 2.0 with the iTunes and Podcasting 2.0 tags, as leniently as podcast apps read it; raises
    FeedError for a source that is not a feed at all, or that declares XML entities. What had to be
    repaired is in the channel's ``repairs``."""
    if not content.strip():
        raise FeedError("The source is not an RSS feed: it is empty.")
    if _DOCTYPE.search(content[: _prolog_end(content)]):
        try:
            refuse_entities(content.lstrip())
        except HostileXML as exc:
            raise FeedError(f"The source was refused: {exc}.") from exc
    repairs: list[str] = []
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as exc:
        if _is_html(content):
            raise FeedError(_not_xml_message(content, exc)) from exc
        root, repairs = _repaired(content, exc)
    if root is None or not isinstance(root.tag, str):
        raise FeedError("The source is not an RSS feed: it holds no XML element.")
    name = etree.QName(root).localname.lower()
    if name == "feed":
        raise FeedError("The source is an Atom feed; only RSS podcast feeds can be imported.")
    if name != "rss":
        raise FeedError(
            f"The source is not an RSS feed: its root element is <{etree.QName(root).localname}>."
        )
    channel = _child(root, "channel")
    if channel is None:
        moved = root.findtext("redirect/newLocation")
        if moved and moved.strip():
            raise FeedError(
                f"The feed says it has moved to {moved.strip()} (<redirect><newLocation>): import that "
                "address instead."
            )
        raise FeedError("The source is not an RSS feed: it has no <channel>.")
    data = _channel(channel)
    data.repairs = repairs
    return data


_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


def _prolog_end(content: bytes) -> int:
    """Where the root element starts (roughly): a document type can only come before it."""
    match = re.search(rb"<(?![?!])", content[:65536])
    return match.start() if match else min(len(content), 65536)


def _is_html(content: bytes) -> bool:
    start = content[:1024].lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html")) or b"<html" in start


def _not_xml_message(content: bytes, exc: etree.XMLSyntaxError) -> str:
    if _is_html(content):
        kind = "it is a web page (HTML), not a feed; check the URL"
    else:
        kind = "it is not XML, nor broken XML that podcast apps could read as a feed"
    return f"The source is not an RSS feed: {kind}. (XML parser: {exc.msg}.)"


def _repaired(content: bytes, error: etree.XMLSyntaxError):
    """The root of the feed read as podcast apps read it (see :mod:`.repair`), and the repairs made."""
    text, repairs = repair_text(content, WELL_KNOWN_PREFIXES)
    try:
        return etree.fromstring(text, _parser()), repairs
    except etree.XMLSyntaxError as exc:
        remaining = exc
    try:
        root = etree.fromstring(text, _parser(recover=True))
    except etree.XMLSyntaxError:
        root = None
    if root is None or not isinstance(root.tag, str) or etree.QName(root).localname.lower() != "rss":
        raise FeedError(_not_xml_message(content, error)) from error
    repairs.append(
        f"the XML is not well-formed ({remaining.msg}): read as podcast apps read it, as far as it goes; "
        "compare the episodes with the old feed"
    )
    return root, repairs


def _matches(element, name: str, namespaces: frozenset[str] | str | None) -> bool:
    if not isinstance(element.tag, str):  # comments
        return False
    try:
        qname = etree.QName(element)
    except ValueError:  # a tag with a prefix nobody declared, kept as "prefix:name" by lxml's recovery
        return False
    if qname.localname != name:
        return False
    namespace = (qname.namespace or "").lower()
    if namespaces is None:
        return not namespace
    if isinstance(namespaces, str):
        return namespace == namespaces.lower()
    return namespace in namespaces


def _children(parent, name: str, namespaces: frozenset[str] | str | None = None) -> list:
    return [child for child in parent if _matches(child, name, namespaces)]


def _child(parent, name: str, namespaces: frozenset[str] | str | None = None):
    found = _children(parent, name, namespaces)
    return found[0] if found else None


def _text(element) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _attr(element, name: str) -> str:
    return (element.get(name) or "").strip() if element is not None else ""


def _channel(channel) -> FeedChannel:
    owner = _child(channel, "owner", ITUNES_NS)
    image = _child(channel, "image")
    data = FeedChannel(
        title=plain(_text(_child(channel, "title"))),
        description=html_to_text(
            _text(_child(channel, "summary", ITUNES_NS)) or _text(_child(channel, "description"))
        ),
        link=_text(_child(channel, "link")),
        self_url=next(
            (
                _attr(link, "href")
                for link in _children(channel, "link", ATOM_NS)
                if _attr(link, "rel") == "self"
            ),
            "",
        ),
        image_url=_attr(_child(channel, "image", ITUNES_NS), "href")
        or _text(_child(image, "url") if image is not None else None),
        author=plain(_text(_child(channel, "author", ITUNES_NS))),
        owner_name=plain(_text(_child(owner, "name", ITUNES_NS) if owner is not None else None)),
        owner_email=_text(_child(owner, "email", ITUNES_NS) if owner is not None else None),
        language=_text(_child(channel, "language")),
        explicit=_boolean(_text(_child(channel, "explicit", ITUNES_NS))),
        show_type=_text(_child(channel, "type", ITUNES_NS)).lower(),
        copyright=plain(_text(_child(channel, "copyright"))),
        locked=_boolean(_text(_child(channel, "locked", PODCAST_NAMESPACES))),
        podcast_guid=_text(_child(channel, "guid", PODCAST_NAMESPACES)),
    )
    if not data.owner_email:
        # RSS's own fields read "email (Name)"; an address in them is better than none.
        for tag in ("managingEditor", "webMaster"):
            match = re.search(r"[^\s()<>]+@[^\s()<>]+", _text(_child(channel, tag)))
            if match:
                data.owner_email = match.group(0)
                break
    funding = _child(channel, "funding", PODCAST_NAMESPACES)
    if funding is not None:
        data.funding_url = _attr(funding, "url")
        data.funding_text = plain(_text(funding))
    data.categories, unknown = _categories(channel)
    if unknown:
        data.notes.append(f"categories not in Apple's list, left out: {', '.join(unknown)}")
    data.hosts = [p for p in _people(channel, default_role="host") if p.role in ("host", "co-host")]
    data.items = [_item(item) for item in _children(channel, "item")]
    for item in data.items:
        # Item people replace channel people in Podcasting 2.0, so feeds (ours too) repeat the hosts on
        # every item that lists anyone; they are the show's hosts, not the episode's own people.
        item.people = [p for p in item.people if p not in data.hosts]
    return data


def _categories(channel) -> tuple[list[str], list[str]]:
    """Apple categories as ShowCategory stores them ("Health & Fitness > Medicine"), and the unknown ones."""
    found: list[str] = []
    unknown: list[str] = []
    for element in _children(channel, "category", ITUNES_NS):
        name = _attr(element, "text")
        subs = [_attr(sub, "text") for sub in _children(element, "category", ITUNES_NS)] or [None]
        for sub in subs:
            value = f"{name}{SEPARATOR}{sub}" if sub else name
            if name in APPLE_CATEGORIES and (sub is None or sub in APPLE_CATEGORIES[name]):
                if value not in found:
                    found.append(value)
            elif name in APPLE_CATEGORIES:
                unknown.append(value)
                if name not in found:
                    found.append(name)
            else:
                unknown.append(value)
    return found, unknown


def _people(parent, *, default_role: str) -> list[PersonRef]:
    """podcast:person tags; the spec's default role is "host". Unknown roles become "guest"."""
    people: list[PersonRef] = []
    for element in _children(parent, "person", PODCAST_NAMESPACES):
        name = plain(_text(element))[:255]
        if not name:
            continue
        role = role_from_feed(_attr(element, "role") or default_role)
        person = PersonRef(
            name=name,
            role=role or "guest",
            img=_attr(element, "img"),
            href=_attr(element, "href"),
        )
        if person not in people:
            people.append(person)
    return people


def _item(item) -> FeedItem:
    enclosure = _child(item, "enclosure")
    guid = _text(_child(item, "guid"))
    data = FeedItem(
        guid=guid,
        title=plain(_text(_child(item, "title"))),
        summary=html_to_text(
            _text(_child(item, "summary", ITUNES_NS))
            or _text(_child(item, "description"))
            or _text(_child(item, "subtitle", ITUNES_NS))
        ),
        notes_html=_text(_child(item, "encoded", CONTENT_NS)),
        link=_text(_child(item, "link")),
        publication_date=parse_date(_text(_child(item, "pubDate"))),
        season=_whole_number(
            _text(_child(item, "season", ITUNES_NS)) or _text(_child(item, "season", PODCAST_NAMESPACES))
        ),
        episode_number=_whole_number(
            _text(_child(item, "episode", ITUNES_NS)) or _text(_child(item, "episode", PODCAST_NAMESPACES))
        ),
        explicit=_boolean(_text(_child(item, "explicit", ITUNES_NS))),
        image_url=_attr(_child(item, "image", ITUNES_NS), "href"),
        people=_people(item, default_role="host"),
    )
    if not data.notes_html:
        description = _text(_child(item, "description"))
        if LOOKS_LIKE_HTML.search(description):
            data.notes_html = description  # many hosts put the HTML show notes in <description>
    episode_type = _text(_child(item, "episodeType", ITUNES_NS)).lower()
    if episode_type in (EpisodePage.FULL, EpisodePage.TRAILER, EpisodePage.BONUS):
        data.episode_type = episode_type
    if enclosure is not None and _attr(enclosure, "url"):
        length = _attr(enclosure, "length")
        data.enclosure = Enclosure(
            url=_attr(enclosure, "url"),
            length=int(length) if length.isdigit() and int(length) > 0 else None,
            mime_type=_attr(enclosure, "type"),
        )
    if not data.guid and data.enclosure:
        # What podcast apps fall back on, so the episode keeps the identity apps already gave it.
        data.guid = data.enclosure.url
        data.notes.append("the item has no <guid>: its enclosure URL is used as its guid, as apps do")
    chapters = _child(item, "chapters", PODCAST_NAMESPACES)
    if chapters is not None:
        data.chapters_url = _attr(chapters, "url")
        data.chapters_type = _attr(chapters, "type").lower()
    data.inline_chapters = _podlove_chapters(item)
    data.transcripts = _transcripts(item, data.notes)
    data.soundbites = _soundbites(item, data.notes)
    return data


def _transcripts(item, notes: list[str]) -> list[TranscriptRef]:
    found: list[TranscriptRef] = []
    for element in _children(item, "transcript", PODCAST_NAMESPACES):
        url, kind = _attr(element, "url"), _attr(element, "type").lower()
        mime_type = TRANSCRIPT_TYPES.get(kind)
        if not url or len(url) > 1000 or not mime_type:
            notes.append(f"transcript {url or '(no URL)'} of type {kind or '(none)'} left out")
            continue
        language = _attr(element, "language")
        try:
            language_validator(language)
        except ValidationError:
            language = ""
        found.append(TranscriptRef(url, mime_type, language, _attr(element, "rel")[:20]))
    return found


def _soundbites(item, notes: list[str]) -> list[SoundbiteRef]:
    found: list[SoundbiteRef] = []
    for element in _children(item, "soundbite", PODCAST_NAMESPACES):
        start, duration = _seconds_ms(_attr(element, "startTime")), _seconds_ms(_attr(element, "duration"))
        if start is None or not duration:
            notes.append(f"a soundbite without a valid start and duration left out ({_text(element)!r})")
            continue
        found.append(SoundbiteRef(start, duration, plain(_text(element))[:255]))
    return found


def _podlove_chapters(item) -> list[ChapterRef]:
    """Podlove Simple Chapters (psc:chapters), the inline chapters many older feeds carry."""
    container = _child(item, "chapters", PSC_NS)
    chapters = []
    for element in _children(container, "chapter", PSC_NS) if container is not None else []:
        start = _timestamp_ms(_attr(element, "start"))
        if start is not None:
            chapters.append(
                ChapterRef(
                    start,
                    plain(_attr(element, "title"))[:255],
                    _attr(element, "href"),
                    _attr(element, "image"),
                )
            )
    return chapters


def _boolean(text: str) -> bool | None:
    value = text.strip().lower()
    if value in ("yes", "true", "explicit"):
        return True
    if value in ("no", "false", "clean"):
        return False
    return None


def _whole_number(text: str) -> int | None:
    """Seasons and episode numbers; podcast:episode may be decimal (315.5), which our field cannot hold."""
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or number < 0 or number != number.to_integral_value():
        return None
    return int(number)


def _seconds_ms(text: str) -> int | None:
    try:
        seconds = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not seconds.is_finite() or seconds < 0:
        return None
    return int((seconds * 1000).to_integral_value())


def _timestamp_ms(text: str) -> int | None:
    """``"01:02:03.500"``, ``"2:03"`` or ``"75"`` (Podlove's normal play time) -> milliseconds."""
    parts = text.strip().split(":")
    if not text.strip() or len(parts) > 3:
        return None
    try:
        values = [Decimal(part) for part in parts]
    except InvalidOperation:
        return None
    if not all(value.is_finite() and value >= 0 for value in values):
        return None
    seconds = sum(value * 60**power for power, value in enumerate(reversed(values)))
    return int((seconds * 1000).to_integral_value())


def parse_date(text: str) -> datetime | None:
    """RFC 822 (what RSS requires) or ISO 8601 (what some generators write), as an aware datetime."""
    text = text.strip()
    if not text:
        return None
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            return None
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
