"""The podcast feed of a show: RSS 2.0 with Apple's and Podcasting 2.0 tags, built with feedgen.

The feed lists live, public episodes that have audio, newest first, all of them. Building it costs a fixed
number of queries whatever the number of episodes. Built feeds are cached under a key that includes the
show's ``feed_changed_at``, which signal handlers move forward whenever something the feed shows changes
(see ``episodes.signal_handlers``); so every process agrees on freshness without sharing a cache.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from feedgen.feed import FeedGenerator
from wagtail import hooks
from wagtail.rich_text import expand_db_html

from .categories import split_category
from .itunes import AppleEntryExtension, AppleExtension
from .models import Chapter, EpisodePage, EpisodePerson, ShowPage
from .podcast2 import Podcast2EntryExtension, Podcast2Extension, podcast_guid, truncate_utf8, xml_safe
from .websub import WebSubExtension, hub_urls

APPLE_DESCRIPTION_BYTES = 4000
CHAPTERS_MIME_TYPE = "application/json+chapters"
FEED_MIME_TYPE = "application/rss+xml; charset=utf-8"
CACHE_SECONDS = 60 * 60 * 24
# Wagtail hook: ``fn(episode, root_url) -> [(url, mime_type, language, rel), ...]``. The transcripts app
# registers one, so that the feed lists transcript files without this app importing that one.
TRANSCRIPT_LINKS_HOOK = "podcast_transcript_links"


@dataclass(frozen=True)
class BuiltFeed:
    content: bytes
    etag: str
    last_modified: datetime


def feed_path(show: ShowPage) -> str:
    return reverse("episodes:feed", kwargs={"pk": show.pk})


def site_root(show: ShowPage) -> str:
    site = show.get_site()
    return site.root_url if site else settings.WAGTAILADMIN_BASE_URL.rstrip("/")


def feed_url(show: ShowPage, root_url: str | None = None) -> str:
    return (root_url or site_root(show)) + feed_path(show)


def feed_episodes(show: ShowPage):
    """Live, public episodes of the show with audio, newest first, with all they show in the feed."""
    return (
        EpisodePage.objects.child_of(show)
        .live()
        .public()
        .filter(audio__isnull=False)
        .select_related("audio", "artwork")
        .prefetch_related(
            Prefetch("people", queryset=EpisodePerson.objects.select_related("person__photo")),
            Prefetch("chapters", queryset=Chapter.objects.order_by("start_ms", "sort_order")),
            "soundbites",
            "transcript_links",
        )
        .order_by("-publication_date", "-pk")
    )


def expand_rich_text_many(values: list[str]) -> list[str]:
    """``expand_db_html`` for many values in one pass, so that links to pages and documents in every
    episode's notes are resolved with one query per link type instead of one per episode."""
    if not values:
        return []
    marker = "<!--episode-notes-boundary-->"
    return expand_db_html(marker.join(values)).split(marker)


# The Podcasting 2.0 extension enforces the namespace's rules strictly (text of at most 128 characters,
# absolute http(s) URLs); editors' input is shaped to fit here, so that no value can stop the feed.
TAG_TEXT_MAX = 128


def _fit(text: str, limit: int = TAG_TEXT_MAX) -> str | None:
    text = xml_safe(text or "").strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text or None


def _http(url: str | None) -> str | None:
    return url if url and url.lower().startswith(("http://", "https://")) else None


def _person(ext, person, role: str, root_url: str) -> None:
    name = _fit(person.name)
    if name is None:
        return
    ext.person(
        name,
        role=role,
        img=_http(root_url + person.photo.file.url) if person.photo else None,
        href=_http(person.link),
    )


def build_feed(show: ShowPage) -> bytes:
    root_url = site_root(show)
    url = feed_url(show, root_url)
    show_url = show.get_full_url()

    fg = FeedGenerator()
    fg.register_extension("podcast", AppleExtension, AppleEntryExtension)
    fg.register_extension("podcast2", Podcast2Extension, Podcast2EntryExtension)

    description = truncate_utf8(xml_safe(show.description), APPLE_DESCRIPTION_BYTES) or xml_safe(show.title)
    fg.title(xml_safe(show.title))
    fg.description(description)
    # feedgen writes the last non-self link as RSS <link>, and the self link as atom:link.
    fg.link(href=url, rel="self")
    fg.link(href=show_url, rel="alternate")
    fg.register_extension("websub", WebSubExtension)
    for hub in hub_urls():
        fg.websub.hub(hub)
    fg.language(show.language)
    fg.generator("The Power of Coproduction platform (feedgen)")
    if show.copyright:
        fg.copyright(xml_safe(show.copyright))
    if show.artwork:
        artwork = root_url + show.artwork.file.url
        fg.image(url=artwork, title=xml_safe(show.title), link=show_url)
        fg.podcast.itunes_image(artwork)
    fg.podcast.itunes_author(xml_safe(show.author))
    fg.podcast.itunes_owner(name=xml_safe(show.owner_name), email=show.owner_email)
    fg.podcast.itunes_summary(description)
    fg.podcast.itunes_explicit(show.explicit)
    fg.podcast.itunes_type(show.show_type)
    categories = [split_category(c.category) for c in show.categories.all()]
    fg.podcast.itunes_category([{"cat": cat, "sub": sub} if sub else {"cat": cat} for cat, sub in categories])

    fg.podcast2.guid(show.podcast_guid or podcast_guid(url))
    fg.podcast2.locked(show.podcast_locked, owner=show.owner_email)
    if _http(show.funding_url):
        fg.podcast2.funding(show.funding_url, _fit(show.funding_text) or "Support the show")
    for host in show.hosts.select_related("person__photo"):
        _person(fg.podcast2, host.person, "host", root_url)

    episodes = list(feed_episodes(show))
    notes = expand_rich_text_many([episode.show_notes for episode in episodes])
    for episode, html in zip(episodes, notes, strict=True):
        _add_episode(fg, episode, html, root_url)

    if episodes:
        fg.lastBuildDate(max(e.last_published_at or e.publication_date for e in episodes))
    return fg.rss_str(pretty=True)


def _add_episode(fg: FeedGenerator, episode: EpisodePage, notes_html: str, root_url: str) -> None:
    audio = episode.audio
    page_url = episode.get_full_url()
    fe = fg.add_entry(order="append")
    fe.guid(episode.guid, permalink=False)
    fe.title(xml_safe(episode.title))
    fe.link(href=page_url)
    summary = truncate_utf8(xml_safe(episode.summary), APPLE_DESCRIPTION_BYTES)
    fe.description(summary or xml_safe(episode.title))
    if notes_html:
        fe.content(xml_safe(notes_html))
    fe.pubDate(episode.publication_date)
    fe.enclosure(root_url + audio.url, str(audio.size), audio.content_type)

    fe.podcast.itunes_duration(audio.duration_seconds)
    fe.podcast.itunes_explicit(episode.explicit)
    fe.podcast.itunes_episode_type(episode.episode_type)
    if episode.episode_number:
        fe.podcast.itunes_episode(episode.episode_number)
        fe.podcast2.episode(episode.episode_number)
    if episode.season:
        fe.podcast.itunes_season(episode.season)
        fe.podcast2.season(episode.season)
    if episode.artwork:
        fe.podcast.itunes_image(root_url + episode.artwork.file.url)

    if episode.chapters.all():
        fe.podcast2.chapters(
            root_url + reverse("episodes:chapters", kwargs={"pk": episode.pk}), CHAPTERS_MIME_TYPE
        )
    for item in episode.people.all():
        _person(fe.podcast2, item.person, item.role, root_url)
    for soundbite in episode.soundbites.all():
        if soundbite.duration_ms:
            fe.podcast2.soundbite(
                soundbite.start_ms / 1000, soundbite.duration_ms / 1000, _fit(soundbite.title)
            )
    for url, mime_type, language, rel in transcript_links(episode, root_url):
        if _http(url):
            fe.podcast2.transcript(url, mime_type, language=language or None, rel=rel or None)


def transcript_links(episode: EpisodePage, root_url: str) -> list[tuple[str, str, str, str]]:
    links = [(t.url, t.mime_type, t.language, t.rel) for t in episode.transcript_links.all()]
    for fn in hooks.get_hooks(TRANSCRIPT_LINKS_HOOK):
        links.extend(fn(episode, root_url))
    return links


def get_feed(show: ShowPage) -> BuiltFeed:
    """The show's feed, from the cache when nothing has changed since it was built."""
    changed_at = show.feed_changed_at or show.last_published_at or timezone.now()
    key = f"podcast-feed:{show.pk}:{changed_at.timestamp()}"
    built = cache.get(key)
    if built is None:
        content = build_feed(show)
        built = BuiltFeed(
            content=content,
            etag=f'"{hashlib.sha256(content).hexdigest()[:32]}"',
            last_modified=changed_at.astimezone(UTC),
        )
        cache.set(key, built, CACHE_SECONDS)
    return built


def chapters_json(episode: EpisodePage, root_url: str) -> dict:
    """The episode's chapters in the Podcasting 2.0 JSON chapters format (version 1.2.0)."""
    chapters = []
    for chapter in episode.chapters.select_related("image").order_by("start_ms", "sort_order"):
        item = {"startTime": chapter.start_ms / 1000, "title": chapter.title}
        if chapter.url:
            item["url"] = chapter.url
        if chapter.image:
            item["img"] = root_url + chapter.image.file.url
        chapters.append(item)
    return {"version": "1.2.0", "title": episode.title, "chapters": chapters}
