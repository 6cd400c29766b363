"""Concurrent requests, and concurrent aggregators (schedulers on several machines), neither lose nor
double a count: real threads, each with its own database connection, through the audio view and
``aggregate`` (and the pages' totals it keeps, with a rebuild of them at the same time), on the suite's
database (SQLite, and PostgreSQL on the PostgreSQL pass; see docs/testing.md). Without the rebuild's lock
the totals lose increments on PostgreSQL. Transactional, so that the threads see the rows (and the
requests take the production path: their own commit); ``serialized_rollback`` puts back the site and home
page the flush after each test removes."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client

from analytics.counting import aggregate
from analytics.models import DownloadEvent, ListenerDay
from analytics.totals import rebuild
from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from tests.analytics.conftest import APPLE, Listener, downloads, minute_of
from tests.analytics.totals import recomputed, show_days_recomputed, show_days_stored, stored

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def at_once(count: int, request) -> list[int]:
    """Run ``request(i)`` in ``count`` threads released together; their status codes (or the numbers
    they return)."""
    barrier = threading.Barrier(count)

    def run(number: int) -> int:
        try:
            barrier.wait()
            result = request(number)
            return result if isinstance(result, int) else result.status_code
        finally:
            connections.close_all()  # this thread's connection

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


@pytest.fixture
def published(home_page, audio_dir, long_tone):
    show = ShowPageFactory(parent=home_page)
    short, long = AudioFileFactory(path=audio_dir / "tone.mp3"), AudioFileFactory(path=long_tone)
    return (
        EpisodePageFactory(parent=show, audio=short),
        short,
        EpisodePageFactory(parent=show, audio=long),
        long,
    )


def test_concurrent_requests_and_aggregators_neither_lose_nor_double_a_count(published):
    """One test for all three rules: each transactional test costs a flush and a reload of the migrated
    rows. The requests only append events; ``downloads`` aggregates them."""
    short_episode, short, long_episode, long = published

    # Fifty distinct listeners at once: fifty downloads.
    statuses = at_once(50, lambda n: Listener(Client(), address=f"198.51.100.{n + 1}").get(short.url))
    assert statuses == [200] * 50
    assert downloads(short_episode) == 50
    assert ListenerDay.objects.filter(page_id=short_episode.pk, counted=True).count() == 50

    # One listener's parallel ranges, eight pieces of a sixth of a minute (1.33 minutes between them; the
    # file lasts 1.5): one download.
    piece = minute_of(long) // 6
    statuses = at_once(
        8,
        lambda n: Listener(Client(), user_agent=APPLE).get(
            long.url, f"bytes={n * piece}-{(n + 1) * piece - 1}"
        ),
    )
    assert statuses == [206] * 8
    assert downloads(long_episode) == 1
    [row] = ListenerDay.objects.filter(page_id=long_episode.pk)
    assert row.counted

    # Four aggregators at once (schedulers on two machines, say) over twenty listeners' ranges, in small
    # batches: each listener's three ranges (half a minute and a bit each; the second passes the minute)
    # are interleaved with the others', so they fall into batches different aggregators claim.
    piece = minute_of(long) // 2 + 1
    for part in range(3):
        for n in range(20):
            address = f"203.0.113.{n + 1}"
            response = Listener(Client(), address=address).get(
                long.url, f"bytes={part * piece}-{(part + 1) * piece - 1}"
            )
            assert response.status_code == 206
    assert DownloadEvent.objects.count() == 60

    aggregated = at_once(4, lambda n: aggregate(batch=3))
    assert sum(aggregated) == 60 and not DownloadEvent.objects.exists()
    assert downloads(long_episode) == 1 + 20
    assert ListenerDay.objects.filter(page_id=long_episode.pk, counted=True).count() == 1 + 20
    assert stored() == recomputed()

    # Three aggregators and a rebuild of the episode's totals (what a moved first publication sets off)
    # at once: the rebuild locks the totals before it adds up the daily rows and writes them in place, so
    # an increment waiting for its lock lands on top rather than on a row it replaced.
    for part in range(3):
        for n in range(20):
            response = Listener(Client(), address=f"192.0.2.{n + 1}").get(
                long.url, f"bytes={part * piece}-{(part + 1) * piece - 1}"
            )
            assert response.status_code == 206

    def aggregate_or_rebuild(number: int) -> int:
        if number < 3:
            return aggregate(batch=2)
        for _ in range(10):
            rebuild([long_episode.pk])
        return 0

    assert sum(at_once(4, aggregate_or_rebuild)) == 60
    assert downloads(long_episode) == 1 + 20 + 20
    assert stored() == recomputed()
    assert show_days_stored() == show_days_recomputed()
    assert stored()[(long_episode.pk, long_episode.get_parent().pk)][1] == 1 + 20 + 20
