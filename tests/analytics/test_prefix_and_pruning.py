"""Item 6: the feed's enclosures behind a third-party measurement prefix, off by default; and the daily
pruning of what counting keeps per listener."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser
import pytest
from django.urls import reverse

from analytics.counting import aggregate, prune
from analytics.models import DailyDownloads, DailySalt, ListenerDay
from tests.analytics import clock
from tests.analytics.conftest import Listener, downloads

pytestmark = pytest.mark.django_db


def enclosure(client, show) -> str:
    response = client.get(reverse("episodes:feed", kwargs={"pk": show.pk}))
    [entry] = feedparser.parse(response.content).entries
    return entry.enclosures[0].href


def test_no_prefix_by_default(client, settings, show, episode, audio):
    assert settings.ANALYTICS_PREFIX == ""
    assert enclosure(client, show) == f"http://localhost{audio.url}"


def test_the_prefix_goes_before_every_enclosure(client, settings, show, episode, audio):
    settings.ANALYTICS_PREFIX = "https://op3.dev/e/"
    show.get_site().hostname  # noqa: B018 (the feed's root URL comes from the site)

    assert enclosure(client, show) == f"https://op3.dev/e/http://localhost{audio.url}"


def test_an_https_url_loses_its_scheme_behind_the_prefix(settings):
    from episodes.feeds.prefix import measured

    settings.ANALYTICS_PREFIX = "https://dts.podtrac.com/redirect.mp3"  # no trailing slash: one is added
    assert measured("https://podcast.example.org/audio/1/ab.mp3") == (
        "https://dts.podtrac.com/redirect.mp3/podcast.example.org/audio/1/ab.mp3"
    )
    settings.ANALYTICS_PREFIX = ""
    assert (
        measured("https://podcast.example.org/audio/1/ab.mp3") == "https://podcast.example.org/audio/1/ab.mp3"
    )


def test_changing_the_prefix_rebuilds_a_cached_feed(client, settings, show, episode, audio):
    first = enclosure(client, show)
    settings.ANALYTICS_PREFIX = "https://op3.dev/e/"

    assert enclosure(client, show) != first


def test_pruning_deletes_past_days_listeners_and_salts_and_keeps_the_counts(client, episode, audio):
    clock.set_to(datetime(2026, 12, 6, 22, tzinfo=UTC))
    Listener(client).get(audio.url)
    Listener(client, address="198.51.100.99").get(audio.url, "bytes=0-100")
    clock.set_to(datetime(2026, 12, 7, 1, tzinfo=UTC))
    Listener(client).get(audio.url)
    aggregate()
    assert ListenerDay.objects.count() == 3 and DailySalt.objects.count() == 2

    prune()

    assert set(ListenerDay.objects.values_list("day", flat=True)) == {datetime(2026, 12, 7).date()}
    assert list(DailySalt.objects.values_list("day", flat=True)) == [datetime(2026, 12, 7).date()]
    assert downloads(episode) == 2 and DailyDownloads.objects.count() == 2


def test_aggregating_and_pruning_are_scheduled_jobs(settings):
    """Listed for ``manage.py scheduler``: aggregating every round (a download shows within a round),
    pruning hourly (a past day's rows go within an hour of midnight UTC)."""
    from django.utils.module_loading import import_string

    jobs = [
        (import_string(path), every)
        for path, every in settings.SCHEDULED_JOBS
        if path.startswith("analytics.")
    ]
    assert jobs == [(aggregate, 0), (prune, 60 * 60)]
