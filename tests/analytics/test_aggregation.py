"""The rules run off the request: the audio view appends an event, ``aggregate`` (a scheduler job) turns the
pending events into listener days and daily downloads. Aggregating again changes nothing, a crash in the
middle loses nothing, and a request of yesterday aggregated after midnight counts for yesterday."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import OperationalError, connection

from analytics.counting import aggregate, pending_since, prune
from analytics.models import DailyDownloads, DownloadEvent, ListenerDay
from tests.analytics import clock
from tests.analytics.conftest import OVERCAST, Listener, downloads, minute_of

pytestmark = pytest.mark.django_db


def test_a_request_only_appends_an_event_until_the_round(listener, long_episode, long_audio):
    clock.set_to(datetime(2026, 12, 6, 9, 30, tzinfo=UTC))
    listener.get(long_audio.url, f"bytes=0-{minute_of(long_audio)}")

    [event] = DownloadEvent.objects.all()
    assert (event.page_id, event.show_id, event.app) == (
        long_episode.pk,
        long_episode.get_parent().pk,
        "Apple Podcasts",
    )
    assert (event.first_byte, event.end_byte, event.minute) == (
        0,
        minute_of(long_audio) + 1,
        minute_of(long_audio),
    )
    assert pending_since() == datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
    assert not DailyDownloads.objects.exists() and not ListenerDay.objects.exists()

    assert aggregate() == 1
    assert downloads(long_episode) == 1 and not DownloadEvent.objects.exists() and pending_since() is None


def test_aggregating_again_changes_nothing(client, long_episode, long_audio):
    half = minute_of(long_audio) // 2 + 1
    for user_agent in (None, OVERCAST):
        who = Listener(client) if user_agent is None else Listener(client, user_agent=user_agent)
        for part in range(3):
            who.get(long_audio.url, f"bytes={part * half}-{(part + 1) * half - 1}")

    assert aggregate() == 6
    counts = sorted(DailyDownloads.objects.values_list("app", "count"))
    listener_days = sorted(ListenerDay.objects.values_list("listener", "counted", "ranges"))
    assert counts == [("Apple Podcasts", 1), ("Overcast", 1)]

    assert aggregate() == 0
    assert sorted(DailyDownloads.objects.values_list("app", "count")) == counts
    assert sorted(ListenerDay.objects.values_list("listener", "counted", "ranges")) == listener_days


def test_small_batches_count_as_one_big_one(client, long_episode, long_audio):
    """A listener whose ranges fall into different batches is still counted once, at the range that
    passes the minute."""
    third = minute_of(long_audio) // 3 + 1
    for part in range(5):  # interleaved: each batch of two holds ranges of both listeners
        for address in ("198.51.100.1", "198.51.100.2"):
            Listener(client, address=address).get(
                long_audio.url, f"bytes={part * third}-{(part + 1) * third - 1}"
            )

    assert aggregate(batch=2) == 10
    assert downloads(long_episode) == 2


def test_a_crash_while_aggregating_loses_nothing(listener, episode, audio):
    """The database fails at the last write of the batch (the aggregate's increment): the whole batch is
    rolled back, its events stay pending, and the next round counts them once."""
    listener.get(audio.url)
    Listener(listener.client, address="198.51.100.77").get(audio.url)

    def fail_at_the_increment(execute, sql, params, many, context):
        if sql.startswith("UPDATE") and "analytics_dailydownloads" in sql:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail_at_the_increment), pytest.raises(OperationalError):
        aggregate()

    assert DownloadEvent.objects.count() == 2
    assert not ListenerDay.objects.exists() and not DailyDownloads.objects.exists()
    assert aggregate() == 2
    assert downloads(episode) == 2


def test_a_request_of_yesterday_aggregated_after_midnight_counts_for_yesterday(listener, episode, audio):
    clock.set_to(datetime(2026, 12, 6, 23, 59, 50, tzinfo=UTC))
    listener.get(audio.url)
    clock.set_to(datetime(2026, 12, 7, 0, 0, 10, tzinfo=UTC))
    listener.get(audio.url)  # the same listener on the new day: a download of the 7th
    clock.set_to(datetime(2026, 12, 7, 0, 5, tzinfo=UTC))

    aggregate()
    assert dict(DailyDownloads.objects.values_list("day", "count")) == {
        date(2026, 12, 6): 1,
        date(2026, 12, 7): 1,
    }


def test_pruning_aggregates_past_days_before_deleting_their_listeners(listener, episode, audio):
    """The hourly prune after midnight finds yesterday's events still pending: it counts them for
    yesterday first, so the listener rows it then deletes have done their work."""
    clock.set_to(datetime(2026, 12, 6, 23, 59, 50, tzinfo=UTC))
    listener.get(audio.url)
    listener.get(audio.url, "bytes=0-100")
    clock.set_to(datetime(2026, 12, 7, 0, 30, tzinfo=UTC))

    prune()

    assert not DownloadEvent.objects.exists() and not ListenerDay.objects.exists()
    assert dict(DailyDownloads.objects.values_list("day", "count")) == {date(2026, 12, 6): 1}
