"""``manage.py downloads``: one row per episode, as text or CSV (header with ``title`` and ``downloads``),
a show's episodes only with ``--show``, downloads from a day on with ``--since``, and plain errors."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command

from analytics.factories import DailyDownloadsFactory
from episodes.factories import EpisodePageFactory, ShowPageFactory
from tests.analytics.reports import went_live

pytestmark = pytest.mark.django_db

LIVE = date(2026, 5, 4)


@pytest.fixture
def catalogue(home_page):
    """Two shows; the first has an episode downloaded on its days 1, 8 and 31 and one not downloaded yet."""
    show = ShowPageFactory(parent=home_page, title="Deciding Together", slug="deciding-together")
    other = ShowPageFactory(parent=home_page, title="Care at Home", slug="care-at-home")
    first = EpisodePageFactory(parent=show, title="Shared, decisions")  # a comma: CSV must quote it
    EpisodePageFactory(parent=show, title="Quiet one")
    elsewhere = EpisodePageFactory(parent=other, title="At home")
    went_live(first, LIVE)
    for offset, count in [(0, 2), (7, 3), (30, 5)]:
        DailyDownloadsFactory(page=first, show=show, day=LIVE + timedelta(days=offset), count=count)
    DailyDownloadsFactory(page=elsewhere, show=other, day=LIVE, count=7)
    return show


def run(*args) -> str:
    out = io.StringIO()
    call_command("downloads", *args, stdout=out)
    return out.getvalue()


def test_csv_one_row_per_episode(catalogue):
    rows = list(csv.DictReader(io.StringIO(run("--csv"))))

    assert {"title", "downloads"} <= set(rows[0])
    assert [(r["title"], r["show"], r["first_7_days"], r["first_30_days"], r["downloads"]) for r in rows] == [
        ("Shared, decisions", "Deciding Together", "2", "5", "10"),
        ("Quiet one", "Deciding Together", "0", "0", "0"),
        ("At home", "Care at Home", "0", "0", "7"),
    ]
    assert rows[0]["went_live"] == LIVE.isoformat()


def test_show_and_since(catalogue):
    rows = list(
        csv.DictReader(io.StringIO(run("--csv", "--show", "deciding-together", "--since", "2026-05-11")))
    )

    assert [(r["title"], r["downloads"]) for r in rows] == [("Shared, decisions", "8"), ("Quiet one", "0")]


def test_text_table(catalogue):
    freshness, *lines = run("--show", "deciding-together").splitlines()

    assert freshness == "Counted up to date: no download is waiting to be counted."
    assert lines[0].split("  ")[0] == "Title" and lines[0].endswith("All time")
    assert lines[1].startswith("Shared, decisions") and lines[1].endswith("10")
    assert len(lines) == 3


def test_csv_says_how_fresh_on_standard_error_only(catalogue):
    """The command aggregates what is pending first, so it is up to date; the line goes to standard error
    so that the CSV on standard output stays a table (its first line the header)."""
    out, err = io.StringIO(), io.StringIO()
    call_command("downloads", "--csv", stdout=out, stderr=err)

    assert err.getvalue().strip() == "Counted up to date: no download is waiting to be counted."
    assert out.getvalue().splitlines()[0] == "title,show,went_live,first_7_days,first_30_days,downloads"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--show", "no-such-show"],
            "No show has the slug 'no-such-show'. Shows: care-at-home, deciding-together.",
        ),
        (["--since", "2026-13-01"], "--since '2026-13-01' is not a date"),
        (["--since", "yesterday"], "write it as YYYY-MM-DD"),
    ],
)
def test_bad_input_is_a_plain_error(catalogue, args, message):
    with pytest.raises(CommandError) as error:
        run(*args)
    assert message in str(error.value)
