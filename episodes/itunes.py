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
    def extend_rss(self, rss_feed):
        rss_feed = super().extend_rss(rss_feed)
        self._write(rss_feed[0])
        return rss_feed


class AppleEntryExtension(_ExplicitAndImage, PodcastEntryExtension):
    def extend_rss(self, entry):
        entry = super().extend_rss(entry)
        self._write(entry)
        return entry
