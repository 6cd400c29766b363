"""Built feeds, cached. A feed is built at most once per change: the cache key includes the show's
``feed_changed_at``, which signal handlers move forward whenever something the feed shows changes (see
``episodes.signal_handlers``); so every process agrees on freshness without sharing a cache.

An episode published ahead of its publication date enters the feed when that date comes, with no write to
the database to say so. So the key also includes the publication date of the show's newest released
episode (``EpisodePage.objects.released``): the moment a date passes, the key (and with the new item the
ETag and Last-Modified) moves, in every process at once, without waiting for the scheduler."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.cache import cache
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from ..models import EpisodePage, ShowPage
from .builder import build_feed
from .prefix import measured

CACHE_SECONDS = 60 * 60 * 24


@dataclass(frozen=True)
class BuiltFeed:
    content: bytes
    etag: str
    last_modified: datetime
    public: bool  # False: the show was private when built; the feed is not served


# Each process keeps the feeds it served last, so that a hit costs one small query and no cache round trip
# of a megabyte-sized value. The key says whether a copy is current, as for the shared cache.
_served: dict[int, tuple[str, BuiltFeed]] = {}


def cache_key(show_pk: int, changed_at: datetime) -> str:
    # The measurement prefix changes every enclosure: a feed built under another one is not current.
    return f"podcast-feed:{show_pk}:{changed_at.timestamp()}:{measured('')}"


def get_feed(show_pk: int) -> BuiltFeed | None:
    """The feed of a live, public show, or None. Built at most once per change of ``feed_changed_at``.

    Privacy is checked when the feed is built: any change of a view restriction moves every show's
    ``feed_changed_at`` (see signal_handlers), so a feed built while public is never served once private.
    """
    state = (
        ShowPage.objects.filter(pk=show_pk, live=True)
        .annotate(released_at=Subquery(_newest_release()))
        .values_list("feed_changed_at", "last_published_at", "released_at")
        .first()
    )
    if state is None:
        return None
    changed_at = state[0] or state[1] or timezone.now()
    released_at = state[2]
    if released_at is not None and released_at > changed_at:
        # Last-Modified (and the key): the feed changed when that episode came out, with no write
        changed_at = released_at
    key = cache_key(show_pk, changed_at)
    served = _served.get(show_pk)
    if served is not None and served[0] == key:
        built = served[1]
    else:
        built = cache.get(key)
        if built is None:
            built = _build(show_pk, changed_at)
            cache.set(key, built, CACHE_SECONDS)
        _served[show_pk] = (key, built)
    return built if built.public else None


def _newest_release():
    """The publication date of the show's newest released episode (a subquery of the show's row)."""
    return (
        EpisodePage.objects.released()
        .filter(path__startswith=OuterRef("path"), depth=OuterRef("depth") + 1)
        .order_by("-publication_date")
        .values("publication_date")[:1]
    )


def _build(show_pk: int, changed_at: datetime) -> BuiltFeed:
    show = ShowPage.objects.get(pk=show_pk)
    public = ShowPage.objects.filter(pk=show_pk).public().exists()
    content = build_feed(show) if public else b""
    return BuiltFeed(
        content=content,
        etag=f'"{hashlib.sha256(content).hexdigest()[:32]}"',
        last_modified=changed_at.astimezone(UTC),
        public=public,
    )
