"""*Reports → Downloads* through the admin as editors use it: the chart, the top apps, the episode table and
its sorting, the show filter, bad choices, the CSV and XLSX exports read back, who may see which show's
figures, and a query count that does not grow with the number of episodes."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import GroupPagePermission

from analytics.counting import aggregate
from analytics.factories import DailyDownloadsFactory
from analytics.models import DownloadEvent
from analytics.reporting import counted_up_to, settled_until, today
from episodes.factories import (
    EpisodePageFactory,
    InterviewIndexPageFactory,
    InterviewPageFactory,
    ShowPageFactory,
)
from tests.analytics import clock
from tests.analytics.reports import went_live

pytestmark = pytest.mark.django_db

URL = "/admin/reports/downloads/"


@pytest.fixture
def shows(home_page):
    """Two shows, each with an episode that went live ten days ago and has downloads every day since."""
    found = {}
    day_one = today() - timedelta(days=10)
    for title, daily, app in [("Deciding Together", 3, "Overcast"), ("Care at Home", 5, "Spotify")]:
        show = ShowPageFactory(parent=home_page, title=title)
        episode = EpisodePageFactory(parent=show, title=f"{title}: the first")
        went_live(episode, day_one)
        for offset in range(11):
            DailyDownloadsFactory(
                page=episode, show=show, day=day_one + timedelta(days=offset), count=daily, app=app
            )
        found[title] = (show, episode)
    return found


def user_in(group: str, name: str = "someone"):
    user = get_user_model().objects.create_user(name, f"{name}@example.org", "pw")
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(client):
    user = user_in("Editors", "editor")
    client.force_login(user)
    return user


def test_report_shows_chart_apps_and_episodes(client, editor, shows):
    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="img"' in html and "<rect" in html
    assert "88 downloads from" in html  # 11 days of 3 and of 5
    assert "Overcast" in html and "Spotify" in html
    assert "Deciding Together: the first" in html and "Care at Home: the first" in html
    assert response.context["chart"].total == 88
    assert len(response.context["chart"].series) == 30
    rows = response.context["object_list"]
    assert [(row.title, row.first_7_days, row.first_30_days, row.all_time) for row in rows] == [
        ("Care at Home: the first", 35, 55, 55),
        ("Deciding Together: the first", 21, 33, 33),
    ]


def test_report_says_how_fresh_its_figures_are(client, editor, shows, settings):
    """ "Counted up to" the oldest request not yet aggregated, in UTC and in the site's time zone (Paris:
    an hour ahead in December); "up to date" once the scheduler's round has aggregated it."""
    settings.TIME_ZONE = "Europe/Paris"
    clock.set_to(datetime(2026, 12, 6, 10, 0, tzinfo=UTC))
    _, episode = shows["Deciding Together"]
    DownloadEvent.objects.create(
        day=date(2026, 12, 6),
        listener="0" * 32,
        page=episode,
        app="Overcast",
        file="a1",
        minute=1,
        at=datetime(2026, 12, 6, 9, 30, tzinfo=UTC),
    )

    html = client.get(URL).content.decode()
    assert "Counted up to 09:30 UTC (10:30 Europe/Paris)" in html

    aggregate()
    html = client.get(URL).content.decode()
    assert "Counted up to date: no download is waiting to be counted." in html


def test_freshness_names_the_day_when_it_is_not_today(shows):
    clock.set_to(datetime(2026, 12, 6, 0, 10, tzinfo=UTC))
    _, episode = shows["Deciding Together"]
    DownloadEvent.objects.create(
        day=date(2026, 12, 5),
        listener="0" * 32,
        page=episode,
        file="a1",
        minute=1,
        at=datetime(2026, 12, 5, 23, 50, tzinfo=UTC),
    )

    assert counted_up_to("America/New_York") == (
        "Counted up to 2026-12-05 23:50 UTC (18:50 America/New_York); downloads made since are added "
        "within a few minutes."
    )
    assert counted_up_to("Asia/Tokyo").startswith(
        "Counted up to 2026-12-05 23:50 UTC (2026-12-06 08:50 Asia/Tokyo)"
    )
    assert counted_up_to("UTC").startswith("Counted up to 2026-12-05 23:50 UTC;")


def test_periods_and_sorting(client, editor, shows):
    response = client.get(URL, {"period": 365, "ordering": "title"})

    assert len(response.context["chart"].series) == 365
    assert [row.title for row in response.context["object_list"]] == [
        "Care at Home: the first",
        "Deciding Together: the first",
    ]
    assert "Last 365 days" in response.content.decode()


def test_show_filter(client, editor, shows):
    show, _ = shows["Deciding Together"]

    response = client.get(URL, {"show": show.pk})

    assert [row.title for row in response.context["object_list"]] == ["Deciding Together: the first"]
    assert response.context["chart"].total == 33
    assert [app for app, _ in response.context["apps"]] == ["Overcast"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"show": "999999"}, "all your shows are shown"),
        ({"show": "<script>"}, "all your shows are shown"),
        ({"period": "7"}, "the last 30 days are shown"),
        ({"period": "a lot"}, "the last 30 days are shown"),
    ],
)
def test_bad_choices_say_so_and_show_the_defaults(client, editor, shows, params, message):
    response = client.get(URL, params)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["chart"].total == 88
    assert len(response.context["chart"].series) == 30
    assert "<script>" not in response.content.decode().split("</header>")[-1]


def test_csv_export_reads_back(client, editor, shows):
    response = client.get(URL, {"export": "csv", "ordering": "-all_time"})

    assert response["Content-Type"].startswith("text/csv")
    assert f"downloads-{today().isoformat()}.csv" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["Title"], r["Show"], r["First 7 days"], r["First 30 days"], r["All time"]) for r in rows] == [
        ("Care at Home: the first", "Care at Home", "35", "55", "55"),
        ("Deciding Together: the first", "Deciding Together", "21", "33", "33"),
    ]
    assert rows[0]["Went live"] == (today() - timedelta(days=10)).isoformat()


def test_xlsx_export_reads_back(client, editor, shows):
    show, _ = shows["Care at Home"]

    response = client.get(URL, {"export": "xlsx", "show": show.pk, "period": 90})

    assert f"downloads-{show.slug}-" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = list(sheet.values)
    assert values[0] == (
        "Title",
        "Show",
        "Went live",
        "First 7 days",
        "First 30 days",
        "All time",
    )
    assert values[1][0:2] == ("Care at Home: the first", "Care at Home")
    assert values[1][3:] == (35, 55, 55)
    assert str(values[1][2])[:10] == (today() - timedelta(days=10)).isoformat()  # a date cell


def test_editors_and_moderators_see_every_show_under_their_home_page(client, shows):
    for group in ("Editors", "Moderators"):
        client.force_login(user_in(group, group.lower()))
        response = client.get(URL)
        assert response.status_code == 200
        assert len(response.context["object_list"]) == 2


def test_a_group_with_one_show_sees_only_that_show(client, shows):
    """Per-show figures follow Wagtail's page permissions: a group that may edit under one show only."""
    show, _ = shows["Deciding Together"]
    other, _ = shows["Care at Home"]
    group = Group.objects.create(name="Deciding Together team")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    GroupPagePermission.objects.create(
        group=group, page=show, permission=Permission.objects.get(codename="change_page")
    )
    client.force_login(user_in("Deciding Together team"))

    response = client.get(URL)
    asked_for_other = client.get(URL, {"show": other.pk, "export": "csv"})

    assert [row.title for row in response.context["object_list"]] == ["Deciding Together: the first"]
    assert response.context["chart"].total == 33
    assert "Care at Home" not in response.content.decode()
    assert "Care at Home" not in b"".join(asked_for_other.streaming_content).decode()


def test_an_interview_without_a_show_is_in_the_chart_and_table_of_those_who_may_edit_it(
    client, home_page, shows
):
    """The chart reads the shows' days plus the daily rows of show-less pages: an interview that names no
    show adds to an editor's chart and table (Editors may edit every page), not to those of a group that
    may edit under one show only."""
    index = InterviewIndexPageFactory(parent=home_page)
    interview = InterviewPageFactory(parent=index, title="A conversation", show=None)
    went_live(interview, today() - timedelta(days=2))
    DailyDownloadsFactory(page=interview, show=None, day=today() - timedelta(days=2), count=4, app="Castro")
    DailyDownloadsFactory(page=interview, show=None, day=today(), count=6, app="Castro")

    client.force_login(user_in("Editors", "editor"))
    response = client.get(URL)
    assert response.context["chart"].total == 88 + 10
    assert ("Castro", 10) in response.context["apps"]
    [row] = [row for row in response.context["object_list"] if row.title == "A conversation"]
    assert (row.show_title, row.first_7_days, row.all_time) == ("", 10, 10)

    show, _ = shows["Deciding Together"]
    group = Group.objects.create(name="Deciding Together team")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    GroupPagePermission.objects.create(
        group=group, page=show, permission=Permission.objects.get(codename="change_page")
    )
    client.force_login(user_in("Deciding Together team", "team"))
    response = client.get(URL)
    assert response.context["chart"].total == 33
    assert "A conversation" not in response.content.decode()


def test_visitors_and_users_without_page_permissions_are_refused(client, shows):
    assert client.get(URL)["Location"].startswith("/admin/login/")
    bare = get_user_model().objects.create_user("bare", "bare@example.org", "pw")
    bare.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(bare)
    assert client.get(URL)["Location"] == reverse("wagtailadmin_home")


def test_menu_item_under_reports(client, editor, shows):
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert URL in html


@pytest.mark.parametrize("export", [None, "csv"])
def test_query_count_does_not_grow_with_episodes(client, home_page, export):
    """10 episodes or 100, a day each of the last 30 with two apps: the same number of queries."""
    client.force_login(get_user_model().objects.create_superuser("admin", "a@example.org", "pw"))
    counts = []
    show = ShowPageFactory(parent=home_page)
    made = 0
    for total in (10, 100):
        rows = []
        for number in range(made, total):
            episode = EpisodePageFactory(parent=show, title=f"Episode {number}")
            for offset in range(30):
                for app in ("Overcast", "Spotify"):
                    rows.append(
                        DailyDownloadsFactory.build(
                            page=episode, show=show, day=today() - timedelta(days=offset), app=app
                        )
                    )
        DailyDownloadsFactory._meta.model.objects.bulk_create(rows)
        made = total
        params = {"export": export} if export else {}
        cache.clear()  # the settled days' figures are read afresh each time (test_settled_days_...)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, params)
            if export:
                b"".join(response.streaming_content)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_settled_days_are_read_once_a_day_and_today_at_every_request(client, editor, shows):
    """The days before yesterday are kept in the cache by the first request of the day: the second request
    reads only yesterday's and today's rows, and still shows a download counted in between."""
    show, episode = shows["Deciding Together"]
    first = client.get(URL)
    DailyDownloadsFactory(page=episode, show=show, day=today(), count=100, app="Castro")

    with CaptureQueriesContext(connection) as queries:
        second = client.get(URL)

    assert second.context["chart"].total == first.context["chart"].total + 100
    assert [row.all_time for row in second.context["object_list"]] == [133, 55]  # re-sorted: most first
    assert ("Castro", 100) in second.context["apps"]
    scans = [query["sql"] for query in queries.captured_queries if "analytics_dailydownloads" in query["sql"]]
    # Each read of the rows is of the days after the settled ones, or per episode through its first days
    # (the subquery U0), or the scope's few show-less pages: none reads the whole table again.
    recent = (settled_until().isoformat(), (today() - timedelta(days=1)).isoformat())
    assert scans and all(any(marker in sql for marker in (*recent, "U0", "IS NULL")) for sql in scans), scans
