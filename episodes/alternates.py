"""``podcast:alternateEnclosure`` (Podcasting 2.0) as a feedgen extension: the other files of an episode,
each with its ``podcast:source`` (where to fetch it) and ``podcast:integrity`` (its SHA-256, as a
Subresource Integrity string), so that an app can offer the listener a smaller or better file::

    fg.register_extension("alternates", AlternateEnclosureExtension, AlternateEnclosureEntryExtension)
    entry.alternates.alternate_enclosure(
        "https://example.org/audio/1/r/0123456789abcdef.opus", "audio/ogg", 512_000,
        bitrate=48_000, title="Opus", codecs="opus", integrity=sri_sha256(hex_digest),
    )

The file that is the item's ``<enclosure>`` is listed too, with ``default="true"`` (the spec: "the same as
the file from the enclosure element and should be the preferred media element"), so that an app choosing
among the alternatives sees them all. Kept apart from ``podcast2`` (one module per tag family, each under
the size the project keeps its modules); it checks values with the same rules.

Spec: https://podcastindex.org/namespace/1.0#alternate-enclosure
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml import etree

from .podcast2 import PODCAST_NS, _append, _mime, _text, _url

# The spec's advice for UX: a title of at most 32 characters.
_MAX_TITLE = 32
_SRI = re.compile(r"sha(256|384|512)-[A-Za-z0-9+/]+={0,2}")


def sri_sha256(hex_digest: str) -> str:
    """The Subresource Integrity string of a file whose SHA-256 is ``hex_digest`` (as stored): the
    digest's bytes in base64, after ``sha256-``."""
    return "sha256-" + base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")


@dataclass(frozen=True)
class AlternateEnclosure:
    type: str
    length: int
    sources: tuple[str, ...]
    bitrate: int | None = None
    title: str | None = None
    codecs: str | None = None
    default: bool = False
    integrity: str | None = None  # an SRI string


class AlternateEnclosureExtension(BaseExtension):
    """Nothing at the channel level; feedgen wants a feed extension beside the entry one."""

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}


class AlternateEnclosureEntryExtension(BaseEntryExtension):
    """Item tag: ``podcast:alternateEnclosure`` with ``podcast:source`` and ``podcast:integrity``."""

    def __init__(self) -> None:
        self._enclosures: list[AlternateEnclosure] = []

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, item: etree._Element) -> etree._Element:
        for enclosure in self._enclosures:
            element = etree.SubElement(item, f"{{{PODCAST_NS}}}alternateEnclosure")
            attributes = {
                "type": enclosure.type,
                "length": str(enclosure.length),
                "bitrate": str(enclosure.bitrate) if enclosure.bitrate else None,
                "title": enclosure.title,
                "codecs": enclosure.codecs,
                "default": "true" if enclosure.default else None,
            }
            for name, value in attributes.items():
                if value is not None:
                    element.set(name, value)
            for uri in enclosure.sources:
                _append(element, "source", uri=uri)
            if enclosure.integrity:
                _append(element, "integrity", type="sri", value=enclosure.integrity)
        return item

    def alternate_enclosure(
        self,
        uri: str | None = None,
        type: str | None = None,
        length: int | None = None,
        *,
        bitrate: int | None = None,
        title: str | None = None,
        codecs: str | None = None,
        default: bool = False,
        integrity: str | None = None,
    ) -> list[AlternateEnclosure]:
        """Add a file of the item (one call per file) and return them all; with no uri, only return them.
        ``length`` in bytes, ``bitrate`` in bit/s, ``integrity`` an SRI string (``sri_sha256``). At most one
        may be the ``default`` (the enclosure's file)."""
        if uri is None:
            return list(self._enclosures)
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            raise ValueError(f"alternate enclosure length must be a whole number of bytes, not {length!r}")
        if bitrate is not None and (isinstance(bitrate, bool) or not isinstance(bitrate, int) or bitrate < 1):
            raise ValueError(f"alternate enclosure bitrate must be a positive whole bit/s, not {bitrate!r}")
        if integrity is not None and not _SRI.fullmatch(integrity):
            raise ValueError(f"alternate enclosure integrity must be an SRI string, not {integrity!r}")
        if default and any(enclosure.default for enclosure in self._enclosures):
            raise ValueError("only one alternate enclosure can be the default")
        self._enclosures.append(
            AlternateEnclosure(
                type=_mime(type, "alternate enclosure type"),
                length=length,
                sources=(_url(uri, "alternate enclosure source"),),
                bitrate=bitrate,
                title=_text(title, "alternate enclosure title", max_chars=_MAX_TITLE, optional=True),
                codecs=_text(codecs, "alternate enclosure codecs", max_chars=128, optional=True),
                default=default,
                integrity=integrity,
            )
        )
        return list(self._enclosures)
