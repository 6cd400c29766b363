"""Downloads counted by the IAB Podcast Measurement Technical Guidelines (v2.2), as the audio is served.

The audio views of the episodes app call ``count_download`` through ``episodes.listening.AUDIO_SERVED_HOOK``
with the bytes they are about to send (``analytics/wagtail_hooks.py``). The rules, in the order they are
applied:

- only GET counts; HEAD never does;
- a request for at most two bytes (``bytes=0-1``, ``bytes=0-0``: players probing the file) never counts,
  and its bytes are not added to anything;
- bots, crawlers and preloading players (the OPAWG bots list, Apple Podcasts on the Apple Watch among
  them) never count;
- a listener (``analytics.listeners``) is counted once per episode per UTC day, when the distinct bytes
  sent to them add up to one minute of audio, or the whole file when it is shorter. Master and renditions
  count for the same episode; a listener who switched file mid-day adds the parts of each.

In ``AUDIO_DELIVERY=redirect`` mode the storage sends the bytes, so the ranges are not seen: the first GET
of the day that is not a probe counts at redirect time. In ``x-accel-redirect`` mode the request's Range
header says what nginx sends.

Counting never fails or holds up a download: any error is logged (without the address, which no query
carries) and the audio is served anyway. The request only appends one row to the pending events (a single
INSERT: no read, no lock); the scheduler's ``aggregate`` job applies the rules above to them within a round
(``analytics.aggregating``), with row locks and atomic increments, so that concurrent requests and
concurrent schedulers neither lose nor double a count, on PostgreSQL and on SQLite.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, date, datetime
from functools import lru_cache

from django.conf import settings
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Length, Substr
from django.utils import timezone
from django.utils.module_loading import import_string
from wagtail.models import Page

from episodes.models import AudioFile, EpisodePage, InterviewPage, ShowPage
from episodes.serving import RangeNotSatisfiable, parse_range

from .aggregating import aggregate, pending_since  # noqa: F401 (the counting's API: reports, tests)
from .listeners import client_address, forget_salts, forget_salts_in_memory, listener
from .models import DownloadEvent, ListenerDay
from .ranges import PROBE_BYTES, bytes_for_a_minute
from .useragents import clean, identify

logger = logging.getLogger(__name__)

PAGE_SECONDS = 30  # an episode published or unpublished a moment ago may count for its audio this late
_pages: dict[int, tuple[float, tuple[int, int | None] | None]] = {}


def now() -> datetime:
    """The time counting goes by: ANALYTICS_CLOCK (a dotted path to a function without arguments, for
    tests that cross midnight) or Django's ``timezone.now``."""
    path = getattr(settings, "ANALYTICS_CLOCK", "")
    return import_string(path)() if path else timezone.now()


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def count_download(request, audio: AudioFile, served, byte_range: tuple[int, int] | None) -> None:
    """The AUDIO_SERVED_HOOK: apply the rules to one answer of the audio view. Never raises."""
    if not getattr(settings, "ANALYTICS_ENABLED", True) or request.method != "GET":
        return
    try:
        # Redirect mode: the storage answers, so only the Range asked of it tells a probe from a download.
        asked = _asked_range(request, served) if byte_range is None else byte_range
        if asked is False or (asked is not None and asked[1] - asked[0] + 1 <= PROBE_BYTES):
            return
        user_agent = clean(request.headers.get("User-Agent"))
        agent = identify(user_agent)
        if agent.is_bot:
            return
        page = page_of(audio)
        if page is None:
            return  # no live page uses it (an editor hearing a draft): nothing to count it for
        day = utc_day(now())
        who = listener(day, client_address(request), user_agent)
        record(day, who, page, served, byte_range, agent.name)
    except Exception as error:
        # The query text and the error name no client: the address is hashed before any query is made.
        logger.error(
            "A download of audio %s was not counted (%s); the audio was served",
            audio.pk,
            error.__class__.__name__,
            exc_info=True,
        )


def _asked_range(request, served) -> tuple[int, int] | None | bool:
    """In redirect mode: the Range the request asks of the storage (None for all of it; False when the
    storage will answer 416), so that a probe is told from a download."""
    try:
        return parse_range(request.headers.get("Range"), served.size or 0)
    except RangeNotSatisfiable:
        return False


def page_of(audio: AudioFile) -> tuple[int, int | None] | None:
    """``(page id, show id)`` the audio's downloads count for: its live episode (the oldest, should several
    share it) with its show, else its live interview; None when no live page uses it. Remembered by the
    process for PAGE_SECONDS: every range request of every listener asks."""
    moment = time.monotonic()
    known = _pages.get(audio.pk)
    if known is not None and known[0] > moment:
        return known[1]
    if len(_pages) > 10_000:
        _pages.clear()
    found = _find_page(audio)
    _pages[audio.pk] = (moment + PAGE_SECONDS, found)
    return found


def _find_page(audio: AudioFile) -> tuple[int, int | None] | None:
    parent_path = Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Page.steplen)
    show = ShowPage.objects.filter(path=parent_path).values("pk")[:1]
    episode = (
        EpisodePage.objects.released()
        .filter(audio_id=audio.pk)
        .order_by("pk")
        .values_list("pk", Subquery(show))
        .first()
    )
    if episode is not None:
        return tuple(episode)
    interview = InterviewPage.objects.live().filter(audio_id=audio.pk).order_by("pk")
    row = interview.values_list("pk", "show_id").first()
    return tuple(row) if row else None


def file_key(served) -> str:
    """The key of a file's ranges: masters and renditions are numbered apart."""
    return f"a{served.pk}" if isinstance(served, AudioFile) else f"r{served.pk}"


def record(
    day: date,
    who: str,
    page: tuple[int, int | None],
    served,
    byte_range: tuple[int, int] | None,
    app: str,
) -> None:
    """Append the request to the pending events: one INSERT, no read and no lock, so that counting costs a
    download almost nothing; ``aggregate`` applies the rules. ``byte_range`` None: the bytes are not known
    (redirect mode), so the event counts at once."""
    first, end = (None, None) if byte_range is None else (byte_range[0], byte_range[1] + 1)
    minute = bytes_for_a_minute(served.size or 0, served.duration_ms or 0, served.bitrate)
    values = (day, who, page[0], page[1], app, file_key(served), minute, first, end, now())
    if connection.in_atomic_block:  # a caller's transaction (the tests'): no commit of ours to tune
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_insert_sql(fast_commit=False), values)
        return
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(fast_commit=connection.vendor == "postgresql"), values)


_COLUMNS = ("day", "listener", "page", "show", "app", "file", "minute", "first_byte", "end_byte", "at")


@lru_cache(maxsize=2)
def _insert_sql(fast_commit: bool) -> str:
    """The event's INSERT. On PostgreSQL its commit does not wait for the WAL to reach the disk
    (``synchronous_commit`` off for this one statement's own transaction, through ``set_config(...,
    true)`` in the statement, so that it stays one round trip): that flush was more than half of what
    counting cost a download (docs/performance.md). A crash of the database server (not of a web process)
    may lose the events of its last fraction of a second; nothing is ever counted twice, and no other
    write of the site is affected. SQLite in WAL mode with ``synchronous=NORMAL`` (our settings) does not
    flush at commit anyway."""
    table = connection.ops.quote_name(DownloadEvent._meta.db_table)
    fields = [DownloadEvent._meta.get_field(name) for name in _COLUMNS]
    names = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    if fast_commit:
        # Typed, as a SELECT list's parameters are text to the server otherwise (server-side binding).
        typed = ", ".join(
            f"%s::{field.rel_db_type(connection) if field.is_relation else field.db_type(connection)}"
            for field in fields
        )
        return (
            f"INSERT INTO {table} ({names}) SELECT {typed} "  # noqa: S608 (names from the model; values bound)
            "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS unflushed"
        )
    values = ", ".join(["%s"] * len(fields))
    return f"INSERT INTO {table} ({names}) VALUES ({values})"  # noqa: S608 (names from the model)


def forget() -> None:
    """Drop what this process remembers (pages, salts): the tests, whose rolled-back rows give their ids
    to the next test, start afresh with it."""
    _pages.clear()
    forget_salts_in_memory()


def prune() -> None:
    """Scheduled job: delete the listener rows and salts of days that are over (UTC). The aggregates stay.
    Past days' pending events are aggregated first, and a day's listener rows stay while any event of
    that day is still pending (an aggregator at work in another process): those rows are what keeps a
    late event from counting a listener twice."""
    today = utc_day(now())
    aggregate()
    pending = DownloadEvent.objects.filter(day__lt=today).values("day")
    deleted, _ = ListenerDay.objects.filter(day__lt=today).exclude(day__in=pending).delete()
    salts = forget_salts(today)
    logger.info("Download counting: deleted %d listener rows and %d salts of past days", deleted, salts)
