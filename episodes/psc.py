"""Podlove Simple Chapters (``psc:chapters``) as a feedgen extension.

The Podcasting 2.0 ``podcast:chapters`` tag links to a JSON file that an app must fetch; Spotify and several
other apps read only the chapters written into the feed itself, in this older format
(https://podlove.org/simple-chapters/, version 1.2)::

    <psc:chapters version="1.2">
      <psc:chapter start="00:00:00.000" title="Welcome" href="https://…" image="https://…"/>
    </psc:chapters>

Times are normal play time with milliseconds, hours always written, so that every app parses them alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml import etree

from .xmltext import xml_safe

PSC_NS = "http://podlove.org/simple-chapters"
PSC_VERSION = "1.2"


@dataclass(frozen=True)
class SimpleChapter:
    start_ms: int
    title: str
    href: str | None = None
    image: str | None = None


def npt(ms: int) -> str:
    """``HH:MM:SS.mmm`` for a time in milliseconds, the form of psc's ``start`` attribute."""
    if ms < 0:
        raise ValueError("a chapter cannot start before the audio")
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


class SimpleChaptersExtension(BaseExtension):
    """Declares the ``psc`` prefix once, on the feed's root."""

    def extend_ns(self) -> dict[str, str]:
        return {"psc": PSC_NS}


class SimpleChaptersEntryExtension(BaseEntryExtension):
    def __init__(self) -> None:
        self._chapters: list[SimpleChapter] = []

    def extend_ns(self) -> dict[str, str]:
        return {"psc": PSC_NS}

    def chapter(
        self,
        start_ms: int | None = None,
        title: str | None = None,
        href: str | None = None,
        image: str | None = None,
    ) -> list[SimpleChapter]:
        """Add a chapter and return them all (with no start, only return them). Chapters are written in
        the order of their start times, whatever the order they are added in."""
        if start_ms is not None:
            if isinstance(start_ms, bool) or not isinstance(start_ms, int) or start_ms < 0:
                raise ValueError(f"a chapter start must be a whole number of milliseconds, not {start_ms!r}")
            title = xml_safe(title or "").strip()
            if not title:
                raise ValueError("a chapter needs a title")
            self._chapters.append(
                SimpleChapter(start_ms, title, xml_safe(href or "") or None, xml_safe(image or "") or None)
            )
        return list(self._chapters)

    def extend_rss(self, item: etree._Element) -> etree._Element:
        if self._chapters:
            chapters = etree.SubElement(item, f"{{{PSC_NS}}}chapters", version=PSC_VERSION)
            for chapter in sorted(self._chapters, key=lambda c: c.start_ms):
                element = etree.SubElement(chapters, f"{{{PSC_NS}}}chapter")
                element.set("start", npt(chapter.start_ms))
                element.set("title", chapter.title)
                if chapter.href:
                    element.set("href", chapter.href)
                if chapter.image:
                    element.set("image", chapter.image)
        return item
