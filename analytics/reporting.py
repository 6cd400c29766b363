"""What the download reports read: the figures a user may see, per day, per app and per episode.

Everything here reads ``DailyDownloads`` only, so that it does not matter how the rows were written (at
once by the audio view, or later by a scheduled aggregation of raw events). Each answer is one aggregate
query whatever the number of episodes or days: the report of a thousand episodes over a year costs what the
report of ten costs (``tests/analytics/test_reports_queries.py``, ``bench/reports.py``).

Who sees what: there are no per-show roles, so Wagtail's page permissions decide. A user sees a show's
figures when they may edit pages under it (the Editors' and Moderators' permissions on the home page reach
every show); the figures of an interview that belongs to no show, when they may edit that interview.
Visitors never reach the admin, so never see any.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, timedelta

from django.db.models import DateField, F, Func, Max, Q, QuerySet, Sum, Value
from wagtail.models import Page
from wagtail.permission_policies.pages import PagePermissionPolicy

from episodes.models import EpisodePage, InterviewPage, ShowPage

from .counting import now, utc_day
from .models import DailyDownloads

PERIODS = (30, 90, 365)  # the spans the report's chart offers, in days
FIRST_DAYS = (7, 30)  # how podcasters compare episodes: downloads in the first week and month


def today() -> date:
    """The UTC day counting is on (the same clock, so that tests crossing midnight agree with it)."""
    return utc_day(now())


# ------------------------------------------------------------------------------------------ who sees what


def editable_pages(user) -> QuerySet:
    """The pages ``user`` may edit, by Wagtail's page permissions (an owner's own pages included)."""
    return PagePermissionPolicy().instances_user_has_any_permission_for(user, ["change"])


def visible_shows(user) -> QuerySet[ShowPage]:
    """The shows whose figures ``user`` may see, by title."""
    shows = ShowPage.objects.order_by("title")
    if user.is_active and user.is_superuser:
        return shows
    return shows.filter(pk__in=editable_pages(user).values("pk"))


def downloads_for(user) -> QuerySet[DailyDownloads]:
    """The daily rows ``user`` may see: those of their shows, and of the show-less pages they may edit."""
    rows = DailyDownloads.objects.all()
    if user.is_active and user.is_superuser:
        return rows
    own = editable_pages(user).values("pk")
    return rows.filter(Q(show__in=ShowPage.objects.filter(pk__in=own)) | Q(show__isnull=True, page__in=own))


def may_see_page(user, page: Page) -> bool:
    """Whether ``user`` may see the figures of ``page`` (an episode's edit page asks)."""
    return bool(user.is_active and page.permissions_for_user(user).can_edit())


def may_see_reports(user) -> bool:
    """Whether the *Downloads* report has anything ``user`` may see (its menu item and its view ask)."""
    if not user.is_active:
        return False
    return user.is_superuser or PagePermissionPolicy().user_has_any_permission(user, ["change", "add"])


# ------------------------------------------------------------------------------------------ the figures


def daily(rows: QuerySet[DailyDownloads], first: date, last: date) -> list[tuple[date, int]]:
    """Downloads per day from ``first`` to ``last`` (inclusive), days without any included as 0."""
    totals = dict(
        rows.filter(day__range=(first, last))
        .values_list("day")
        .annotate(total=Sum("count"))
        .values_list("day", "total")
        .order_by()
    )
    return [(day, totals.get(day, 0)) for day in _days(first, last)]


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


UNRECOGNISED = "Unrecognised app"


def top_apps(
    rows: QuerySet[DailyDownloads], first: date, last: date, limit: int = 10
) -> list[tuple[str, int]]:
    """The apps with most downloads from ``first`` to ``last``, most first; the rest added up as *Others*."""
    totals = list(
        rows.filter(day__range=(first, last))
        .values_list("app")
        .annotate(total=Sum("count"))
        .values_list("app", "total")
        .order_by("-total", "app")
    )
    top = [(app or UNRECOGNISED, total) for app, total in totals[:limit]]
    rest = sum(total for _, total in totals[limit:])
    return top + [("Others", rest)] if rest else top


@dataclass
class EpisodeFigures:
    """One row of the per-episode table (and of its CSV and XLSX export, and of ``manage.py downloads``)."""

    page_id: int
    title: str
    show_title: str
    went_live: date | None  # the UTC day of its first publication: its first day counts as day 1
    first_7_days: int = 0
    first_30_days: int = 0
    since: int = 0  # from the report's period start, or the command's --since, to today
    all_time: int = 0


class FirstDaysEnd(Func):
    """The first UTC day after a page's first ``days`` days (its day of first publication is day 1).

    Written for each database in its own date arithmetic: Django's ``TruncDate`` and date-plus-interval
    would call Python for every row on SQLite, which made a year of a thousand episodes take seconds."""

    output_field = DateField()

    def __init__(self, days: int):
        super().__init__(F("page__first_published_at"))
        self.days = days

    def as_sql(self, compiler, connection, **extra):  # PostgreSQL
        sql, params = compiler.compile(self.source_expressions[0])
        return f"((({sql}) AT TIME ZONE 'UTC')::date + %s)", (*params, self.days)

    def as_sqlite(self, compiler, connection, **extra):  # the datetime is stored as UTC text
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, %s)", (*params, f"+{self.days} days")


def episode_figures(
    rows: QuerySet[DailyDownloads],
    since: date | None = None,
    listed: QuerySet | None = None,
) -> list[EpisodeFigures]:
    """Per page with downloads in ``rows`` (and per page of ``listed``, with none yet): downloads in its first
    7 and 30 days, since ``since`` and in all. Two queries, in the order of the pages' tree (a show's
    episodes together). ``rows`` decides whose downloads are added up, so a show filter goes there."""
    windows = {
        f"first_{days}_days": Sum("count", filter=Q(day__lt=FirstDaysEnd(days)), default=0)
        for days in FIRST_DAYS
    }
    recent = Sum("count", filter=Q(day__gte=since), default=0) if since else Value(0)
    sums = {
        row["page_id"]: row
        for row in rows.order_by()
        .values("page_id")
        .annotate(**windows, since=recent, all_time=Sum("count", default=0), show=Max("show_id"))
    }
    pages = Page.objects.filter(pk__in=list(sums))
    if listed is not None:
        pages = pages | Page.objects.filter(pk__in=listed.values("pk"))
    # A page's show: the one its downloads were counted for (an interview names its show), else its parent.
    shows = {}
    for pk, path, title in ShowPage.objects.values_list("pk", "path", "title"):
        shows[pk] = shows[path] = title
    figures = []
    for page_id, title, path, first_published_at in pages.order_by("path").values_list(
        "pk", "title", "path", "first_published_at"
    ):
        found = sums.get(page_id, {})
        figures.append(
            EpisodeFigures(
                page_id=page_id,
                title=title,
                show_title=shows.get(found.get("show")) or shows.get(path[: -Page.steplen], ""),
                went_live=first_published_at.astimezone(UTC).date() if first_published_at else None,
                **{key: found.get(key, 0) for key in (*windows, "since", "all_time")},
            )
        )
    return figures


def live_episodes(shows: QuerySet[ShowPage] | list[ShowPage]) -> QuerySet:
    """The live episodes of ``shows`` and the live interviews that name one of them: listed in the table
    even before their first download."""
    under = Q(pk__in=[])
    for show in shows:
        under |= Q(path__startswith=show.path, depth=show.depth + 1)
    episodes = EpisodePage.objects.live().filter(under).values("pk")
    interviews = InterviewPage.objects.live().filter(show__in=[show.pk for show in shows]).values("pk")
    return Page.objects.filter(Q(pk__in=episodes) | Q(pk__in=interviews))
