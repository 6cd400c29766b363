"""Concurrent requests neither lose nor double a count: real threads, each with its own database
connection, through the audio view, on the suite's database (SQLite, and PostgreSQL on the PostgreSQL
pass; see docs/testing.md). Transactional, so that the threads see the rows; ``serialized_rollback`` puts
back the site and home page the flush after each test removes."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client

from analytics.models import ListenerDay
from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from tests.analytics.conftest import APPLE, Listener, downloads, minute_of

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def at_once(count: int, request) -> list[int]:
    """Run ``request(i)`` in ``count`` threads released together; their status codes."""
    barrier = threading.Barrier(count)

    def run(number: int) -> int:
        try:
            barrier.wait()
            return request(number).status_code
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


def test_concurrent_requests_neither_lose_nor_double_a_count(published):
    """One test for both rules: each transactional test costs a flush and a reload of the migrated rows."""
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
