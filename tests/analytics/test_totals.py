"""The pages' totals (``DownloadTotals``: all time, first 7 and first 30 days) that the report's table reads,
and the shows' days (``ShowDailyDownloads``) its chart reads, always equal the daily rows added up again:
after any sequence of scheduler rounds over any events, when a page's first publication moves between
rounds (the report counts that page from the daily rows until the next round recomputes it), when a show
is deleted, and as the migration fills them from existing rows. The concurrent case (aggregators and a
rebuild at once) is in test_concurrency.py."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import transaction
from django.db.models import Q
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wagtail.models import Page

from analytics import reporting
from analytics.counting import aggregate
from analytics.models import DailyDownloads, DownloadEvent, DownloadTotals
from analytics.totals import fill_show_days, rebuild, stale_pages
from episodes.factories import (
    EpisodePageFactory,
    InterviewIndexPageFactory,
    InterviewPageFactory,
    ShowPageFactory,
)
from tests.analytics.reports import went_live
from tests.analytics.totals import recomputed, show_days_recomputed, show_days_stored, stored

pytestmark = pytest.mark.django_db

LIVE = date(2026, 3, 1)
APPS = ("Apple Podcasts", "Overcast", "")
MINUTE = 100  # bytes of a minute of the made-up file


@pytest.fixture
def catalogue(home_page):
    """Two episodes of a show and an interview that names it; the show ids events may carry (an
    interview's show can change, so its downloads can fall under two shows, or none)."""
    show = ShowPageFactory(parent=home_page, title="Deciding Together")
    other = ShowPageFactory(parent=home_page, title="Care at Home")
    episodes = [EpisodePageFactory(parent=show, title=f"Episode {n}") for n in range(2)]
    index = InterviewIndexPageFactory(parent=home_page)
    interview = InterviewPageFactory(parent=index, show=show, title="A conversation")
    for page in [*episodes, interview]:
        went_live(page, LIVE)
    return [*episodes, interview], [show.pk, other.pk, None]


def report_by_page(where: Q | None = None) -> dict[int, tuple[int, int, int]]:
    return {
        row.page_id: (row.all_time, row.first_7_days, row.first_30_days)
        for row in reporting.episode_figures(where)
        if row.all_time
    }


def expected_by_page(show_id=...) -> dict[int, tuple[int, int, int]]:
    """The recomputed figures per page (of one show's downloads when ``show_id`` is given)."""
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (page, show), (_, *values) in recomputed().items():
        if show_id is ... or show == show_id:
            sums[page] = [a + b for a, b in zip(sums[page], values, strict=True)]
    return {page: tuple(values) for page, values in sums.items()}


def assert_report_equals_daily_rows(shows: list[int | None]) -> None:
    assert report_by_page() == expected_by_page()
    for show in shows:
        if show is not None:
            assert report_by_page(Q(show_id=show)) == expected_by_page(show)


event = st.tuples(
    st.integers(0, 2),  # page
    st.integers(0, 45),  # day, from LIVE
    st.integers(0, 3),  # listener
    st.integers(0, 2),  # app
    st.integers(0, 2),  # show
    st.one_of(st.none(), st.tuples(st.integers(0, 150), st.integers(1, 80))),  # bytes (None: redirect)
)
step = st.one_of(
    st.tuples(st.just("round"), st.lists(event, max_size=10), st.integers(1, 4)),
    st.tuples(st.just("move"), st.integers(0, 2), st.one_of(st.none(), st.integers(-10, 40))),
)


@settings(
    max_examples=30,
    report_multiple_bugs=False,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=8))
def test_totals_equal_the_daily_rows_after_any_rounds_and_moved_dates(catalogue, steps):
    """Events of three pages over 46 days under three shows (one of them none), aggregated in rounds of
    small batches; between rounds a page's first publication moves (or is cleared: never published, as
    a page whose date an import rewrote). After every round the totals equal the daily rows added up
    again with each page's day 1 as it is now; between a move and the next round the report already
    counts the moved page from its new day 1."""
    pages, shows = catalogue
    with transaction.atomic():  # each example starts from the fixture's pages
        for number, (kind, *args) in enumerate(steps):
            if kind == "round":
                events, batch = args
                DownloadEvent.objects.bulk_create(
                    DownloadEvent(
                        day=LIVE + timedelta(days=day),
                        listener=f"listener-{who}",
                        page_id=pages[page].pk,
                        show_id=shows[show],
                        app=APPS[app],
                        file="a1",
                        minute=MINUTE,
                        first_byte=None if sent is None else sent[0],
                        end_byte=None if sent is None else sent[0] + sent[1],
                        at=datetime.combine(LIVE + timedelta(days=day), time(12), tzinfo=UTC),
                    )
                    for page, day, who, app, show, sent in events
                )
                aggregate(batch=batch)
                assert stored() == recomputed(), f"after step {number}"
                assert show_days_stored() == show_days_recomputed(), f"after step {number}"
                assert not stale_pages()
            else:
                page, offset = args
                moment = (
                    None
                    if offset is None
                    else datetime.combine(LIVE + timedelta(days=offset), time(23), tzinfo=UTC)
                )
                Page.objects.filter(pk=pages[page].pk).update(first_published_at=moment)
                now_live = {key[0]: values[0] for key, values in recomputed().items()}
                moved = {key[0] for key, values in stored().items() if values[0] != now_live[key[0]]}
                assert moved <= set(stale_pages())
            assert_report_equals_daily_rows(shows)
        aggregate()
        assert stored() == recomputed()
        transaction.set_rollback(True)


def test_a_moved_first_publication_is_followed_at_the_next_round(catalogue):
    """Ten downloads on day 1 and five on day 10: first 7 days 10, first 30 days 15. The episode's first
    publication moves a week later (an import corrected it): the report says 5 and 5 at once, the totals
    are recomputed by the next round."""
    pages, shows = catalogue
    episode = pages[0]
    for day, count in ((LIVE, 10), (LIVE + timedelta(days=9), 5)):
        DownloadEvent.objects.bulk_create(
            DownloadEvent(
                day=day,
                listener=f"listener-{n}",
                page_id=episode.pk,
                show_id=shows[0],
                app="Overcast",
                file="a1",
                minute=MINUTE,
                at=datetime.combine(day, time(8), tzinfo=UTC),
            )
            for n in range(count)
        )
    aggregate()
    [row] = DownloadTotals.objects.filter(page_id=episode.pk)
    assert (row.went_live, row.first_7_days, row.first_30_days, row.all_time) == (LIVE, 10, 15, 15)

    went_live(episode, LIVE + timedelta(days=7))

    assert stale_pages() == [episode.pk]
    assert report_by_page()[episode.pk] == (15, 5, 5)
    aggregate()  # no event pending: the round only reconciles
    row.refresh_from_db()
    assert (row.went_live, row.first_7_days, row.first_30_days, row.all_time) == (
        LIVE + timedelta(days=7),
        5,
        5,
        15,
    )
    assert not stale_pages()


def test_a_deleted_shows_downloads_follow_the_daily_rows(catalogue):
    """An interview counted under a show that is then deleted: its daily rows become show-less (SET_NULL),
    and the next round moves its totals there too."""
    pages, shows = catalogue
    interview = pages[2]
    DownloadEvent.objects.bulk_create(
        DownloadEvent(
            day=LIVE,
            listener=f"listener-{n}",
            page_id=interview.pk,
            show_id=show,
            app=app,  # a daily row is one (day, page, app): the show-less download is another app's
            file="a1",
            minute=MINUTE,
            at=datetime.combine(LIVE, time(8), tzinfo=UTC),
        )
        for n, (show, app) in enumerate([(shows[1], "Overcast"), (shows[1], "Overcast"), (None, "Spotify")])
    )
    aggregate()
    assert (
        stored()
        == recomputed()
        == {
            (interview.pk, shows[1]): (LIVE, 2, 2, 2),
            (interview.pk, None): (LIVE, 1, 1, 1),
        }
    )

    Page.objects.get(pk=shows[1]).delete()

    assert set(DailyDownloads.objects.values_list("show_id", flat=True)) == {None}
    assert stale_pages() == [interview.pk]
    aggregate()
    assert stored() == recomputed() == {(interview.pk, None): (LIVE, 3, 3, 3)}
    assert show_days_stored() == show_days_recomputed() == {}


def test_rebuild_fills_the_totals_from_existing_daily_rows(catalogue):
    """What migration 0003 does to a site that counted before the totals existed: daily rows written
    without totals (bulk_create, as older code did) are added up into them."""
    pages, shows = catalogue
    DailyDownloads.objects.bulk_create(
        DailyDownloads(day=LIVE + timedelta(days=day), page_id=page.pk, show_id=show, app=app, count=day + 1)
        for day in range(0, 40, 3)
        for page, show in zip(pages, [shows[0], shows[0], shows[1]], strict=True)
        for app in APPS[:2]
    )
    assert not DownloadTotals.objects.exists()

    written = rebuild()
    made = fill_show_days()

    assert written == 3 and made == 2 * 2 * len(range(0, 40, 3))  # two shows, two apps, 14 days
    assert show_days_stored() == show_days_recomputed()
    assert stored() == recomputed()
    # Days 1, 4, 7 in the first week; 1 to 28 in the first month; the page's counts are day + 1 for two apps.
    assert stored()[(pages[0].pk, shows[0])] == (
        LIVE,
        2 * sum(range(1, 41, 3)),
        2 * (1 + 4 + 7),
        2 * sum(range(1, 31, 3)),
    )
