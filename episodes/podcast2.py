"""The Podcasting 2.0 namespace (``podcast:``) as a feedgen extension.

feedgen 1.0 ships only the iTunes tags (its ``podcast`` extension), so this module adds the
podcastindex.org tags we publish, registered the same way::

    fg.load_extension("podcast")  # itunes:*
    fg.register_extension("podcast2", Podcast2Extension, Podcast2EntryExtension)
    fg.podcast2.guid(podcast_guid(feed_url))
    entry.podcast2.transcript(url, TRANSCRIPT_VTT, language="en", rel="captions")

As in feedgen, calling a setter with no argument returns the current value. Setters validate what
they are given, so a bad value fails where it is set rather than as a broken feed in a podcast app.

Much of what ends up in a feed is typed by editors, so every text and attribute value goes through
:func:`xml_safe` on its way into the tree; lxml escapes ``&``, ``<`` and ``]]>`` itself, so nothing is
escaped here by hand and nothing is escaped twice.

Spec: https://podcastindex.org/namespace/1.0
"""

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml import etree

from .xmltext import xml_safe

PODCAST_NS = "https://podcastindex.org/namespace/1.0"

#: The namespace the spec fixes for ``podcast:guid`` UUIDv5s, so anyone can recompute a feed's guid.
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")

#: Apple Podcasts cuts (or refuses) longer descriptions; see :func:`truncate_utf8`.
APPLE_DESCRIPTION_MAX_BYTES = 4000

TRANSCRIPT_VTT = "text/vtt"
TRANSCRIPT_SRT = "application/x-subrip"
TRANSCRIPT_JSON = "application/json"  # the Podcasting 2.0 JSON transcript format
TRANSCRIPT_HTML = "text/html"
TRANSCRIPT_PLAIN = "text/plain"
#: Timed formats that apps can show as captions; these customarily carry ``rel="captions"``.
CAPTION_TYPES = frozenset({TRANSCRIPT_VTT, TRANSCRIPT_SRT})

CHAPTERS_JSON = "application/json+chapters"

# The spec's length limits for free text (characters, not bytes).
_MAX_TEXT = 128
_MAX_EPISODE_DISPLAY = 32

# XML 1.0 Char production: everything else (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF)
# makes lxml raise, or could not be encoded at all.
_HTTP_URL = re.compile(r"https?://[^/?#]", re.IGNORECASE)
_MIME_TYPE = re.compile(r"[\w.+-]+/[\w.+-]+")

Number = int | float | Decimal


def podcast_guid(feed_url: str) -> str:
    """The ``podcast:guid`` the spec derives from a feed URL, so it survives moving hosts.

    UUIDv5 of the URL without its scheme (any ``scheme://``) and trailing slashes, in the spec's
    namespace: ``https://example.com/rss/`` and ``http://example.com/rss`` give the same guid.
    """
    name = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", feed_url.strip()).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, name))


@dataclass(frozen=True)
class Locked:
    locked: bool
    owner: str | None = None


@dataclass(frozen=True)
class Funding:
    url: str
    text: str | None = None


@dataclass(frozen=True)
class Person:
    name: str
    role: str | None = None
    group: str | None = None
    img: str | None = None
    href: str | None = None


@dataclass(frozen=True)
class License:
    identifier: str
    url: str | None = None


@dataclass(frozen=True)
class Txt:
    text: str
    purpose: str | None = None


@dataclass(frozen=True)
class Season:
    number: int
    name: str | None = None


@dataclass(frozen=True)
class Episode:
    number: Decimal
    display: str | None = None


@dataclass(frozen=True)
class Chapters:
    url: str
    type: str = CHAPTERS_JSON


@dataclass(frozen=True)
class Transcript:
    url: str
    type: str
    language: str | None = None
    rel: str | None = None


@dataclass(frozen=True)
class Soundbite:
    start: Decimal
    duration: Decimal
    title: str | None = None


def _text(value: str | None, field: str, *, max_chars: int = _MAX_TEXT, optional: bool = False) -> str | None:
    """Clean and check one text value; blank optional text counts as absent."""
    if value is None:
        if optional:
            return None
        raise ValueError(f"{field} is required")
    if not isinstance(value, str):
        raise TypeError(f"{field} must be a string, not {type(value).__name__}")
    value = xml_safe(value).strip()
    if not value:
        if optional:
            return None
        raise ValueError(f"{field} must not be empty")
    if len(value) > max_chars:
        raise ValueError(f"{field} must be at most {max_chars} characters")
    return value


def _url(value: str | None, field: str, *, optional: bool = False) -> str | None:
    """Podcast apps fetch these from anywhere, so only absolute http(s) URLs make sense."""
    value = _text(value, field, max_chars=2048, optional=optional)
    if value is None:
        return None
    if not _HTTP_URL.match(value):  # the same test as urlsplit's scheme and netloc, several times faster
        raise ValueError(f"{field} must be an absolute http(s) URL, not {value!r}")
    return value


def _mime(value: str | None, field: str) -> str:
    """Any MIME type is allowed (the spec lists common ones), but it must look like one."""
    value = _text(value, field, max_chars=255)
    if not _MIME_TYPE.fullmatch(value):
        raise ValueError(f"{field} must be a MIME type such as text/vtt, not {value!r}")
    return value


def _decimal(value: Number, field: str) -> Decimal:
    """A finite, non-negative number, kept exact (floats go through their shortest repr)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise TypeError(f"{field} must be a number, not {type(value).__name__}")
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{field} must be finite")
    if number < 0:
        raise ValueError(f"{field} must not be negative")
    return number


def _format(number: Decimal) -> str:
    """Plain decimal notation: ``3``, ``315.5``, never ``1E+2`` or ``-0``."""
    return "0" if number == 0 else format(number.normalize(), "f")


def _append(parent: etree._Element, tag: str, text: str | None = None, **attrs: str | None) -> None:
    """Add one ``podcast:`` element. Values come from the setters, already through :func:`xml_safe`
    (by ``_text``, ``_url`` or ``_mime``) or made here from numbers and UUIDs, so lxml gets only what
    it can serialise, and it does all the escaping."""
    element = etree.SubElement(parent, f"{{{PODCAST_NS}}}{tag}")
    for name, value in attrs.items():
        if value is not None:
            element.set(name, value)
    element.text = text


class _Persons:
    """``podcast:person``, allowed on both the channel and items."""

    _persons: list[Person]

    def person(
        self,
        name: str | None = None,
        *,
        role: str | None = None,
        group: str | None = None,
        img: str | None = None,
        href: str | None = None,
    ) -> list[Person]:
        """Add a person (repeatable) and return them all; role and group come from the spec's
        taxonomy (apps assume "host" and "cast" when absent). With no name, only return them."""
        if name is None:
            if any(value is not None for value in (role, group, img, href)):
                raise ValueError("a person needs a name")
        else:
            self._persons.append(
                Person(
                    name=_text(name, "person name"),
                    role=_text(role, "person role", optional=True),
                    group=_text(group, "person group", optional=True),
                    img=_url(img, "person img", optional=True),
                    href=_url(href, "person href", optional=True),
                )
            )
        return list(self._persons)

    def _write_persons(self, parent: etree._Element) -> None:
        for p in self._persons:
            _append(parent, "person", p.name, role=p.role, group=p.group, img=p.img, href=p.href)


class _License:
    """``podcast:license``, allowed on both the channel and items (an item's replaces the channel's)."""

    _license: License | None = None

    def license(self, identifier: str | None = None, url: str | None = None) -> License | None:
        """Set or get the licence: a lower-cased SPDX identifier such as ``cc-by-4.0``, or a custom
        name; ``url`` is its legal text, which the spec requires for a custom licence."""
        if identifier is None:
            if url is not None:
                raise ValueError("a license url needs a license identifier")
        else:
            self._license = License(
                _text(identifier, "license").lower(), _url(url, "license url", optional=True)
            )
        return self._license

    def _write_license(self, parent: etree._Element) -> None:
        if self._license:
            _append(parent, "license", self._license.identifier, url=self._license.url)


class Podcast2Extension(_License, _Persons, BaseExtension):
    """Channel tags: ``podcast:guid``, ``locked``, ``funding``, ``person``, ``license`` and ``txt``."""

    def __init__(self) -> None:
        self._guid: str | None = None
        self._locked: Locked | None = None
        self._funding: list[Funding] = []
        self._persons = []
        self._txts: list[Txt] = []

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, rss_feed: etree._Element) -> etree._Element:
        channel = rss_feed[0]
        if self._guid:
            _append(channel, "guid", self._guid)
        if self._locked:
            _append(channel, "locked", "yes" if self._locked.locked else "no", owner=self._locked.owner)
        for f in self._funding:
            _append(channel, "funding", f.text, url=f.url)
        self._write_persons(channel)
        self._write_license(channel)
        for t in self._txts:
            _append(channel, "txt", t.text, purpose=t.purpose)
        return rss_feed

    def txt(self, text: str | None = None, purpose: str | None = None) -> list[Txt]:
        """Add free text for machines (repeatable), such as a directory's ownership token, and return
        them all; ``purpose`` (at most 128 characters) says what it is for, e.g.
        "applepodcastsverify". With no text, only return them."""
        if text is None:
            if purpose is not None:
                raise ValueError("a txt purpose needs its text")
        else:
            self._txts.append(
                Txt(_text(text, "txt", max_chars=4000), _text(purpose, "txt purpose", optional=True))
            )
        return list(self._txts)

    def guid(self, guid: str | uuid.UUID | None = None) -> str | None:
        """Set or get the feed's permanent id; normally ``podcast_guid(feed_url)``. Must be a UUID."""
        if guid is not None:
            try:
                self._guid = str(guid if isinstance(guid, uuid.UUID) else uuid.UUID(guid.strip()))
            except (ValueError, AttributeError) as error:
                raise ValueError(f"podcast:guid must be a UUID, not {guid!r}") from error
        return self._guid

    def locked(self, locked: bool | None = None, owner: str | None = None) -> Locked | None:
        """Set or get whether other platforms may import the feed; ``owner`` is the email that
        may prove ownership to unlock it."""
        if locked is None:
            if owner is not None:
                raise ValueError("set locked (True or False) together with its owner")
        elif not isinstance(locked, bool):
            raise TypeError("locked must be True or False")
        else:
            self._locked = Locked(locked, _text(owner, "locked owner", optional=True))
        return self._locked

    def funding(self, url: str | None = None, text: str | None = None) -> list[Funding]:
        """Add a donation/membership link (repeatable) and return them all; ``text`` is the
        label apps show, at most 128 characters. With no url, only return them."""
        if url is None:
            if text is not None:
                raise ValueError("funding needs a url")
        else:
            self._funding.append(
                Funding(_url(url, "funding url"), _text(text, "funding text", optional=True))
            )
        return list(self._funding)


class Podcast2EntryExtension(_License, _Persons, BaseEntryExtension):
    """Item tags: ``podcast:season``, ``episode``, ``chapters``, ``transcript``, ``person``,
    ``soundbite`` and ``license``."""

    def __init__(self) -> None:
        self._season: Season | None = None
        self._episode: Episode | None = None
        self._chapters: Chapters | None = None
        self._transcripts: list[Transcript] = []
        self._persons = []
        self._soundbites: list[Soundbite] = []

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, item: etree._Element) -> etree._Element:
        if self._season:
            _append(item, "season", str(self._season.number), name=self._season.name)
        if self._episode:
            _append(item, "episode", _format(self._episode.number), display=self._episode.display)
        if self._chapters:
            _append(item, "chapters", url=self._chapters.url, type=self._chapters.type)
        for t in self._transcripts:
            _append(item, "transcript", url=t.url, type=t.type, language=t.language, rel=t.rel)
        self._write_persons(item)
        for s in self._soundbites:
            _append(item, "soundbite", s.title, startTime=_format(s.start), duration=_format(s.duration))
        self._write_license(item)
        return item

    def season(self, number: int | None = None, name: str | None = None) -> Season | None:
        """Set or get the season: a whole number, with an optional name apps may show instead."""
        if number is None:
            if name is not None:
                raise ValueError("a season name needs a season number")
        else:
            if isinstance(number, bool) or not isinstance(number, int):
                raise TypeError("season number must be an integer")
            if number < 0:
                raise ValueError("season number must not be negative")
            self._season = Season(number, _text(name, "season name", optional=True))
        return self._season

    def episode(self, number: Number | None = None, display: str | None = None) -> Episode | None:
        """Set or get the episode number, which may be decimal (``315.5``); ``display`` (at most 32
        characters) is what apps show instead, e.g. "Ep. 3 part 2"."""
        if number is None:
            if display is not None:
                raise ValueError("an episode display needs an episode number")
        else:
            display = _text(display, "episode display", max_chars=_MAX_EPISODE_DISPLAY, optional=True)
            self._episode = Episode(_decimal(number, "episode number"), display)
        return self._episode

    def chapters(self, url: str | None = None, type: str = CHAPTERS_JSON) -> Chapters | None:
        """Set or get the link to the episode's chapters file (JSON chapters by default)."""
        if url is not None:
            self._chapters = Chapters(_url(url, "chapters url"), _mime(type, "chapters type"))
        return self._chapters

    def transcript(
        self,
        url: str | None = None,
        type: str | None = None,
        language: str | None = None,
        rel: str | None = None,
    ) -> list[Transcript]:
        """Add a transcript (one call per format) and return them all. ``type`` is a MIME type,
        usually one of the ``TRANSCRIPT_*`` constants; pass ``rel="captions"`` for timed formats
        (``CAPTION_TYPES``). Setting a url again replaces its earlier entry, so a transcript
        published twice is listed once. With no url, only return them."""
        if url is None:
            if any(value is not None for value in (type, language, rel)):
                raise ValueError("a transcript needs a url")
            return list(self._transcripts)
        transcript = Transcript(
            url=_url(url, "transcript url"),
            type=_mime(type, "transcript type"),
            language=_text(language, "transcript language", max_chars=35, optional=True),
            rel=_text(rel, "transcript rel", max_chars=32, optional=True),
        )
        urls = [t.url for t in self._transcripts]
        if transcript.url in urls:
            self._transcripts[urls.index(transcript.url)] = transcript
        else:
            self._transcripts.append(transcript)
        return list(self._transcripts)

    def soundbite(
        self,
        start_seconds: Number | None = None,
        duration_seconds: Number | None = None,
        title: str | None = None,
    ) -> list[Soundbite]:
        """Add a highlight for previews and sharing (repeatable) and return them all. With no
        start, only return them."""
        if start_seconds is None:
            if duration_seconds is not None or title is not None:
                raise ValueError("a soundbite needs a start time")
            return list(self._soundbites)
        if duration_seconds is None:
            raise ValueError("a soundbite needs a duration")
        duration = _decimal(duration_seconds, "soundbite duration")
        if duration == 0:
            raise ValueError("soundbite duration must be more than zero")
        start = _decimal(start_seconds, "soundbite start")
        self._soundbites.append(Soundbite(start, duration, _text(title, "soundbite title", optional=True)))
        return list(self._soundbites)
