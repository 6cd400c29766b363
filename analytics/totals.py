"""Per-page download totals (``DownloadTotals``): all time, first 7 and first 30 days, kept beside the daily
rows so that the per-episode table of the report reads a row or two per episode instead of a year of days.

Three ways rows change, all of them equal to adding up ``DailyDownloads`` again:

- ``add``: the aggregator's new downloads, in the transaction that adds them to the daily rows, as atomic
  increments (the windows tested against the row's own ``went_live`` inside the UPDATE, so that a row is
  always consistent with itself, whoever else is updating it);
- ``rebuild``: a page's rows recomputed from its daily rows (the migration that made the table, a page
  whose first publication moved, a deleted show's pages);
- ``reconcile``: run by ``aggregate`` every scheduler round, it rebuilds the pages whose ``went_live`` is
  no longer the day of their first publication, or whose show was deleted.

Rebuild and aggregators may run at once: ``rebuild`` locks the page's rows before it reads the daily
rows, and writes them in place (never delete and insert, which would lose an increment that waits for the
lock), so an aggregator's increment lands either before its read (and is in the sums) or after its write
(and is added on top).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, timedelta
from functools import reduce
from operator import add as plus

from django.apps import apps as global_apps
from django.db import transaction
from django.db.models import (
    Case,
    DateField,
    Exists,
    F,
    Func,
    OuterRef,
    PositiveBigIntegerField,
    Q,
    Sum,
    Value,
    When,
)

FIRST_DAYS = (7, 30)  # how podcasters compare episodes: downloads in the first week and month


class FirstPublishedDay(Func):
    """The UTC day ``days`` days after the day of a page's first publication (``days=0``: that day).

    Written for each database in its own date arithmetic: Django's ``TruncDate`` and date-plus-interval
    call Python for every row on SQLite."""

    output_field = DateField()

    def __init__(self, first_published_at, days: int = 0):
        super().__init__(first_published_at)
        self.days = days

    def as_sql(self, compiler, connection, **extra):  # PostgreSQL
        sql, params = compiler.compile(self.source_expressions[0])
        return f"((({sql}) AT TIME ZONE 'UTC')::date + %s)", (*params, self.days)

    def as_sqlite(self, compiler, connection, **extra):  # the datetime is stored as UTC text
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, %s)", (*params, f"+{self.days} days")


def went_live_days(page_ids: Iterable[int], apps=global_apps) -> dict[int, date | None]:
    """Each page's day 1: the UTC day of its first publication (None while it has never been published)."""
    Page = apps.get_model("wagtailcore", "Page")  # noqa: N806 (a model class)
    return {
        pk: moment.astimezone(UTC).date() if moment else None
        for pk, moment in Page.objects.filter(pk__in=list(page_ids)).values_list("pk", "first_published_at")
    }


def _key_order(key: tuple[int, int | None]) -> tuple[int, int]:
    return key[0], key[1] or 0


def add_show_days(counted: dict[tuple, int]) -> None:
    """Add new downloads, ``{(day, page id, app, show id): number}``, to the shows' daily rows (those with
    a show): made if missing, then one atomic increment per (show, day, app) in key order."""
    Shows = global_apps.get_model("analytics", "ShowDailyDownloads")  # noqa: N806 (a model class)
    by_key: dict[tuple, int] = defaultdict(int)
    for (day, _page, app, show), number in counted.items():
        if show is not None:
            by_key[(show, day, app)] += number
    if not by_key:
        return
    Shows.objects.bulk_create(
        [Shows(show_id=show, day=day, app=app) for show, day, app in by_key], ignore_conflicts=True
    )
    for (show, day, app), number in sorted(by_key.items()):
        Shows.objects.filter(show_id=show, day=day, app=app).update(count=F("count") + number)


def fill_show_days(apps=global_apps) -> int:
    """The shows' daily rows added up from the daily rows (migration 0003, on a site that counted before
    they existed); how many rows."""
    Daily = apps.get_model("analytics", "DailyDownloads")  # noqa: N806 (model classes)
    Shows = apps.get_model("analytics", "ShowDailyDownloads")  # noqa: N806
    groups = (
        Daily.objects.filter(show__isnull=False)
        .order_by()
        .values_list("show_id", "day", "app")
        .annotate(total=Sum("count"))
    )
    rows = [Shows(show_id=show, day=day, app=app, count=total) for show, day, app, total in groups.iterator()]
    Shows.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def add(counted: dict[tuple, int]) -> None:
    """Add new downloads, ``{(day, page id, app, show id): number}``, to the pages' totals: rows made if
    missing (``went_live`` from the page), then one UPDATE per (page, show) in key order."""
    if not counted:
        return
    by_key: dict[tuple[int, int | None], dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for (day, page, _app, show), number in counted.items():
        by_key[(page, show)][day] += number
    Totals = global_apps.get_model("analytics", "DownloadTotals")  # noqa: N806 (a model class)
    live = went_live_days({page for page, _ in by_key})
    Totals.objects.bulk_create(
        [Totals(page_id=page, show_id=show, went_live=live.get(page)) for page, show in by_key],
        ignore_conflicts=True,
    )
    for page, show in sorted(by_key, key=_key_order):
        days = by_key[(page, show)]
        Totals.objects.filter(page_id=page, show_id=show).update(
            all_time=F("all_time") + sum(days.values()),
            **{
                f"first_{length}_days": F(f"first_{length}_days") + _in_window(days, length)
                for length in FIRST_DAYS
            },
        )


def _in_window(days: dict[date, int], length: int):
    """The downloads of ``days`` that fall in the row's first ``length`` days, as an SQL expression: the
    window is the row's own (its ``went_live``), read by the UPDATE itself."""
    return reduce(
        plus,
        [
            Case(
                When(went_live__lte=day, went_live__gt=day - timedelta(days=length), then=Value(number)),
                default=Value(0),
                output_field=PositiveBigIntegerField(),
            )
            for day, number in sorted(days.items())
        ],
    )


def rebuild(page_ids: Iterable[int] | None = None, apps=global_apps) -> int:
    """Recompute the totals of ``page_ids`` (every page with daily rows when None) from their daily rows,
    with ``went_live`` from the page as it is now; how many rows were written. ``apps``: a migration's."""
    Daily = apps.get_model("analytics", "DailyDownloads")  # noqa: N806 (model classes)
    Totals = apps.get_model("analytics", "DownloadTotals")  # noqa: N806
    daily, totals = Daily.objects.all(), Totals.objects.all()
    if page_ids is not None:
        pages = sorted(set(page_ids))
        if not pages:
            return 0
        daily, totals = daily.filter(page_id__in=pages), totals.filter(page_id__in=pages)
    with transaction.atomic():
        # Locked first, so that what is read next includes every increment that got in before.
        existing = {
            (row.page_id, row.show_id): row
            for row in totals.select_for_update().order_by("page_id", F("show_id").asc(nulls_first=True))
        }
        first = FirstPublishedDay(F("page__first_published_at"))
        windows = {
            f"first_{length}_days": Sum(
                "count",
                filter=Q(day__gte=first, day__lt=FirstPublishedDay(F("page__first_published_at"), length)),
                default=0,
            )
            for length in FIRST_DAYS
        }
        sums = {
            (page, show): values
            for page, show, *values in daily.order_by()
            .values("page_id", "show_id")
            .annotate(total=Sum("count", default=0), **windows)
            .values_list("page_id", "show_id", "total", *windows)
        }
        live = went_live_days({page for page, _ in sums | existing}, apps)
        changed, new = [], []
        for key in sorted(sums.keys() | existing.keys(), key=_key_order):
            all_time, first_7, first_30 = sums.get(key, (0, 0, 0))
            row = existing.get(key) or Totals(page_id=key[0], show_id=key[1])
            row.went_live, row.all_time = live.get(key[0]), all_time
            row.first_7_days, row.first_30_days = first_7, first_30
            (changed if key in existing else new).append(row)
        fields = ["went_live", "all_time", "first_7_days", "first_30_days"]
        Totals.objects.bulk_update(changed, fields, batch_size=500)
        Totals.objects.bulk_create(new, batch_size=500)
    return len(changed) + len(new)


def stale_pages() -> list[int]:
    """Pages whose totals no longer follow them: counted from another day than that of their first
    publication (an import set it, a page was published for the first time after a download), or under a
    show that was deleted. One query over the small totals table."""
    from episodes.models import ShowPage

    from .models import DownloadTotals

    current = FirstPublishedDay(F("page__first_published_at"))
    moved = (
        Q(went_live__isnull=True, page__first_published_at__isnull=False)
        | Q(went_live__isnull=False, page__first_published_at__isnull=True)
        | Q(went_live__lt=current)
        | Q(went_live__gt=current)
    )
    gone = Q(show_id__isnull=False) & ~Exists(ShowPage.objects.filter(pk=OuterRef("show_id")))
    return sorted(set(DownloadTotals.objects.filter(moved | gone).values_list("page_id", flat=True)))


def reconcile() -> int:
    """Rebuild the stale pages' totals (``stale_pages``); how many pages. Run by ``aggregate``."""
    pages = stale_pages()
    if pages:
        rebuild(pages)
    return len(pages)
