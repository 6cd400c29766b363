"""What the pages' totals must equal: the daily rows added up again, in Python, with each page's day 1 as
it is now. Shared by the totals tests (one process, hypothesis) and the concurrency test (threads)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, timedelta

from wagtail.models import Page

from analytics.models import DailyDownloads, DownloadTotals, ShowDailyDownloads


def recomputed() -> dict[tuple, tuple]:
    """``{(page id, show id): (went live, all time, first 7 days, first 30 days)}`` from the daily rows."""
    went_live = {
        pk: moment.astimezone(UTC).date() if moment else None
        for pk, moment in Page.objects.values_list("pk", "first_published_at")
    }
    sums: dict[tuple, list] = defaultdict(lambda: [0, 0, 0])
    for page, show, day, count in DailyDownloads.objects.values_list("page_id", "show_id", "day", "count"):
        entry = sums[(page, show)]
        entry[0] += count
        start = went_live[page]
        for index, length in ((1, 7), (2, 30)):
            if start is not None and start <= day < start + timedelta(days=length):
                entry[index] += count
    return {key: (went_live[key[0]], *values) for key, values in sums.items() if values[0]}


def stored() -> dict[tuple, tuple]:
    """The same, as the totals table holds it (rows with nothing in them left out: a rebuild may zero a
    row rather than delete it)."""
    return {
        (page, show): (went_live, *values)
        for page, show, went_live, *values in DownloadTotals.objects.values_list(
            "page_id", "show_id", "went_live", "all_time", "first_7_days", "first_30_days"
        )
        if values[0]
    }


def show_days_recomputed() -> dict[tuple, int]:
    """``{(show id, day, app): downloads}`` from the daily rows that name a show."""
    sums: dict[tuple, int] = defaultdict(int)
    for show, day, app, count in DailyDownloads.objects.filter(show__isnull=False).values_list(
        "show_id", "day", "app", "count"
    ):
        sums[(show, day, app)] += count
    return {key: value for key, value in sums.items() if value}


def show_days_stored() -> dict[tuple, int]:
    return {
        (show, day, app): count
        for show, day, app, count in ShowDailyDownloads.objects.values_list("show_id", "day", "app", "count")
        if count
    }
