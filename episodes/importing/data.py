"""The feed as plain data: what :func:`~episodes.importing.parse.parse_feed` reads from the XML, and what
the show and its episodes are written from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..models import EpisodePage


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
    repairs: list[str] = field(default_factory=list)  # what was wrong with the XML, read as apps read it
