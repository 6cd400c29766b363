"""What machines read about a page: canonical URL, description, Open Graph and Twitter tags, schema.org.

``page_meta`` gathers it once per request for ``{% page_meta %}`` in base.html's head. Everything here is
plain values and dicts; the template escapes the tags and ``json_ld`` escapes the JSON for a script tag.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Page as PaginatorPage
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.text import Truncator
from wagtail.fields import RichTextField
from wagtail.models import Page, Site

from concepts.models import ConceptIndexPage, ConceptPage
from episodes.embed import (
    EMBED_HEIGHT,
    EMBED_WIDTH,
    absolute,
    artwork_for,
    embed_url,
    embeddable_episodes,
    oembed_url,
    root_url_of,
    share_rendition,
)
from episodes.feeds import feed_url
from episodes.models import EpisodePage, InterviewPage, ShowPage
from transcripts.formats import to_text
from transcripts.templatetags.transcripts_tags import published_transcript, transcript_lines

from .models import HomePage

DESCRIPTION_CHARS = 300
# schema.org's AudioObject.transcript is text; past this many bytes the page's own transcript (and its
# download links) serve readers better than a huge script block in every page view.
TRANSCRIPT_MAX_BYTES = 20_000
# Roles that speak on the episode (schema.org "actor") rather than make it ("contributor").
SPEAKING_ROLES = {"host", "co-host", "guest", "interviewer"}

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
    player_width: int = EMBED_WIDTH
    player_height: int = EMBED_HEIGHT
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
    """Milliseconds as an ISO 8601 duration, e.g. ``PT1H2M3S`` (schema.org's Duration)."""
    hours, rest = divmod(round((ms or 0) / 1000), 3600)
    minutes, seconds = divmod(rest, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + f"{seconds}S"


def json_ld(data: dict) -> str:
    """JSON for a ``<script type="application/ld+json">``: ``<``, ``>`` and ``&`` escaped as \\u003C etc.,
    as Django's json_script does, so that no text can close the script element."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return text.translate({ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"})


def description_of(page: Page) -> str:
    """The search description an editor wrote, else the page's own summary, definition or intro."""
    if page.search_description:
        return plain_text(page.search_description)
    for name in ("summary", "definition", "description", "intro"):
        try:
            model_field = page._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        text = plain_text(getattr(page, name), rich=isinstance(model_field, RichTextField))
        if text:
            return text
    return ""


def image_for(page: Page):
    if isinstance(page, HomePage):
        show = page.featured_show
        return show.artwork if show is not None and show.live else None
    if isinstance(page, InterviewPage):
        return page.show.artwork if page.show_id and page.show else None
    return artwork_for(page)


def canonical_url(page: Page, request, context) -> str:
    """The page's full URL; a paginated listing past its first page keeps ``?page=N`` (and nothing else:
    ``?t=`` moments, campaign tags and the like all share the page's one canonical URL)."""
    url = page.get_full_url(request)
    if not url:
        return ""
    for value in context.flatten().values():
        # type(), not isinstance(): isinstance evaluates lazy values such as csrf_token, which would make
        # a token (and set its cookie) on every page, so no page could be cached.
        if issubclass(type(value), PaginatorPage) and value.number > 1:
            return f"{url}?page={value.number}"
    return url


def site_name_for(request) -> str:
    site = Site.find_for_request(request) if request is not None else None
    return (site.site_name if site and site.site_name else "") or settings.WAGTAIL_SITE_NAME


def page_meta(context) -> PageMeta:
    """Everything ``includes/meta.html`` writes, for the template context of a page (or of a view)."""
    request = context.get("request")
    meta = PageMeta(site_name=site_name_for(request))
    page = context.get("page")
    if not isinstance(page, Page):
        return meta  # a plain view (search, 404): the site name only

    meta.title = page.seo_title or page.title
    meta.description = description_of(page)
    meta.canonical = canonical_url(page, request, context)
    root = root_url_of(page, request)  # a new page's preview has none: then the request's
    url = page.get_full_url(request) or ""

    rendition = share_rendition(image_for(page))
    if rendition is not None:
        meta.image = ShareImage(
            url=absolute(root, rendition.url),
            width=rendition.width,
            height=rendition.height,
            alt=rendition.alt,  # the image's description (its alt text), else its title
        )

    audio = getattr(page, "audio", None)
    if audio is not None:
        meta.audio_url = absolute(root, audio.url)
        meta.audio_type = audio.content_type

    builder = _BUILDERS.get(type(page))
    if builder is not None:
        builder(page, request, meta, root=root, url=url)
    return meta


# --------------------------------------------------------------------------------------------- per type


def _person(person) -> dict:
    data: dict[str, Any] = {"@type": "Person", "name": person.name}
    if person.role_description:
        data["description"] = person.role_description
    if person.link:
        data["url"] = person.link
    return data


def _audio_object(audio, root: str) -> dict:
    data = {
        "@type": "AudioObject",
        "contentUrl": absolute(root, audio.url),
        "encodingFormat": audio.content_type,
        "duration": iso_duration(audio.duration_ms),
    }
    transcript = published_transcript(audio)
    if transcript is not None:
        # The lines the page's transcript section reads too: one query for both.
        text = to_text(transcript_lines(transcript), language=transcript.language).strip()
        if text and len(text.encode()) <= TRANSCRIPT_MAX_BYTES:
            data["transcript"] = text
    return data


def _series_ref(show: ShowPage, request, root: str) -> dict:
    return {
        "@type": "PodcastSeries",
        "name": show.title,
        "url": show.get_full_url(request),
        "webFeed": feed_url(show, root),
    }


def _people(page, data: dict) -> None:
    actors, contributors = [], []
    for credit in page.people.select_related("person"):
        (actors if credit.role in SPEAKING_ROLES else contributors).append(_person(credit.person))
    if actors:
        data["actor"] = actors
    if contributors:
        data["contributor"] = contributors


def _base(schema_type: str, meta: PageMeta, url: str) -> dict:
    data: dict[str, Any] = {"@context": "https://schema.org", "@type": schema_type, "name": meta.title}
    if meta.description:
        data["description"] = meta.description
    if url:
        data["url"] = url
    if meta.image:
        data["image"] = meta.image.url
    return data


def _home(page: HomePage, request, meta: PageMeta, *, root: str, url: str) -> None:
    search_url = absolute(root, reverse("search:search"))
    meta.json_ld.append(
        {
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": meta.site_name,
            "url": url or root + "/",
            "potentialAction": {
                "@type": "SearchAction",
                "target": {"@type": "EntryPoint", "urlTemplate": f"{search_url}?q={{search_term_string}}"},
                "query-input": "required name=search_term_string",
            },
        }
    )


def _show(page: ShowPage, request, meta: PageMeta, *, root: str, url: str) -> None:
    data = _base("PodcastSeries", meta, url)
    data["webFeed"] = feed_url(page, root)
    data["inLanguage"] = page.language
    hosts = [host.person for host in page.hosts.select_related("person")]
    author = next((person for person in hosts if person.name == page.author), None)
    data["author"] = _person(author) if author else {"@type": "Organization", "name": page.author}
    if hosts:
        data["actor"] = [_person(person) for person in hosts]
    meta.json_ld.append(data)


def _episode(page: EpisodePage, request, meta: PageMeta, *, root: str, url: str) -> None:
    meta.published_time = page.publication_date.isoformat()
    if page.live and embeddable_episodes().filter(pk=page.pk).exists():
        meta.player_url = embed_url(page, request)
        meta.oembed_url = oembed_url(url, root)

    data = _base("PodcastEpisode", meta, url)
    data["datePublished"] = page.publication_date.isoformat()
    if page.episode_number:
        data["episodeNumber"] = page.episode_number
    if page.season:
        data["partOfSeason"] = {"@type": "PodcastSeason", "seasonNumber": page.season}
    show = page.show
    if show is not None:
        data["partOfSeries"] = _series_ref(show, request, root)
    if page.audio is not None:
        data["timeRequired"] = data["duration"] = iso_duration(page.audio.duration_ms)
        data["associatedMedia"] = _audio_object(page.audio, root)
    _people(page, data)
    meta.json_ld.append(data)


def _interview(page: InterviewPage, request, meta: PageMeta, *, root: str, url: str) -> None:
    meta.og_type = "article"
    meta.published_time = page.date.isoformat()
    data = _base("Article", meta, url)
    data["headline"] = Truncator(meta.title).chars(110)
    data["datePublished"] = page.date.isoformat()
    if page.last_published_at:
        data["dateModified"] = page.last_published_at.isoformat()
    data["publisher"] = {"@type": "Organization", "name": meta.site_name, "url": root + "/"}
    credits = list(page.people.select_related("person"))
    authors = [_person(credit.person) for credit in credits if credit.role == "interviewer"]
    data["author"] = authors or data["publisher"]
    others = [_person(credit.person) for credit in credits if credit.role != "interviewer"]
    if others:
        data["contributor"] = others
    if page.show_id and page.show and page.show.live:
        data["isPartOf"] = _series_ref(page.show, request, root)
    if page.audio is not None:
        data["associatedMedia"] = _audio_object(page.audio, root)
    meta.json_ld.append(data)


def _concept(page: ConceptPage, request, meta: PageMeta, *, root: str, url: str) -> None:
    meta.og_type = "article"
    data = _base("DefinedTerm", meta, url)
    data["name"] = page.title  # the term itself, even when an SEO title is set
    data["description"] = plain_text(page.definition, None)
    if page.alias_list:
        data["alternateName"] = page.alias_list
    glossary = page.get_parent()
    if glossary is not None:
        data["inDefinedTermSet"] = {
            "@type": "DefinedTermSet",
            "name": glossary.title,
            "url": glossary.get_full_url(request),
        }
    meta.json_ld.append(data)


def _glossary(page: ConceptIndexPage, request, meta: PageMeta, *, root: str, url: str) -> None:
    meta.json_ld.append(_base("DefinedTermSet", meta, url))


_BUILDERS = {
    HomePage: _home,
    ShowPage: _show,
    EpisodePage: _episode,
    InterviewPage: _interview,
    ConceptPage: _concept,
    ConceptIndexPage: _glossary,
}
