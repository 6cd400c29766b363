"""Importing an existing podcast from its RSS feed into a ShowPage and its EpisodePages.

The importer is built for moving a show onto this platform without podcast apps noticing: every
episode keeps the ``<guid>`` of the old feed (apps identify episodes by it, a new one would appear as a
new episode to every subscriber), and the show keeps its ``podcast:guid``.

It runs in three steps, so that a broken feed leaves nothing behind:

1. :func:`read_source` and :func:`parse_feed` turn the feed into plain data (:class:`FeedChannel`,
   :class:`FeedItem`) or raise :class:`FeedError`; nothing is written yet.
2. :func:`import_show` creates or updates the ShowPage.
3. :func:`import_item` imports each episode on its own: what it downloads (audio, images, chapters) is
   fetched outside any transaction, then its rows are written in one transaction. A failure is reported
   on the episode's :class:`EpisodeOutcome` and the next episode goes ahead.

Running it again changes nothing that has not changed in the feed: episodes are found by guid within
the show, audio files by content hash, people by name, images by a tag holding a hash of their source
URL (``feed-image:…``), and an episode gets a new revision only when something the feed says differs
from its latest revision.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

import lxml.html
import requests
from bs4 import BeautifulSoup
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import Truncator, slugify
from lxml import etree
from PIL import Image as PILImage
from tqdm import tqdm
from wagtail.admin.rich_text.converters.editor_html import EditorHTMLConverter
from wagtail.images import get_image_model
from wagtail.images.forms import get_image_form
from wagtail.models import Collection, Page, Site
from wagtail.whitelist import check_url

from .audioinfo import CHUNK_SIZE, AudioError
from .categories import APPLE_CATEGORIES, SEPARATOR
from .models import (
    AudioFile,
    Chapter,
    EpisodePage,
    EpisodePerson,
    EpisodeTranscriptLink,
    Person,
    ShowCategory,
    ShowHost,
    ShowPage,
    Soundbite,
)
from .models.pages import PERSON_ROLES, language_validator
from .podcast2 import podcast_guid
from .publishing import add_page, discard_stored_file
from .uploads import create_audio_file

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

FEED_MAX_BYTES = 50 * 1024 * 1024  # the largest real feeds (thousands of episodes) are ~20 MB
CHAPTERS_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0  # seconds to connect, and between two reads of a response
USER_AGENT = "PowerOfCoproduction-import/1.0 (+https://podcastindex.org/namespace/1.0)"
IMAGE_TAG_PREFIX = "feed-image:"

# Fields the feed cannot give a ShowPage or EpisodePage longer than this.
TITLE_MAX = 255
SUMMARY_MAX = 4000
FUNDING_TEXT_MAX = 128

TRANSCRIPT_TYPES = {
    "text/vtt": "text/vtt",
    "application/x-subrip": "application/x-subrip",
    "application/srt": "application/x-subrip",
    "text/srt": "application/x-subrip",
    "application/json": "application/json",
    "text/html": "text/html",
    "text/plain": "text/plain",
}
CHAPTER_TYPES = frozenset({"application/json+chapters", "application/json"})
KNOWN_ROLES = {value for value, _label in PERSON_ROLES}
# fmt: off
# Elements whose content is never show notes: dropped with everything inside them. (Images too: rich
# text holds only images from the Wagtail library, as embeds.)
DROPPED_ELEMENTS = (
    "script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math", "form", "button",
    "select", "textarea", "audio", "video", "head", "title", "img", "picture",
)
# Block elements that rich text has no equivalent for; kept as paragraphs so their text stays apart.
PARAGRAPH_LIKE = (
    "blockquote", "pre", "section", "article", "header", "footer", "figure", "figcaption", "aside",
)
# fmt: on
RICH_TEXT_BLOCKS = frozenset(
    {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "hr", *PARAGRAPH_LIKE}
)
_EMPTY_PARAGRAPH = re.compile(r"<p>(?:\s|<br/>)*</p>")
_LOOKS_LIKE_HTML = re.compile(
    r"<(?:[a-zA-Z][a-zA-Z0-9]*[\s/>]|/[a-zA-Z]|!--)|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);"
)


class FeedError(Exception):
    """The source is not a feed that can be imported; nothing was imported. The message says why."""


class FetchError(Exception):
    """A file the feed points at could not be fetched; the message says why, in a few words."""


class ImportProblem(Exception):
    """One part of an episode (or the whole episode) cannot be imported; the message says why."""


# -- The feed as data ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Enclosure:
    url: str
    length: int | None
    mime_type: str


@dataclass(frozen=True)
class PersonRef:
    name: str
    role: str
    img: str = ""
    href: str = ""


@dataclass(frozen=True)
class TranscriptRef:
    url: str
    mime_type: str
    language: str
    rel: str


@dataclass(frozen=True)
class SoundbiteRef:
    start_ms: int
    duration_ms: int
    title: str


@dataclass(frozen=True)
class ChapterRef:
    start_ms: int
    title: str
    url: str = ""
    img: str = ""


@dataclass
class FeedItem:
    guid: str
    title: str
    summary: str
    notes_html: str
    link: str = ""
    publication_date: datetime | None = None
    season: int | None = None
    episode_number: int | None = None
    episode_type: str = EpisodePage.FULL
    explicit: bool | None = None
    image_url: str = ""
    enclosure: Enclosure | None = None
    people: list[PersonRef] = field(default_factory=list)
    chapters_url: str = ""
    chapters_type: str = ""
    inline_chapters: list[ChapterRef] = field(default_factory=list)
    transcripts: list[TranscriptRef] = field(default_factory=list)
    soundbites: list[SoundbiteRef] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the parser had to leave out


@dataclass
class FeedChannel:
    title: str
    description: str
    link: str = ""
    self_url: str = ""
    image_url: str = ""
    author: str = ""
    owner_name: str = ""
    owner_email: str = ""
    language: str = ""
    explicit: bool | None = None
    show_type: str = ""
    copyright: str = ""
    locked: bool | None = None
    funding_url: str = ""
    funding_text: str = ""
    podcast_guid: str = ""
    categories: list[str] = field(default_factory=list)
    hosts: list[PersonRef] = field(default_factory=list)
    items: list[FeedItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# -- Reading files: the feed, and everything it points at ---------------------------------------------


def is_http_url(value: str) -> bool:
    return urlsplit(value).scheme.lower() in ("http", "https")


class Fetcher:
    """Fetches the feed and the files it points at, with a size limit and a timeout on each.

    http(s) goes through ``requests``. Local files are read only when the feed itself is a local file:
    then ``file://`` URLs and relative paths (resolved against the feed's folder) are allowed, so that an
    exported feed can be imported with its audio next to it. A feed fetched from the web can never make
    the importer read a local file.
    """

    def __init__(
        self,
        source: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        progress: IO[str] | None = None,
        show_progress: bool | None = None,
    ) -> None:
        self.source = source
        self.local_folder = None if is_http_url(source) else Path(source).expanduser().resolve().parent
        self.timeout = timeout
        self.progress = progress
        self.show_progress = show_progress
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def resolve(self, reference: str) -> str:
        """An absolute http(s) URL, or a local path when the feed is a local file."""
        reference = reference.strip()
        if is_http_url(reference):
            return reference
        if self.local_folder is None:
            url = urljoin(self.source, reference)
            if not is_http_url(url):
                raise FetchError(f"{reference!r} is not an http(s) URL")
            return url
        if reference.lower().startswith("file:"):
            return url2pathname(unquote(urlsplit(reference).path))
        if urlsplit(reference).scheme and len(urlsplit(reference).scheme) > 1:  # not a Windows drive
            raise FetchError(f"{reference!r} is neither an http(s) URL nor a local path")
        return str(self.local_folder / unquote(reference))

    def read(self, reference: str, max_bytes: int, *, label: str = "") -> bytes:
        """The whole content, for small files (feeds, chapters, images)."""
        buffer = io.BytesIO()
        self._copy(reference, buffer, max_bytes, label=label, progress=False)
        return buffer.getvalue()

    def download(self, reference: str, destination: Path, max_bytes: int, *, label: str = "") -> str:
        """Stream to ``destination`` (never whole into memory) and return the content's SHA-256."""
        with destination.open("wb") as fh:
            return self._copy(reference, fh, max_bytes, label=label, progress=True)

    def size(self, reference: str) -> int | None:
        """The size without downloading (HEAD, or the local file's size), or None when unknown."""
        location = self.resolve(reference)
        if not is_http_url(location):
            path = Path(location)
            return path.stat().st_size if path.is_file() else None
        try:
            response = self.session.head(location, allow_redirects=True, timeout=self.timeout)
        except requests.RequestException:
            return None
        length = response.headers.get("Content-Length") if response.ok else None
        return int(length) if length and length.isdigit() else None

    def _copy(self, reference: str, out, max_bytes: int, *, label: str, progress: bool) -> str:
        location = self.resolve(reference)
        digest = hashlib.sha256()
        with self._open(location) as (chunks, declared):
            if declared is not None and declared > max_bytes:
                raise FetchError(_too_large(declared, max_bytes))
            with tqdm(
                total=declared,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=label or Path(urlsplit(location).path).name,
                file=self.progress,
                disable=self._progress_disabled(progress),
                leave=False,
            ) as bar:
                received = 0
                for chunk in chunks:
                    received += len(chunk)
                    if received > max_bytes:
                        raise FetchError(_too_large(received, max_bytes, at_least=True))
                    digest.update(chunk)
                    out.write(chunk)
                    bar.update(len(chunk))
        if not received:
            raise FetchError(f"{location} is empty")
        return digest.hexdigest()

    def _progress_disabled(self, wanted: bool) -> bool | None:
        if not wanted:
            return True
        # None lets tqdm decide: a bar on a terminal, nothing in logs and tests.
        return None if self.show_progress is None else not self.show_progress

    @contextmanager
    def _open(self, location: str) -> Iterator[tuple[Iterator[bytes], int | None]]:
        if not is_http_url(location):
            path = Path(location)
            if not path.is_file():
                raise FetchError(f"there is no file at {path}")
            with path.open("rb") as fh:
                yield iter(lambda: fh.read(CHUNK_SIZE), b""), path.stat().st_size
            return
        try:
            response = self.session.get(location, stream=True, timeout=self.timeout)
        except requests.Timeout:
            raise FetchError(f"{location} did not answer within {self.timeout:g} s") from None
        except requests.ConnectionError as exc:
            raise FetchError(f"could not connect to {urlsplit(location).netloc} ({_reason(exc)})") from None
        except requests.RequestException as exc:
            raise FetchError(f"could not fetch {location} ({_reason(exc)})") from None
        with response:
            if not response.ok:
                raise FetchError(f"{location} answered HTTP {response.status_code} {response.reason}")
            length = response.headers.get("Content-Length", "")
            try:
                yield response.iter_content(CHUNK_SIZE), int(length) if length.isdigit() else None
            except requests.Timeout:
                raise FetchError(f"{location} stopped sending for {self.timeout:g} s") from None
            except requests.RequestException as exc:
                raise FetchError(f"the download of {location} broke off ({_reason(exc)})") from None


def _reason(exc: Exception) -> str:
    """The innermost reason of a requests error ("Connection refused"), not its page-long repr."""
    text = str(exc)
    for pattern in (r"\[Errno -?\d+\] ([^')\]]+)", r"Failed to resolve '[^']+'", r"Max retries exceeded"):
        match = re.search(pattern, text)
        if match:
            return match.group(1) if match.groups() else match.group(0)
    return text[:200] or type(exc).__name__


def _too_large(size: int, limit: int, *, at_least: bool = False) -> str:
    amount = f"more than {filesizeformat(limit)}" if at_least else filesizeformat(size)
    return f"the file is {amount}, larger than the limit of {filesizeformat(limit)}"


def read_source(fetcher: Fetcher) -> bytes:
    """The feed's bytes from its URL or local path; raises FeedError when it cannot be read."""
    try:
        return fetcher.read(fetcher.source, FEED_MAX_BYTES, label="feed")
    except FetchError as exc:
        raise FeedError(f"The feed could not be read: {exc}.") from exc


# -- Parsing --------------------------------------------------------------------------------------------


def _parser() -> etree.XMLParser:
    """An XML parser that neither expands entities nor fetches DTDs (no XXE, no billion laughs)."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_pis=True
    )


def parse_feed(content: bytes) -> FeedChannel:
    """Parse RSS 2.0 with the iTunes and Podcasting 2.0 tags; raises FeedError for anything else."""
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as exc:
        raise FeedError(_not_xml_message(content, exc)) from exc
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
        raise FeedError("The source is not an RSS feed: it has no <channel>.")
    return _channel(channel)


def _not_xml_message(content: bytes, exc: etree.XMLSyntaxError) -> str:
    start = content[:1024].lstrip().lower()
    if start.startswith((b"<!doctype html", b"<html")) or b"<html" in start:
        kind = "it is a web page (HTML), not a feed; check the URL"
    elif not start:
        kind = "it is empty"
    else:
        kind = "it is not well-formed XML, perhaps cut short"
    return f"The source is not an RSS feed: {kind}. (XML parser: {exc.msg}.)"


def _matches(element, name: str, namespaces: frozenset[str] | str | None) -> bool:
    if not isinstance(element.tag, str):  # comments
        return False
    qname = etree.QName(element)
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
        title=_plain(_text(_child(channel, "title"))),
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
        author=_plain(_text(_child(channel, "author", ITUNES_NS))),
        owner_name=_plain(_text(_child(owner, "name", ITUNES_NS) if owner is not None else None)),
        owner_email=_text(_child(owner, "email", ITUNES_NS) if owner is not None else None),
        language=_text(_child(channel, "language")),
        explicit=_boolean(_text(_child(channel, "explicit", ITUNES_NS))),
        show_type=_text(_child(channel, "type", ITUNES_NS)).lower(),
        copyright=_plain(_text(_child(channel, "copyright"))),
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
        data.funding_text = _plain(_text(funding))
    data.categories, unknown = _categories(channel)
    if unknown:
        data.notes.append(f"categories not in Apple's list, left out: {', '.join(unknown)}")
    data.hosts = [p for p in _people(channel, default_role="host") if p.role in ("host", "co-host")]
    data.items = [_item(item) for item in _children(channel, "item")]
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
        name = _plain(_text(element))[:255]
        if not name:
            continue
        role = (_attr(element, "role") or default_role).lower()
        person = PersonRef(
            name=name,
            role=role if role in KNOWN_ROLES else "guest",
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
        title=_plain(_text(_child(item, "title"))),
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
        if _LOOKS_LIKE_HTML.search(description):
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
        found.append(SoundbiteRef(start, duration, _plain(_text(element))[:255]))
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
                    _plain(_attr(element, "title"))[:255],
                    _attr(element, "href"),
                    _attr(element, "image"),
                )
            )
    return chapters


def _plain(text: str) -> str:
    """Collapse whitespace: titles and names are one line."""
    return " ".join(text.split())


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


# -- Text -----------------------------------------------------------------------------------------------


def html_to_text(value: str) -> str:
    """Plain text from a description that may be HTML: paragraphs and line breaks kept, tags dropped."""
    if not _LOOKS_LIKE_HTML.search(value):
        return "\n".join(" ".join(line.split()) for line in value.strip().splitlines()).strip()
    soup = BeautifulSoup(value, "html.parser")
    for element in soup(DROPPED_ELEMENTS):
        element.decompose()
    for br in soup("br"):
        br.replace_with("\n")
    for block in soup(["p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", *PARAGRAPH_LIKE]):
        block.insert_after("\n\n")
    lines = [" ".join(line.split()) for line in soup.get_text().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def truncate(text: str, limit: int) -> str:
    return Truncator(text).chars(limit) if len(text) > limit else text


def rich_text_from_html(html: str, base_url: str = "") -> str:
    """Arbitrary HTML from a feed as Wagtail rich text in its database format.

    Wagtail's own cleaner for editor HTML (``EditorHTMLConverter.to_database_format``, the
    ``DbWhitelister``) keeps only the elements and attributes the default rich text features allow and
    drops ``javascript:`` links. Before it, lxml's HTML parser repairs the markup (unclosed ``<li>`` and
    ``<p>``), elements whose content is not text (scripts, styles, iframes) go with their content, and
    loose text is put into paragraphs, as the editor would. (Draftail's contentstate converter would be
    the other route, but it fails on unbalanced tags and invents new block keys on every run.)
    """
    if not html.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return ""
    for element in list(root.iter(*DROPPED_ELEMENTS)):
        element.drop_tree()
    for element in root.iter(*PARAGRAPH_LIKE):
        element.tag = "p"
    if base_url and is_http_url(base_url):
        root.make_links_absolute(base_url, resolve_base_href=False)
    _tidy(root)
    body = "".join(lxml.html.tostring(child, encoding="unicode") for child in _paragraphs(root))
    cleaned = _EMPTY_PARAGRAPH.sub("", EditorHTMLConverter().to_database_format(body))
    return "" if not BeautifulSoup(cleaned, "html.parser").get_text().strip() else cleaned


def _tidy(root) -> None:
    """Whitespace as a browser shows it (one space), none between blocks, and no link that is not one
    (the whitelister would leave ``javascript:`` links as ``<a>`` without ``href``)."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag == "a" and not check_url(element.get("href") or ""):
            element.drop_tag()
            continue
        block = element.tag in RICH_TEXT_BLOCKS or element.tag == "li"
        if element.text:
            element.text = (
                None if element.tag in ("ul", "ol") and not element.text.strip() else _spaces(element.text)
            )
        if element.tail:
            element.tail = None if block and not element.tail.strip() else _spaces(element.tail)


def _spaces(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _paragraphs(root) -> list:
    """The children of ``root`` with runs of loose text and inline elements wrapped in <p>."""
    blocks: list = []
    paragraph = None

    def add_text(text: str | None) -> None:
        nonlocal paragraph
        if not text or (paragraph is None and not text.strip()):
            return
        if paragraph is None:
            paragraph = lxml.html.Element("p")
            blocks.append(paragraph)
        if len(paragraph):
            paragraph[-1].tail = (paragraph[-1].tail or "") + text
        else:
            paragraph.text = (paragraph.text or "") + text

    add_text(root.text)
    for child in list(root):
        tail, child.tail = child.tail, None
        if not isinstance(child.tag, str):
            pass
        elif child.tag in RICH_TEXT_BLOCKS:
            blocks.append(child)
            paragraph = None
        else:
            if paragraph is None:
                paragraph = lxml.html.Element("p")
                blocks.append(paragraph)
            paragraph.append(child)
        add_text(tail)
    return blocks


# -- Images, people, chapters ---------------------------------------------------------------------------


def image_tag(url: str) -> str:
    """The tag that records where an imported image came from, so that a re-run finds it."""
    return IMAGE_TAG_PREFIX + hashlib.sha256(url.encode()).hexdigest()[:24]


def import_image(fetcher: Fetcher, reference: str, title: str):
    """A Wagtail image for an image URL of the feed: the one imported before, or a new one.

    New images go through the admin's image form, so they are checked as an upload is (format by
    content, size and pixel limits). Raises FetchError or ImportProblem.
    """
    Image = get_image_model()
    location = fetcher.resolve(reference)
    tag = image_tag(location)
    existing = Image.objects.filter(tags__name=tag).first()
    if existing is not None:
        return existing
    data = fetcher.read(location, getattr(settings, "WAGTAILIMAGES_MAX_UPLOAD_SIZE", 10 * 1024 * 1024))
    same = Image.objects.filter(file_hash=hashlib.sha1(data, usedforsecurity=False).hexdigest()).first()
    if same is not None:
        same.tags.add(tag)
        return same
    try:
        with PILImage.open(io.BytesIO(data)) as picture:
            kind = (picture.format or "").lower()
    except Exception as exc:  # Pillow raises many types for data that is not an image
        raise ImportProblem(f"{location} is not an image") from exc
    extension = {"jpeg": "jpg", "mpo": "jpg"}.get(kind, kind)
    name = f"{slugify(title)[:60] or 'image'}.{extension}"
    ImageForm = get_image_form(Image)
    form = ImageForm(
        data={
            "title": truncate(title, TITLE_MAX),
            "tags": tag,
            "collection": Collection.get_first_root_node().pk,
        },
        files={"file": SimpleUploadedFile(name, data)},
    )
    if not form.is_valid():
        messages = " ".join(str(m) for errors in form.errors.values() for m in errors)
        raise ImportProblem(f"{location} was refused as an image: {messages}")
    return form.save()


class People:
    """People by name (case-insensitive), found or created once per run.

    Someone already in the catalogue is used as they are: editors own their details. A new person gets
    the feed's link and photo. Photos are fetched by :meth:`prepare`, before the episode's transaction,
    so that no download holds the database; :meth:`get` then only writes rows.
    """

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        self.cache: dict[str, Person] = {}
        self.photos: dict[str, object | None] = {}

    def prepare(self, refs: list[PersonRef], notes: list[str]) -> None:
        for ref in refs:
            key = ref.name.casefold()
            if not ref.img or key in self.cache or key in self.photos:
                continue
            if Person.objects.filter(name__iexact=ref.name).exists():
                continue
            try:
                self.photos[key] = import_image(self.fetcher, ref.img, f"Photo: {ref.name}")
            except (FetchError, ImportProblem) as exc:
                self.photos[key] = None
                notes.append(f"photo of {ref.name} not imported: {exc}")

    def get(self, ref: PersonRef) -> Person:
        key = ref.name.casefold()
        if key not in self.cache:
            person = Person.objects.filter(name__iexact=ref.name).order_by("pk").first()
            if person is None:
                person = Person.objects.create(
                    name=ref.name, link=ref.href if _valid_url(ref.href) else "", photo=self.photos.get(key)
                )
            self.cache[key] = person
        return self.cache[key]

    def forget(self) -> None:
        """After a rollback: people created in it are gone from the database, so from the cache too."""
        self.cache.clear()


def _valid_url(url: str, max_length: int = 200) -> bool:
    if not url or len(url) > max_length:
        return False
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return False
    return True


def fetch_chapters(fetcher: Fetcher, reference: str) -> list[ChapterRef]:
    """Chapters from a Podcasting 2.0 JSON chapters file. Raises FetchError or ImportProblem."""
    location = fetcher.resolve(reference)
    data = fetcher.read(location, CHAPTERS_MAX_BYTES)
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportProblem(f"{location} is not JSON ({exc})") from exc
    items = document.get("chapters") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise ImportProblem(f"{location} is not a JSON chapters file: it has no list of chapters")
    chapters = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or item.get("toc") is False:
            continue  # "toc": false marks silent chapters (images, links) that are not in the list
        start = item.get("startTime")
        if isinstance(start, bool) or not isinstance(start, int | float) or not 0 <= start < 1e9:
            continue  # also NaN and Infinity, which Python's json accepts
        title = _plain(str(item.get("title") or "")) or f"Chapter {number}"
        chapters.append(
            ChapterRef(
                start_ms=round(start * 1000),
                title=truncate(title, TITLE_MAX),
                url=str(item.get("url") or ""),
                img=str(item.get("img") or ""),
            )
        )
    return chapters


# -- Results --------------------------------------------------------------------------------------------

CREATED = "created"
UPDATED = "updated"
PUBLISHED = "published"  # unchanged, but its draft was published (--publish after a draft import)
UNCHANGED = "unchanged"
SKIPPED = "skipped"  # nothing to import (an item without audio); not a failure
FAILED = "failed"  # could not be imported; the command exits with 2


@dataclass
class EpisodeOutcome:
    guid: str
    title: str
    status: str = UNCHANGED
    reason: str = ""  # why it was skipped or failed
    notes: list[str] = field(default_factory=list)  # parts left out, and other things worth knowing
    page: EpisodePage | None = None


@dataclass
class ShowOutcome:
    show: ShowPage
    status: str
    notes: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    show: ShowOutcome
    episodes: list[EpisodeOutcome]

    def with_status(self, *statuses: str) -> list[EpisodeOutcome]:
        return [outcome for outcome in self.episodes if outcome.status in statuses]

    @property
    def failed(self) -> list[EpisodeOutcome]:
        return self.with_status(FAILED)

    @property
    def changed(self) -> bool:
        return self.show.status != UNCHANGED or any(
            o.status not in (UNCHANGED, SKIPPED) for o in self.episodes
        )


# -- The show -------------------------------------------------------------------------------------------


def home_page() -> Page:
    """The default site's root: shows are its children."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        raise FeedError(
            "There is no default site to import into; create one in the admin (Settings > Sites)."
        )
    home = site.root_page.specific
    if not ShowPage.can_create_at(home):
        raise FeedError(f"Shows cannot be created under the default site's root page ({home.title!r}).")
    return home


def find_show(channel: FeedChannel, slug: str | None) -> tuple[ShowPage | None, str]:
    """The show to update (or None to create one) and its slug; raises FeedError when it is ambiguous."""
    if not slug:
        slug = slugify(channel.title, allow_unicode=getattr(settings, "WAGTAIL_ALLOW_UNICODE_SLUGS", True))
        if not slug:
            raise FeedError("The feed has no title to name the show by; choose a show with --show SLUG.")
    shows = list(ShowPage.objects.filter(slug=slug))
    if len(shows) > 1:
        raise FeedError(
            f"More than one show has the slug {slug!r}; this importer cannot tell which to update."
        )
    return (shows[0] if shows else None), slug


def show_values(channel: FeedChannel, existing: ShowPage | None, source_url: str) -> tuple[dict, list[str]]:
    """ShowPage field values from the channel; what the feed lacks is kept (or defaulted) instead."""
    notes: list[str] = []
    keep = existing or ShowPage()
    title = truncate(channel.title, TITLE_MAX) or keep.title
    values = {
        "title": title,
        "description": channel.description or keep.description or title,
        "author": truncate(channel.author or channel.owner_name, TITLE_MAX) or keep.author or title,
        "owner_name": truncate(channel.owner_name or channel.author, TITLE_MAX) or keep.owner_name or title,
        "owner_email": keep.owner_email,
        "copyright": truncate(channel.copyright, TITLE_MAX),
        "funding_url": channel.funding_url if _valid_url(channel.funding_url) else "",
        "funding_text": truncate(channel.funding_text, FUNDING_TEXT_MAX)
        if _valid_url(channel.funding_url)
        else "",
        "language": keep.language,
        "explicit": channel.explicit if channel.explicit is not None else keep.explicit,
        "show_type": channel.show_type
        if channel.show_type in (ShowPage.EPISODIC, ShowPage.SERIAL)
        else keep.show_type,
        "podcast_locked": channel.locked if channel.locked is not None else keep.podcast_locked,
        "podcast_guid": keep.podcast_guid,
    }
    try:
        EmailValidator()(channel.owner_email)
        values["owner_email"] = channel.owner_email
    except ValidationError:
        if channel.owner_email:
            notes.append(f"owner email {channel.owner_email!r} is not an email address; left out")
    try:
        language_validator(channel.language)
        values["language"] = channel.language[:35]
    except ValidationError:
        if channel.language:
            notes.append(f"language {channel.language!r} is not a language code; {values['language']!r} kept")
    guid = _feed_guid(channel, source_url, notes)
    # The feed's guid is the podcast's identity in the indexes, and moves with it. A show of ours that
    # has none yet, or has no episodes (made to receive the import), takes it; one with episodes has
    # published its own feed already, and its guid never changes.
    if guid and (not keep.podcast_guid or existing is None or not existing.get_children().exists()):
        values["podcast_guid"] = guid
    elif guid and guid != keep.podcast_guid:
        notes.append(
            f"the feed's podcast:guid {guid} differs from the show's {keep.podcast_guid}; the show's kept"
        )
    if channel.funding_url and not values["funding_url"]:
        notes.append(f"funding link {channel.funding_url!r} is not an http(s) URL; left out")
    return values, notes


def _feed_guid(channel: FeedChannel, source_url: str, notes: list[str]) -> str:
    """The feed's podcast:guid; else the one the spec derives from the old feed URL, which is the show's
    identity that podcast indexes already hold; else none (then it is derived from our feed URL)."""
    if channel.podcast_guid:
        try:
            return str(uuid.UUID(channel.podcast_guid))
        except ValueError:
            notes.append(f"podcast:guid {channel.podcast_guid!r} is not a UUID; left out")
    old_url = channel.self_url if is_http_url(channel.self_url) else source_url
    return podcast_guid(old_url) if is_http_url(old_url) else ""


def import_show(
    channel: FeedChannel,
    fetcher: Fetcher,
    *,
    slug: str | None = None,
    publish: bool = False,
    user=None,
) -> ShowOutcome:
    """Create or update the ShowPage (fields, categories, hosts, artwork) from the channel."""
    parent = home_page()
    existing, slug = find_show(channel, slug)
    values, notes = show_values(channel, existing, fetcher.source if is_http_url(fetcher.source) else "")
    notes = channel.notes + notes
    if existing is None:
        if parent.get_children().filter(slug=slug).exists():
            raise FeedError(
                f"A page that is not a show already has the slug {slug!r}; choose another with --show."
            )
        candidate = ShowPage(slug=slug, **values)
        try:
            candidate.clean_fields(exclude=["path", "depth", "url_path", "artwork"])
        except ValidationError as exc:
            raise FeedError(f"The feed lacks what a show needs: {describe(exc)}") from exc

    if channel.image_url:
        try:
            values["artwork"] = import_image(fetcher, channel.image_url, f"Artwork: {values['title']}")
        except (FetchError, ImportProblem) as exc:
            notes.append(f"artwork not imported: {exc}")
    people = People(fetcher)
    people.prepare(channel.hosts, notes)
    try:
        return _write_show(channel, parent, existing, slug, values, people, notes, publish=publish, user=user)
    except ValidationError as exc:
        raise FeedError(f"The show could not be saved: {describe(exc)}") from exc


def _write_show(
    channel: FeedChannel,
    parent: Page,
    existing: ShowPage | None,
    slug: str,
    values: dict,
    people: People,
    notes: list[str],
    *,
    publish: bool,
    user,
) -> ShowOutcome:
    with transaction.atomic():
        hosts = [ShowHost(person=people.get(ref), sort_order=i) for i, ref in enumerate(channel.hosts)]
        categories = [ShowCategory(category=c, sort_order=i) for i, c in enumerate(channel.categories[:3])]
        if len(channel.categories) > 3:
            notes.append(
                f"only the first 3 categories kept (the admin's limit): {', '.join(channel.categories[:3])}"
            )
        if existing is None:
            show = ShowPage(slug=slug, **values)
            show.categories = categories
            show.hosts = hosts
            add_page(parent, show, user=user, publish=publish)
            return ShowOutcome(show, CREATED, notes)
        show = existing.get_latest_revision_as_object()
        changed = _apply(show, values)
        changed |= _set_children(show, "categories", categories, ("category",))
        changed |= _set_children(show, "hosts", hosts, ("person_id",))
        status = _save(existing, show, changed, publish=publish, user=user)
    return ShowOutcome(ShowPage.objects.get(pk=existing.pk), status, notes)


def _apply(page: Page, values: dict) -> bool:
    """Set ``values`` on ``page``; True when any differed."""
    changed = False
    for name, value in values.items():
        if name == "artwork":
            if page.artwork_id != (value.pk if value else None):
                page.artwork, changed = value, True
        elif getattr(page, name) != value:
            setattr(page, name, value)
            changed = True
    return changed


def _set_children(page: Page, relation: str, rows: list, fields: tuple[str, ...]) -> bool:
    """Replace a child relation (chapters, people…) when its rows differ, in order, from ``rows``."""
    current = [tuple(getattr(row, f) for f in fields) for row in getattr(page, relation).all()]
    wanted = [tuple(getattr(row, f) for f in fields) for row in rows]
    if current == wanted:
        return False
    setattr(page, relation, rows)
    return True


def _save(existing: Page, page: Page, changed: bool, *, publish: bool, user) -> str:
    """Save a new revision when something changed, as the admin's edit view does, and publish it when
    asked. Unchanged pages get no revision, but ``publish`` still publishes a page that is not live yet
    (e.g. imported as a draft before) or whose latest revision is a draft."""
    if changed:
        revision = page.save_revision(user=user, log_action=True)
        if publish:
            revision.publish(user=user)
        return UPDATED
    if publish and (not existing.live or existing.has_unpublished_changes):
        revision = existing.get_latest_revision() or existing.save_revision(user=user, log_action=True)
        revision.publish(user=user)
        return PUBLISHED
    return UNCHANGED


def describe(exc: ValidationError) -> str:
    """A ValidationError as one line: "field: message; field: message"."""
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" if name != "__all__" else " ".join(messages)
            for name, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)


# -- Episodes -------------------------------------------------------------------------------------------


@dataclass
class Downloads:
    """What an episode needs from the network, fetched before its transaction starts."""

    audio: AudioFile | None = None  # an AudioFile already here (same episode, or same content)
    audio_path: Path | None = None  # else the downloaded file, to be checked and stored
    artwork: object | None = None
    chapters: list[ChapterRef] | None = None  # None: keep the episode's chapters as they are
    chapter_images: dict[str, object] = field(default_factory=dict)


def import_item(
    item: FeedItem,
    show: ShowPage,
    fetcher: Fetcher,
    people: People,
    *,
    publish: bool = False,
    user=None,
    site_url: str = "",
) -> EpisodeOutcome:
    """Import one episode. Never raises for a problem with the feed's data or files: the outcome says
    whether the episode was created, updated, published, left unchanged, skipped or failed, and why.

    ``site_url`` (the feed's <link>) resolves relative links in show notes that have no <link> of their own.
    """
    outcome = EpisodeOutcome(guid=item.guid, title=item.title, notes=list(item.notes))
    try:
        existing = _existing_episode(item, show)
    except ImportProblem as exc:
        outcome.status, outcome.reason = FAILED, str(exc)
        return outcome
    if item.enclosure is None:
        outcome.status, outcome.reason = SKIPPED, "no enclosure: there is no audio to import"
        return outcome
    with tempfile.TemporaryDirectory(prefix="import-feed-") as folder:
        try:
            downloads = _download(item, existing, fetcher, Path(folder), outcome.notes)
        except FetchError as exc:
            outcome.status, outcome.reason = FAILED, f"audio not downloaded: {exc}; episode skipped"
            return outcome
        people.prepare(item.people, outcome.notes)
        audio = None
        try:
            with transaction.atomic():
                audio = downloads.audio or create_audio_file(
                    downloads.audio_path, title=truncate(item.title, TITLE_MAX), user=user
                )
                outcome.status, outcome.page = _write_episode(
                    item,
                    show,
                    existing,
                    audio,
                    downloads,
                    people,
                    publish=publish,
                    user=user,
                    site_url=site_url,
                )
        except AudioError as exc:
            outcome.status, outcome.reason = FAILED, f"audio refused: {exc} Episode skipped."
        except ValidationError as exc:
            outcome.status, outcome.reason = (
                FAILED,
                f"not valid as an episode: {describe(exc)}; episode skipped",
            )
        if outcome.status == FAILED:
            people.forget()
            if downloads.audio is None:
                discard_stored_file(audio)  # its row was rolled back, but storage is not transactional
    return outcome


def _existing_episode(item: FeedItem, show: ShowPage) -> EpisodePage | None:
    """The show's episode with the item's guid, or None; raises ImportProblem when it cannot be had."""
    if not item.guid:
        raise ImportProblem("the item has neither a <guid> nor an enclosure, so it cannot be identified")
    limit = EpisodePage._meta.get_field("guid").max_length
    if len(item.guid) > limit:
        raise ImportProblem(
            f"its guid is {len(item.guid)} characters long, more than the {limit} we can store, and it must "
            "be kept exactly; episode skipped"
        )
    existing = EpisodePage.objects.child_of(show).filter(guid=item.guid).first()
    if existing is None:
        elsewhere = EpisodePage.objects.filter(guid=item.guid).first()
        if elsewhere is not None:
            raise ImportProblem(
                f"its guid belongs to the episode {elsewhere.title!r} (page {elsewhere.pk}) of another show, "
                "and guids are unique across the site; episode skipped"
            )
    return existing


def _download(
    item: FeedItem, existing: EpisodePage | None, fetcher: Fetcher, folder: Path, notes: list[str]
) -> Downloads:
    """Audio (raises FetchError), then artwork and chapters, whose problems become notes."""
    downloads = Downloads()
    downloads.audio, downloads.audio_path = _audio(item, existing, fetcher, folder)
    if item.image_url:
        try:
            downloads.artwork = import_image(fetcher, item.image_url, f"Artwork: {item.title}")
        except (FetchError, ImportProblem) as exc:
            notes.append(f"artwork not imported: {exc}")
    downloads.chapters = _chapters(item, existing, fetcher, notes)
    for chapter in downloads.chapters or []:
        if chapter.img and chapter.img not in downloads.chapter_images:
            try:
                downloads.chapter_images[chapter.img] = import_image(
                    fetcher, chapter.img, f"Chapter: {chapter.title}"
                )
            except (FetchError, ImportProblem) as exc:
                notes.append(f"image of chapter {chapter.title!r} not imported: {exc}")
    return downloads


def _chapters(item: FeedItem, existing: EpisodePage | None, fetcher: Fetcher, notes: list[str]):
    """The item's chapters; None when they cannot be had, so that an episode keeps those it has."""
    if not item.chapters_url:
        return item.inline_chapters
    if item.chapters_type and item.chapters_type not in CHAPTER_TYPES:
        notes.append(f"chapters of type {item.chapters_type} are not supported; left out")
        return None
    try:
        return fetch_chapters(fetcher, item.chapters_url)
    except (FetchError, ImportProblem) as exc:
        kept = "its chapters kept as they were" if existing else "imported without chapters"
        notes.append(f"chapters not imported ({kept}): {exc}")
        return None


def _audio(
    item: FeedItem, existing: EpisodePage | None, fetcher: Fetcher, folder: Path
) -> tuple[AudioFile | None, Path | None]:
    """The episode's AudioFile when it is already here, else the path of the downloaded file.

    An episode whose audio has the size the enclosure announces keeps it without a download (enclosures
    state exact byte lengths; the size of the file at the URL is asked when the feed does not say).
    Otherwise the file is downloaded and an AudioFile with the same SHA-256 is used if there is one.
    """
    location = fetcher.resolve(item.enclosure.url)
    current = existing.audio if existing is not None else None
    if current is not None and (item.enclosure.length or fetcher.size(location)) == current.size:
        return current, None
    name = re.sub(r"[^\w.-]", "_", Path(unquote(urlsplit(location).path)).name)[-100:] or "audio"
    path = folder / name
    sha256 = fetcher.download(location, path, settings.AUDIO_MAX_UPLOAD_BYTES, label=truncate(item.title, 40))
    same = AudioFile.objects.filter(sha256=sha256).order_by("pk").first()
    return (same, None) if same is not None else (None, path)


def episode_values(item: FeedItem, show: ShowPage, *, new: bool, site_url: str) -> dict:
    """EpisodePage field values from the item. Without a pubDate a new episode is dated now (to the
    second, as a pubDate would be) and an existing one keeps its date."""
    title = truncate(item.title, TITLE_MAX) or truncate(item.summary, 60) or "Untitled episode"
    values = {
        "title": title,
        "summary": truncate(item.summary, SUMMARY_MAX) or f"{title}: an episode of {show.title}.",
        "show_notes": rich_text_from_html(item.notes_html, item.link or site_url),
        "season": item.season,
        "episode_number": item.episode_number,
        "episode_type": item.episode_type,
        "explicit": item.explicit if item.explicit is not None else show.explicit,
    }
    if item.publication_date or new:
        values["publication_date"] = item.publication_date or timezone.now().replace(microsecond=0)
    return values


# How child rows are compared: an episode whose rows match these fields, in order, is unchanged.
CHILD_FIELDS = {
    "people": ("person_id", "role"),
    "transcript_links": ("url", "mime_type", "language", "rel"),
    "soundbites": ("start_ms", "duration_ms", "title"),
    "chapters": ("start_ms", "title", "url", "image_id"),
}


def _children_rows(item: FeedItem, downloads: Downloads, people: People) -> dict[str, list]:
    rows = {
        "people": [
            EpisodePerson(person=people.get(p), role=p.role, sort_order=i) for i, p in enumerate(item.people)
        ],
        "transcript_links": [
            EpisodeTranscriptLink(
                url=t.url, mime_type=t.mime_type, language=t.language, rel=t.rel, sort_order=i
            )
            for i, t in enumerate(item.transcripts)
        ],
        "soundbites": [
            Soundbite(start_ms=s.start_ms, duration_ms=s.duration_ms, title=s.title, sort_order=i)
            for i, s in enumerate(item.soundbites)
        ],
    }
    if downloads.chapters is not None:
        rows["chapters"] = [
            Chapter(
                start_ms=c.start_ms,
                title=c.title,
                url=c.url if _valid_url(c.url) else "",
                image=downloads.chapter_images.get(c.img),
                sort_order=i,
            )
            for i, c in enumerate(sorted(downloads.chapters, key=lambda c: c.start_ms))
        ]
    return rows


def _write_episode(
    item: FeedItem,
    show: ShowPage,
    existing: EpisodePage | None,
    audio: AudioFile,
    downloads: Downloads,
    people: People,
    *,
    publish: bool,
    user,
    site_url: str,
) -> tuple[str, EpisodePage]:
    values = episode_values(item, show, new=existing is None, site_url=site_url)
    values["audio_id"] = audio.pk
    if downloads.artwork is not None:  # else the episode keeps its artwork (or the show's is used)
        values["artwork_id"] = downloads.artwork.pk
    children = _children_rows(item, downloads, people)
    if existing is None:
        page = EpisodePage(guid=item.guid, slug=_free_slug(show, values["title"]), **values)
        for relation, rows in children.items():
            setattr(page, relation, rows)
        add_page(show, page, user=user, publish=publish)
        return CREATED, page
    # Edited as the admin edits a page: from its latest revision, which may be a draft.
    page = existing.get_latest_revision_as_object()
    changed = _apply(page, values)
    for relation, rows in children.items():
        changed |= _set_children(page, relation, rows, CHILD_FIELDS[relation])
    return _save(existing, page, changed, publish=publish, user=user), page


def _free_slug(show: ShowPage, title: str) -> str:
    """The slug the admin would give ``title``, with -2, -3… when a sibling has it (titles repeat)."""
    allow_unicode = getattr(settings, "WAGTAIL_ALLOW_UNICODE_SLUGS", True)
    base = slugify(title, allow_unicode=allow_unicode)[:240].strip("-") or "episode"
    taken = set(show.get_children().filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


# -- The whole import -----------------------------------------------------------------------------------


def import_feed(
    source: str,
    *,
    show_slug: str | None = None,
    publish: bool = False,
    user=None,
    fetcher: Fetcher | None = None,
    on_show: Callable[[ShowOutcome], None] | None = None,
    on_episode: Callable[[EpisodeOutcome], None] | None = None,
) -> ImportReport:
    """Import the feed at ``source`` (URL or local path).

    Raises FeedError, before anything is written, when the feed cannot be read, is not an RSS feed or
    lacks what a new show needs. Problems with single episodes are in the report instead; the callbacks
    hear of each outcome as it happens (the command prints them).
    """
    fetcher = fetcher or Fetcher(source)
    channel = parse_feed(read_source(fetcher))
    show_outcome = import_show(channel, fetcher, slug=show_slug, publish=publish, user=user)
    if on_show:
        on_show(show_outcome)
    people = People(fetcher)
    outcomes = []
    seen: set[str] = set()
    # Oldest first, so that episodes are created (and their revisions logged) in the order they aired.
    for item in sorted(channel.items, key=lambda i: i.publication_date or datetime.max.replace(tzinfo=UTC)):
        if item.guid and item.guid in seen:
            # Two items, one episode for podcast apps: importing both would overwrite one with the other
            # on every run.
            outcome = EpisodeOutcome(
                item.guid, item.title, SKIPPED, "an earlier item of the feed has its guid"
            )
        else:
            seen.add(item.guid)
            outcome = import_item(
                item, show_outcome.show, fetcher, people, publish=publish, user=user, site_url=channel.link
            )
        outcomes.append(outcome)
        if on_episode:
            on_episode(outcome)
    return ImportReport(show_outcome, outcomes)
