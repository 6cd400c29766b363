"""Scheduled episodes: Wagtail's go-live and expiry dates, the episode's own publication date, and what
must move when either comes.

Two dates decide when listeners see an episode. Wagtail's *go-live date* (and *expiry date*) makes the page
live (and not live); Wagtail does it in its ``publish_scheduled`` command, which the scheduler runs every
round (``publish_scheduled`` below), so a scheduled episode goes live within SCHEDULER_INTERVAL_SECONDS of
its time. The *publication date* is what podcast apps show; a live episode whose publication date is still
to come is held back from every listing until then (``EpisodePage.objects.released``).

Nothing is written to the database when a publication date passes, so whatever caches a listing must
notice it. The feed's cache key includes the newest release (``episodes.feeds.cache``), which is exact to
the second in every process; the whole-page cache and the WebSub hubs have no such key, so the scheduler
tells them (``announce_releases``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.utils import dateparse, formats, timezone
from wagtail.models import Page, Revision

from pagecache.purging import purge_for

from .models import EpisodePage, ShowPage

logger = logging.getLogger(__name__)

# Where ``announce_releases`` remembers up to when it has announced (a shared cache makes cron runs agree).
RELEASES_MARK_KEY = "episodes:releases-announced-through"


def publish_scheduled() -> None:
    """Scheduler job: Wagtail's scheduled publishing, in this process (the ``publish_scheduled``
    command's own code): unpublish what expired, publish the revisions whose go-live time has come. Logs
    what it did; a scheduled go-live tells the episode's people (``episodes.notifications``)."""
    now = timezone.now()
    expiring = list(Page.objects.filter(live=True, expire_at__lt=now).values_list("pk", "title"))
    due = list(Revision.objects.filter(approved_go_live_at__lt=now).values_list("object_id", "object_str"))
    if not expiring and not due:
        return
    call_command("publish_scheduled")
    for pk, title in expiring:
        logger.info("Unpublished %r (page %s): its expiry date passed", title, pk)
    for pk, title in due:
        logger.info("Published %r (page %s): its go-live date came", title, pk)


def announce_releases(now: datetime | None = None) -> list[int]:
    """Scheduler job: when a live episode's publication date has passed since the last round, purge the
    pages it shows on (its own, its show's, the home and concept pages list it now) and touch its show's
    feed (which pings the WebSub hubs). Returns the ids of the episodes released.

    The first round after a (re)start looks back PAGE_CACHE_SECONDS (or a scheduler interval, if longer):
    an older release is in every cached page already, as no page is kept longer.
    """
    from .signal_handlers import touch_feeds  # the signal handlers import the models this module does

    now = now or timezone.now()
    since = _announced_through(now)
    released = list(
        EpisodePage.objects.released(now)
        .filter(publication_date__gt=since)
        .values_list("pk", "path", "title")
    )
    if released:
        steplen = EpisodePage.steplen
        shows = ShowPage.objects.filter(path__in={path[:-steplen] for _, path, _ in released})
        touch_feeds(list(shows.values_list("pk", flat=True)))
        purge_for(*EpisodePage.objects.filter(pk__in=[pk for pk, _, _ in released]))
        for pk, _, title in released:
            logger.info("Released %r (page %s): its publication date came", title, pk)
    try:
        cache.set(RELEASES_MARK_KEY, now.timestamp(), timeout=None)
    except Exception:
        logger.exception("Could not record the releases announced; the next round announces them again")
    return [pk for pk, _, _ in released]


def _announced_through(now: datetime) -> datetime:
    try:
        mark = cache.get(RELEASES_MARK_KEY)
    except Exception:
        logger.exception("Could not read the releases announced")
        mark = None
    if mark is not None:
        return datetime.fromtimestamp(mark, tz=UTC)
    lookback = max(
        getattr(settings, "PAGE_CACHE_SECONDS", 0), getattr(settings, "SCHEDULER_INTERVAL_SECONDS", 60)
    )
    return now - timedelta(seconds=lookback)


def schedule_warnings(page: EpisodePage) -> list[str]:
    """What an editor should know about an episode's dates when saving it: a publication date in the
    future without a go-live date keeps a published episode out of the feed and the site until that date
    (podcast apps would otherwise list an episode "from the future"), which is rarely what was meant."""
    date = page.publication_date
    if date is None or date <= timezone.now() or page.go_live_at is not None:
        return []
    when = formats.date_format(timezone.localtime(date), "DATETIME_FORMAT")
    return [
        f"The publication date ({when}) is in the future but no go-live date is set. Once published, the "
        "episode stays out of the feed and off the site until that date. To schedule it, set the same "
        "time as its go-live date (Settings tab) and publish; to publish it now, set today's date."
    ]


class ScheduleError(ValueError):
    """A date given to schedule an episode cannot be used; the message says why."""


def parse_when(value: str, what: str = "go-live date") -> datetime:
    """An ISO 8601 date and time (``2027-01-04T07:00Z``, ``2027-01-04 08:00+01:00``) as an aware datetime.
    A time without an offset is read in the site's TIME_ZONE. Raises ScheduleError with the reason."""
    text = value.strip()
    try:
        moment = dateparse.parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise ScheduleError(
            f"The {what} {value!r} is not a date and time: write it as 2027-01-04T07:00Z (UTC) or "
            "2027-01-04T08:00+01:00."
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def check_schedule(go_live_at: datetime | None, expire_at: datetime | None) -> None:
    """Wagtail's own rules for the two dates (its page form applies them too); raises ScheduleError."""
    now = timezone.now()
    if go_live_at is not None and go_live_at <= now:
        raise ScheduleError(
            f"The go-live date {go_live_at.isoformat()} has passed: publish now with --publish instead."
        )
    if expire_at is not None and expire_at <= now:
        raise ScheduleError(f"The expiry date {expire_at.isoformat()} has passed.")
    if go_live_at is not None and expire_at is not None and expire_at <= go_live_at:
        raise ScheduleError("The expiry date must be after the go-live date.")
