"""feedgen's Apple (itunes) extension, brought up to Apple's current rules.

feedgen 1.0 writes ``itunes:explicit`` only as yes/no/clean, where Apple now asks for true/false, and refuses
artwork whose URL does not end in .jpg or .png (storage URLs may end in .jpeg or carry a query string).
These subclasses write those two tags themselves and leave everything else to feedgen.
"""

from feedgen.ext.podcast import PodcastExtension
from feedgen.ext.podcast_entry import PodcastEntryExtension
from feedgen.util import xml_elem

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"


class _ExplicitAndImage:
    _explicit: bool | None = None
    _image: str | None = None

    def itunes_explicit(self, explicit: bool | None = None) -> bool | None:
        if explicit is not None:
            self._explicit = bool(explicit)
        return self._explicit

    def itunes_image(self, url: str | None = None) -> str | None:
        if url is not None:
            self._image = url
        return self._image

    def _write(self, parent) -> None:
        if self._image:
            xml_elem(f"{{{ITUNES_NS}}}image", parent).attrib["href"] = self._image
        if self._explicit is not None:
            xml_elem(f"{{{ITUNES_NS}}}explicit", parent).text = "true" if self._explicit else "false"


class AppleExtension(_ExplicitAndImage, PodcastExtension):
    """Also itunes:block and itunes:complete as Apple writes them, "Yes", and only when set: feedgen writes
    "yes", and "no" for a block set to False, which Apple reads as no tag at all."""

    def itunes_block(self, block: bool | None = None) -> bool | None:
        if block is not None:
            super().itunes_block(True if block else None)
        return super().itunes_block()

    def itunes_complete(self, complete: bool | None = None) -> str | None:
        if complete is not None:
            super().itunes_complete(True if complete else "")
        return super().itunes_complete()

    def extend_rss(self, rss_feed):
        rss_feed = super().extend_rss(rss_feed)
        channel = rss_feed[0]
        self._write(channel)
        for name in ("block", "complete"):
            element = channel.find(f"{{{ITUNES_NS}}}{name}")
            if element is not None:
                element.text = "Yes"
        return rss_feed


class AppleEntryExtension(_ExplicitAndImage, PodcastEntryExtension):
    def extend_rss(self, entry):
        entry = super().extend_rss(entry)
        self._write(entry)
        return entry
