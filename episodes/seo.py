"""What machines read about a page: description, share image, Open Graph tags and schema.org JSON-LD.

Each page model says what it is: ``SeoMixin`` gathers what every page has (title, description, image,
audio) and calls the page's own ``open_graph`` and ``json_ld``, which ShowPage, EpisodePage, InterviewPage,
ConceptPage, HomePage and the others override. The site's ``{% page_meta %}`` tag (website.seo) only adds
the canonical URL and writes the tags.

It lives in ``episodes`` because every app with pages may import episodes (and none may import website),
and because what pages share here (share images, absolute URLs, people and audio as schema.org objects)
is episodes' own. It imports no models: the page models import it. Other apps add to an audio's
description through the ``AUDIO_OBJECT_HOOK`` hook (transcripts adds the transcript's text).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.utils.html import strip_tags
from django.utils.text import Truncator
from wagtail import hooks
from wagtail.fields import RichTextField
from wagtail.models import Site

from .timecodes import split_ms

DESCRIPTION_CHARS = 300
# Roles that speak on the episode (schema.org "actor") rather than make it ("contributor").
SPEAKING_ROLES = {"host", "co-host", "guest", "interviewer"}
# Podcast artwork is square; cropping it to 1.91:1 would cut off the show's name, so it is only scaled.
SHARE_IMAGE_FILTER = "max-1200x1200"
# Wagtail hook: ``fn(audio, data)`` adds to ``data``, the schema.org AudioObject of ``audio``.
AUDIO_OBJECT_HOOK = "seo_audio_object"

_BLOCK_END = re.compile(r"(</(?:p|h[1-6]|li|blockquote|div)>|<br\s*/?>)", re.IGNORECASE)


@dataclass
class ShareImage:
    url: str
    width: int
    height: int
    alt: str


@dataclass
class PageMeta:
    site_name: str
    title: str = ""
    description: str = ""
    canonical: str = ""
    og_type: str = "website"
    image: ShareImage | None = None
    audio_url: str = ""
    audio_type: str = ""
    player_url: str = ""
    player_width: int = 0
    player_height: int = 0
    oembed_url: str = ""
    published_time: str = ""
    json_ld: list[dict[str, Any]] = field(default_factory=list)

    @property
    def twitter_card(self) -> str:
        # X shows twitter:player only on a "player" card, and that card needs an image.
        if self.player_url and self.image:
            return "player"
        return "summary_large_image" if self.image else "summary"


def plain_text(value: str | None, limit: int | None = DESCRIPTION_CHARS, *, rich: bool = False) -> str:
    """Text (or rich text's HTML, with ``rich``) as one line of plain text, cut at ``limit`` characters on
    a word. Plain text keeps whatever it says, ``<`` included: the template escapes it."""
    if not value:
        return ""
    text = html.unescape(strip_tags(_BLOCK_END.sub(r"\1 ", str(value)))) if rich else str(value)
    text = " ".join(text.split())
    return Truncator(text).chars(limit) if limit else text


def iso_duration(ms: int | None) -> str:
    """Milliseconds as an ISO 8601 duration, e.g. ``PT1H2M3S`` (schema.org's Duration), in whole seconds."""
    hours, minutes, seconds, _ = split_ms(round((ms or 0) / 1000) * 1000)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + f"{seconds}S"


def share_rendition(image):
    """The rendition of ``image`` that link previews and oEmbed thumbnails use; None when the file is gone."""
    if image is None:
        return None
    try:
        return image.get_rendition(SHARE_IMAGE_FILTER)
    except (OSError, ObjectDoesNotExist):
        return None  # a missing or unreadable original must not break the page that links to it


def absolute(root_url: str, url: str) -> str:
    """``url`` made absolute against the site's root URL (storage URLs may already be absolute)."""
    return url if urlsplit(url).scheme else root_url.rstrip("/") + url


def root_url_of(page, request=None) -> str:
    parts = page.get_url_parts(request)
    if parts and parts[1]:
        return parts[1]
    return request.build_absolute_uri("/").rstrip("/") if request is not None else ""


def site_name_for(request) -> str:
    site = Site.find_for_request(request) if request is not None else None
    return (site.site_name if site and site.site_name else "") or settings.WAGTAIL_SITE_NAME


# ------------------------------------------------------------------------------------ schema.org pieces


def person_ld(person) -> dict:
    data: dict[str, Any] = {"@type": "Person", "name": person.name}
    if person.role_description:
        data["description"] = person.role_description
    if person.link:
        data["url"] = person.link
    return data


def audio_object_ld(audio, root: str) -> dict:
    """The schema.org AudioObject of ``audio``: the file listeners get (the site's player's), which
    names no file while a master podcast apps would not take is being prepared."""
    data = {"@type": "AudioObject", "duration": iso_duration(audio.duration_ms)}
    source = listened(audio)
    if source is not None:
        data["contentUrl"] = absolute(root, source.url)
        data["encodingFormat"] = source.mime_type
    for describe in hooks.get_hooks(AUDIO_OBJECT_HOOK):
        describe(audio, data)
    return data


def listened(audio):
    """The file the site's player plays for ``audio`` (``episodes.models.renditions.listening``)."""
    from .models.renditions import listening  # the page models import this module

    return listening(audio)


def people_ld(page, data: dict) -> None:
    """The page's people into ``data``: those who speak as ``actor``, the others as ``contributor``."""
    actors, contributors = [], []
    credits = getattr(page, "credits", None)  # the list the page shows, when the page type keeps one
    for credit in credits if credits is not None else page.people.select_related("person"):
        (actors if credit.role in SPEAKING_ROLES else contributors).append(person_ld(credit.person))
    if actors:
        data["actor"] = actors
    if contributors:
        data["contributor"] = contributors


class SeoMixin:
    """For page models: what search engines, social sites and podcast apps read about the page.

    ``seo_meta`` fills in what every page has; a page type states the rest by overriding
    ``share_image``, ``open_graph`` (og:type, article time, player) and ``json_ld`` (its schema.org data).
    """

    def share_image(self):
        """The image shown when the page is shared: its own artwork, if it has any."""
        return getattr(self, "artwork", None)

    def seo_description(self) -> str:
        """The search description an editor wrote, else the page's own summary, definition or intro."""
        if self.search_description:
            return plain_text(self.search_description)
        for name in ("summary", "definition", "description", "intro"):
            try:
                model_field = self._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            text = plain_text(getattr(self, name), rich=isinstance(model_field, RichTextField))
            if text:
                return text
        return ""

    def seo_meta(self, request) -> PageMeta:
        """Everything the head's meta tags say about this page, but its canonical URL (which depends on
        the listing page shown: see website.seo)."""
        meta = PageMeta(site_name=site_name_for(request))
        meta.title = self.seo_title or self.title
        meta.description = self.seo_description()
        root = root_url_of(self, request)  # a new page's preview has none: then the request's
        url = self.get_full_url(request) or ""

        rendition = share_rendition(self.share_image())
        if rendition is not None:
            meta.image = ShareImage(
                url=absolute(root, rendition.url),
                width=rendition.width,
                height=rendition.height,
                alt=rendition.alt,  # the image's description (its alt text), else its title
            )

        audio = getattr(self, "audio", None)
        source = listened(audio) if audio is not None else None
        if source is not None:
            meta.audio_url = absolute(root, source.url)
            meta.audio_type = source.mime_type

        self.open_graph(meta, request, root=root, url=url)
        meta.json_ld = self.json_ld(meta, request, root=root, url=url)
        return meta

    def open_graph(self, meta: PageMeta, request, *, root: str, url: str) -> None:
        """Set this page type's own Open Graph values on ``meta`` (og:type, published time, player)."""

    def json_ld(self, meta: PageMeta, request, *, root: str, url: str) -> list[dict]:
        """This page's schema.org objects; none unless the page type says what it is."""
        return []

    def schema_ld(self, schema_type: str, meta: PageMeta, url: str) -> dict:
        """The start of this page's schema.org object: its type, name, description, URL and image."""
        data: dict[str, Any] = {"@context": "https://schema.org", "@type": schema_type, "name": meta.title}
        if meta.description:
            data["description"] = meta.description
        if url:
            data["url"] = url
        if meta.image:
            data["image"] = meta.image.url
        return data
