"""The figures the reports read (analytics/reporting.py), from daily rows made with the factory: the first
7 and 30 days counted from the day an episode first went live, at their boundaries; days without downloads;
apps; the show filter."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db.models import Q

from analytics import reporting
from analytics.factories import DailyDownloadsFactory
from analytics.models import DailyDownloads
from episodes.factories import (
    EpisodePageFactory,
    InterviewIndexPageFactory,
    InterviewPageFactory,
    ShowPageFactory,
)
from tests.analytics.reports import went_live

pytestmark = pytest.mark.django_db

LIVE = date(2026, 3, 1)


@pytest.fixture
def show(home_page):
    return ShowPageFactory(parent=home_page, title="Deciding Together")


@pytest.fixture
def episode(show):
    page = EpisodePageFactory(parent=show, title="Shared decisions")
    went_live(page, LIVE, hour=23)  # late in the day: the day still counts whole, as day 1
    return page


def add(page, show, day: date, count: int, app: str = "Apple Podcasts"):
    return DailyDownloadsFactory(page=page, show=show, day=day, count=count, app=app)


def figures_of(page, **kwargs) -> reporting.EpisodeFigures:
    [row] = [row for row in reporting.episode_figures(**kwargs) if row.page_id == page.pk]
    return row


def test_first_seven_and_thirty_days_at_their_boundaries(episode, show):
    """Day 1 is the go-live day; day 7 is six days later; day 8 belongs to the month only; day 31 to
    neither."""
    add(episode, show, LIVE, 1)
    add(episode, show, LIVE + timedelta(days=6), 10)
    add(episode, show, LIVE + timedelta(days=7), 100)
    add(episode, show, LIVE + timedelta(days=29), 1000)
    add(episode, show, LIVE + timedelta(days=30), 10000)

    row = figures_of(episode)

    assert (row.first_7_days, row.first_30_days, row.all_time) == (11, 1111, 11111)
    assert row.went_live == LIVE
    assert row.show_title == "Deciding Together"


def test_apps_add_up_in_every_window(episode, show):
    add(episode, show, LIVE, 3, app="Apple Podcasts")
    add(episode, show, LIVE, 4, app="Overcast")
    add(episode, show, LIVE, 5, app="")

    row = figures_of(episode)

    assert (row.first_7_days, row.first_30_days, row.all_time) == (12, 12, 12)


def test_since_counts_from_that_day_inclusive(episode, show):
    add(episode, show, LIVE + timedelta(days=1), 2)
    add(episode, show, LIVE + timedelta(days=2), 3)

    assert figures_of(episode, since=LIVE + timedelta(days=2)).since == 3
    assert figures_of(episode).since == 0


def test_live_episodes_without_downloads_are_listed_with_zeros(episode, show):
    EpisodePageFactory(parent=show, title="Nobody yet")
    add(episode, show, LIVE, 1)

    rows = reporting.episode_figures(listed=reporting.live_episodes([show]))

    assert [(row.title, row.all_time) for row in rows] == [("Shared decisions", 1), ("Nobody yet", 0)]
    assert rows[1].show_title == "Deciding Together"


def test_an_interview_is_listed_under_the_show_it_names(home_page, show):
    index = InterviewIndexPageFactory(parent=home_page)
    interview = InterviewPageFactory(parent=index, show=show, title="A conversation")
    add(interview, show, LIVE, 4)

    row = figures_of(interview)

    assert (row.title, row.show_title, row.all_time) == ("A conversation", "Deciding Together", 4)


def test_daily_fills_days_without_downloads(episode, show):
    add(episode, show, LIVE, 2, app="Overcast")
    add(episode, show, LIVE, 3, app="Spotify")
    add(episode, show, LIVE + timedelta(days=2), 5)
    add(episode, show, LIVE + timedelta(days=3), 7)  # after the span asked

    series = reporting.daily(DailyDownloads.objects.all(), LIVE - timedelta(days=1), LIVE + timedelta(days=2))

    assert series == [
        (LIVE - timedelta(days=1), 0),
        (LIVE, 5),
        (LIVE + timedelta(days=1), 0),
        (LIVE + timedelta(days=2), 5),
    ]


def test_top_apps_most_first_and_the_rest_as_others(episode, show):
    for number, app in enumerate(["Overcast", "Spotify", "", "Castro"], start=1):
        add(episode, show, LIVE, number * 10, app=app)

    apps = reporting.top_apps(DailyDownloads.objects.all(), LIVE, LIVE, limit=2)

    assert apps == [("Castro", 40), (reporting.UNRECOGNISED, 30), ("Others", 30)]


def test_the_show_filter_keeps_other_shows_figures_out(home_page, episode, show):
    other_show = ShowPageFactory(parent=home_page, title="Other show")
    other = EpisodePageFactory(parent=other_show)
    add(episode, show, LIVE, 1)
    add(other, other_show, LIVE, 50)

    rows = reporting.episode_figures(Q(show=show))
    series = reporting.daily(DailyDownloads.objects.filter(show=show), LIVE, LIVE)

    assert [row.page_id for row in rows] == [episode.pk]
    assert series == [(LIVE, 1)]
