"""What the download reports read: the figures a user may see, per day, per app and per episode.

The chart and the top apps read the daily rows (``DailyDownloads``); the per-episode table reads the
pages' totals (``DownloadTotals``), which the aggregator keeps equal to sums of the daily rows
(``analytics.totals``). Each answer is one aggregate query whatever the number of episodes or days: the
report of a thousand episodes over a year costs what the report of ten costs (``bench/reports.py``).

Who sees what: there are no per-show roles, so Wagtail's page permissions decide. A user sees a show's
figures when they may edit pages under it (the Editors' and Moderators' permissions on the home page reach
every show); the figures of an interview that belongs to no show, when they may edit that interview.
Visitors never reach the admin, so never see any.
"""

from __future__ import annotations

import hashlib
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, timedelta

from django.core.cache import cache
from django.db.models import Case, F, Max, OuterRef, Q, QuerySet, Subquery, Sum, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from wagtail.models import Page
from wagtail.permission_policies.pages import PagePermissionPolicy

from episodes.models import EpisodePage, InterviewPage, ShowPage

from .aggregating import pending_since
from .counting import now, utc_day
from .models import DailyDownloads, DownloadTotals, ShowDailyDownloads
from .totals import FIRST_DAYS, FirstPublishedDay

PERIODS = (30, 90, 365)  # the spans the report's chart offers, in days


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


@dataclass
class Scope:
    """The downloads a user may see: those counted under ``shows`` and those of the show-less ``pages``
    (None: all of them), as a condition on ``show`` and ``page`` (which the daily rows and the pages'
    totals share), and a name for them that users who see the same share (the key of the settled figures
    in the cache)."""

    key: str
    shows: list[int] | None = None
    pages: list[int] | None = None

    @property
    def where(self) -> Q:
        if self.shows is None:
            return Q()
        return Q(show_id__in=self.shows) | Q(show__isnull=True, page_id__in=self.pages)

    @property
    def rows(self) -> QuerySet[DailyDownloads]:
        return DailyDownloads.objects.filter(self.where)

    def by_day_and_app(self, first: date, last: date, show: ShowPage | None = None) -> list[tuple]:
        """``(day, app, downloads)`` groups from ``first`` to ``last`` of the scope (of ``show``, one of
        its shows, when given): from the shows' days (``ShowDailyDownloads``, a row per show, day and app)
        and the daily rows of show-less pages, two small queries however many episodes there are."""
        named = ShowDailyDownloads.objects.filter(day__range=(first, last))
        if show is not None:
            named = named.filter(show=show)
        elif self.shows is not None:
            named = named.filter(show_id__in=self.shows)
        groups = list(named.values_list("day", "app").annotate(Sum("count")).order_by())
        if show is None:
            showless = DailyDownloads.objects.filter(show__isnull=True, day__range=(first, last))
            if self.pages is not None:
                showless = showless.filter(page_id__in=self.pages)
            groups += list(showless.values_list("day", "app").annotate(Sum("count")).order_by())
        return groups


def scope_for(user) -> Scope:
    """The rows of the shows ``user`` may see, and of the show-less pages they may edit."""
    if user.is_active and user.is_superuser:
        return Scope("all")
    # Both as plain lists of ids, found by two small queries: a filter made of the permission subqueries
    # would be evaluated for each of a million rows.
    shows = sorted(visible_shows(user).values_list("pk", flat=True))
    showless = DailyDownloads.objects.filter(show__isnull=True).values("page_id")
    pages = sorted(editable_pages(user).filter(pk__in=showless).values_list("pk", flat=True))
    key = hashlib.sha256(repr((shows, pages)).encode()).hexdigest()[:16]
    return Scope(key, shows, pages)


# ------------------------------------------------------------------------------------------ settled days

SETTLED_AFTER = 2  # days: today's figures grow, and yesterday's may (counting that aggregates on a schedule)


def settled_until() -> date:
    """The last day whose figures no longer change: the day before yesterday."""
    return today() - timedelta(days=SETTLED_AFTER)


def _settled(key: str | None, compute):
    """``compute()`` over settled days, kept in the cache for the day when ``key`` names it (the report),
    so that a year of them is read once a day rather than at every request; computed afresh without a key
    (the command) or when the cache has lost it. A new day makes new keys, so a figure is at most a day old
    should rows of a settled day change after all (a late correction)."""
    if key is None:
        return compute()
    full_key = f"analytics:reports:{key}:{settled_until().isoformat()}"
    value = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, SETTLED_CACHE_SECONDS)
    return value


SETTLED_CACHE_SECONDS = 26 * 3600  # a day and a margin; the key changes at midnight (UTC) anyway


def may_see_page(user, page: Page) -> bool:
    """Whether ``user`` may see the figures of ``page`` (an episode's edit page asks)."""
    return bool(user.is_active and page.permissions_for_user(user).can_edit())


def may_see_reports(user) -> bool:
    """Whether the *Downloads* report has anything ``user`` may see (its menu item and its view ask)."""
    if not user.is_active:
        return False
    return user.is_superuser or PagePermissionPolicy().user_has_any_permission(user, ["change", "add"])


# ------------------------------------------------------------------------------------------ how fresh


def counted_up_to(zone_name: str | None = None) -> str:
    """How fresh the figures are, for the report, the edit page's panel and ``manage.py downloads``: the
    moment of the oldest request not yet aggregated (``aggregating.pending_since``: everything before it is
    counted), in UTC, the days' zone, and in the site's (or the user's) time zone as the rest of the admin
    shows times; "up to date" when nothing waits. The date is named when it is not today's (UTC)."""
    since = pending_since()
    if since is None:
        return "Counted up to date: no download is waiting to be counted."
    at = since.astimezone(UTC)
    text = f"{at:%H:%M} UTC" if at.date() == today() else f"{at:%Y-%m-%d %H:%M} UTC"
    zone = zoneinfo.ZoneInfo(zone_name) if zone_name else timezone.get_current_timezone()
    zone_name = zone_name or timezone.get_current_timezone_name()
    if zone_name != "UTC":
        local = since.astimezone(zone)
        same_day = local.date() == at.date()
        text += f" ({local:%H:%M} {zone_name})" if same_day else f" ({local:%Y-%m-%d %H:%M} {zone_name})"
    return f"Counted up to {text}; downloads made since are added within a few minutes."


# ------------------------------------------------------------------------------------------ the figures


UNRECOGNISED = "Unrecognised app"


@dataclass
class PeriodFigures:
    daily: list[tuple[date, int]]  # every day of the period, days without downloads as 0
    apps: list[tuple[str, int]]  # the apps with most downloads, most first; the rest as "Others"


def _by_day_and_app(rows: QuerySet[DailyDownloads], first: date, last: date) -> list[tuple[date, str, int]]:
    return list(
        rows.filter(day__range=(first, last)).values_list("day", "app").annotate(Sum("count")).order_by()
    )


def period_figures(
    rows: QuerySet[DailyDownloads] | None,
    first: date,
    last: date,
    apps: int = 10,
    cache_key: str | None = None,
    read=None,
) -> PeriodFigures:
    """Downloads per day and the top apps from ``first`` to ``last`` (inclusive), from one query grouped by
    day and app (a year is at most a few thousand groups): the rows are read once for both. With a
    ``cache_key``, the settled days come from the cache (``_settled``) and only the last two are read.
    ``read(first, last)`` gives the groups instead of ``rows`` (the report: ``Scope.by_day_and_app``)."""
    read = read or (lambda first, last: _by_day_and_app(rows, first, last))
    settled = settled_until()
    if cache_key is None or first > settled:
        groups = read(first, last)
    else:
        end = min(last, settled)
        groups = _settled(f"{cache_key}:days:{first}:{end}", lambda: read(first, end))
        if last > settled:
            groups = groups + read(settled + timedelta(days=1), last)
    by_day: dict[date, int] = {}
    by_app: dict[str, int] = {}
    for day, app, total in groups:
        by_day[day] = by_day.get(day, 0) + total
        by_app[app] = by_app.get(app, 0) + total
    ranked = sorted(by_app.items(), key=lambda item: (-item[1], item[0]))
    top = [(app or UNRECOGNISED, total) for app, total in ranked[:apps]]
    rest = sum(total for _, total in ranked[apps:])
    return PeriodFigures(
        daily=[(day, by_day.get(day, 0)) for day in _days(first, last)],
        apps=top + [("Others", rest)] if rest else top,
    )


def daily(rows: QuerySet[DailyDownloads], first: date, last: date) -> list[tuple[date, int]]:
    """Downloads per day from ``first`` to ``last`` (inclusive), days without any included as 0."""
    return period_figures(rows, first, last).daily


def top_apps(
    rows: QuerySet[DailyDownloads], first: date, last: date, limit: int = 10
) -> list[tuple[str, int]]:
    """The apps with most downloads from ``first`` to ``last``, most first; the rest added up as *Others*."""
    return period_figures(rows, first, last, apps=limit).apps


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


@dataclass
class EpisodeFigures:
    """One row of the per-episode table (and of its CSV and XLSX export, and of ``manage.py downloads``)."""

    page_id: int
    title: str
    show_title: str
    went_live: date | None  # the UTC day of its first publication: its first day counts as day 1
    first_7_days: int = 0
    first_30_days: int = 0
    since: int = 0  # from the command's --since on
    all_time: int = 0


def _first_days(rows: QuerySet[DailyDownloads], days: int) -> Coalesce:
    """A page's downloads in its first ``days`` days, from the daily rows: a subquery per page that reads
    only those days' rows through the (page, day) index. For the pages whose totals are being recomputed
    (``totals.stale_pages``) and for ``--since``; the totals hold them otherwise."""
    went_live = OuterRef("first_published_at")
    window = rows.filter(
        page_id=OuterRef("pk"),
        day__gte=FirstPublishedDay(went_live),
        day__lt=FirstPublishedDay(went_live, days),
    )
    total = window.order_by().values("page_id").annotate(total=Sum("count")).values("total")
    return Coalesce(Subquery(total), 0)


def episode_figures(
    where: Q | None = None, since: date | None = None, listed: QuerySet | None = None
) -> list[EpisodeFigures]:
    """Per page with downloads in the rows ``where`` selects (a condition on ``show`` and ``page``, which
    the daily rows and the totals share: a user's scope, a show filter), and per page of ``listed`` with
    none yet: downloads in its first 7 and 30 days (from its day of first publication, day 1, on), since
    ``since`` and in all. Two queries whatever the number of pages, in the order of the pages' tree (a
    show's episodes together).

    Without ``since`` the sums come from the pages' totals (``DownloadTotals``: a row or two per page);
    the first days of a page whose first publication moved since its totals were counted are added up
    from the daily rows until the scheduler has recomputed them. With ``since`` (the command), everything
    is added up from the daily rows."""
    where = where if where is not None else Q()
    rows = DailyDownloads.objects.filter(where)
    # page id -> [all time, since, show id, first 7 days, first 30 days]
    sums: dict[int, list] = {}
    recount: set[int] | None = set()  # pages whose first days are read from the daily rows (None: all)
    if since is not None:
        recount = None
        for page_id, all_time, recent, show_id in (
            rows.order_by()
            .values("page_id")
            .annotate(
                all_time=Sum("count", default=0), since=Sum("count", filter=Q(day__gte=since), default=0)
            )
            .annotate(show=Max("show_id"))
            .values_list("page_id", "all_time", "since", "show")
        ):
            sums[page_id] = [all_time, recent, show_id, 0, 0]
    else:
        totals = DownloadTotals.objects.filter(where).annotate(
            current=FirstPublishedDay(F("page__first_published_at"))
        )
        for page_id, show_id, all_time, first_7, first_30, counted_from, current in totals.values_list(
            "page_id", "show_id", "all_time", "first_7_days", "first_30_days", "went_live", "current"
        ):
            entry = sums.setdefault(page_id, [0, 0, None, 0, 0])
            entry[0] += all_time
            entry[2] = max(show_id or 0, entry[2] or 0) or None
            entry[3] += first_7
            entry[4] += first_30
            if counted_from != current:
                recount.add(page_id)
    pages = Page.objects.filter(pk__in=list(sums))
    if listed is not None:
        pages = pages | Page.objects.filter(pk__in=listed.values("pk"))
    windows = {}
    if recount is None or recount:
        for days in FIRST_DAYS:
            window = _first_days(rows, days)
            windows[f"first_{days}_days"] = (
                window if recount is None else Case(When(pk__in=sorted(recount), then=window), default=None)
            )
    # A page's show: the one its downloads were counted for (an interview names its show), else its parent.
    shows = {}
    for pk, path, title in ShowPage.objects.values_list("pk", "path", "title"):
        shows[pk] = shows[path] = title
    figures = []
    for page_id, title, path, first_published_at, *counted in (
        pages.annotate(**windows)
        .order_by("path")
        .values_list("pk", "title", "path", "first_published_at", *windows)
    ):
        all_time, recent_total, show_id, first_7, first_30 = sums.get(page_id, (0, 0, None, 0, 0))
        if counted and counted[0] is not None:
            first_7, first_30 = counted
        figures.append(
            EpisodeFigures(
                page_id=page_id,
                title=title,
                show_title=shows.get(show_id) or shows.get(path[: -Page.steplen], ""),
                went_live=first_published_at.astimezone(UTC).date() if first_published_at else None,
                first_7_days=first_7,
                first_30_days=first_30,
                since=recent_total,
                all_time=all_time,
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
