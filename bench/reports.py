"""How fast is *Reports → Downloads* over a year of a large catalogue, and does its query count stay flat?

Builds a show with --episodes episodes (default 1,000), published one after another over a year, each with
its first --days days (default 365) of daily aggregates for three apps, bulk-created as the counting would
have written them (a million rows with the defaults; the newest episode's reach today), plus a small show of
10 episodes made the same way, and adds up the pages' totals and shows' days as migration 0003 does; then
lets the database gather its planner statistics. Then, in one run, through the Django test client as an
administrator (every show) and as an editor (the same figures, reached through Wagtail's page permissions):

1. SQL queries of the report for the small show and for the large one (``?show=``): equal.
2. Time of the whole report (queries, sorting, the chart, the first page of the table rendered), median of
   --repeat runs, for the chart over 30, 90 and 365 days, and of the CSV export of every episode; target:
   the HTML report under 300 ms. "Cold" empties the cache first, as the first request of a day finds it;
   "warm" is every later request of the day, which reads only the rows of the days not settled yet (the
   settled days' figures are kept in the cache: ``analytics.reporting._settled``). Two baselines,
   measured in the same run: one hand-written ``GROUP BY page_id`` over the same rows (the floor of any
   all-time per-episode table), and Wagtail's own *Locked pages* report with nothing locked (the floor of
   any admin page: menus, header, user).

    .venv/bin/python bench/reports.py --database postgres://postgres@127.0.0.1:5432/bench_reports
    .venv/bin/python bench/reports.py --database sqlite:////tmp/bench_reports.sqlite3

The database is created (PostgreSQL) or overwritten (SQLite) by the run: never point it at real data.
Exits 1 when a target fails. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from load import create_database  # noqa: E402 (after the path)
from loadkit import machine, tally, verdict  # noqa: E402 (after the path)

TARGET_MS = 300
APPS = ("Apple Podcasts", "Spotify", "Overcast")
SMALL = 10
BATCH = 20_000


def setup_django(database_url: str) -> None:
    """The test settings (fast password hashing, a local-memory cache) on the run's database."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "website.settings.test"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import django

    django.setup()


def build(episodes: int, days: int) -> None:
    from django.core.management import call_command
    from django.db import connection
    from wagtail.models import Page, Site

    from analytics.models import DailyDownloads
    from analytics.reporting import today
    from analytics.totals import fill_show_days, rebuild
    from episodes.factories import ShowPageFactory
    from episodes.models import EpisodePage

    call_command("migrate", verbosity=0)
    home = Site.objects.get(is_default_site=True).root_page
    last = today()
    for title, slug, count in [("Large show", "large", episodes), ("Small show", "small", SMALL)]:
        show = ShowPageFactory(parent=home, title=title, slug=slug)
        pages = []
        for n in range(count):
            page = show.add_child(
                instance=EpisodePage(title=f"{title} episode {n}", slug=f"episode-{n}", summary="A talk.")
            )
            # Published one after another over the year before the last one's first year: each episode has
            # its first `days` days of downloads, the newest up to today.
            went_live = last - timedelta(days=days - 1) - timedelta(days=(count - 1 - n) * days // count)
            pages.append((page.pk, went_live))
        for pk, went_live in pages:
            first_published_at = datetime.combine(went_live, datetime.min.time(), tzinfo=UTC)
            Page.objects.filter(pk=pk).update(first_published_at=first_published_at)
        rows = []
        for pk, went_live in pages:
            for offset in range(days):
                day = went_live + timedelta(days=offset)
                for number, app in enumerate(APPS):
                    count_of_day = 1 + (pk + offset + number) % 9
                    rows.append(DailyDownloads(day=day, page_id=pk, show=show, app=app, count=count_of_day))
            if len(rows) >= BATCH:
                DailyDownloads.objects.bulk_create(rows)
                rows = []
        DailyDownloads.objects.bulk_create(rows)
        made = DailyDownloads.objects.filter(show=show).count()
        print(f"built {title}: {count} episodes, {made:,} rows", flush=True)
    start = time.perf_counter()
    # The pages' totals and the shows' days, as migration 0003 fills them from existing daily rows.
    written, days = rebuild(), fill_show_days()
    print(
        f"totals ({written:,} rows) and show days ({days:,}) in {time.perf_counter() - start:.1f} s",
        flush=True,
    )
    with connection.cursor() as cursor:  # the planner's statistics, as a database that has lived has them
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def timed(fn) -> tuple[float, float]:
    """Wall time and this process's CPU time of ``fn()``, in ms (the database server's CPU is not in it)."""
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/bench_reports")
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="keep the catalogue of an earlier run")
    args = parser.parse_args()
    load_at_start = os.getloadavg()[0]

    if not args.reuse:
        create_database(args.database)
    setup_django(args.database)
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]
    start = time.perf_counter()
    if not args.reuse:
        build(args.episodes, args.days)
    print(f"built in {time.perf_counter() - start:.0f} s")

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from analytics.models import DailyDownloads
    from episodes.models import ShowPage

    users = get_user_model().objects
    admin = users.filter(username="bench-admin").first() or users.create_superuser("bench-admin", "", "pw")
    editor = users.filter(username="bench-editor").first() or users.create_user("bench-editor", "", "pw")
    editor.groups.add(Group.objects.get(name="Editors"))
    clients = {}
    for name, user in (("administrator", admin), ("editor", editor)):
        clients[name] = Client()
        clients[name].force_login(user)
    large, small = ShowPage.objects.get(slug="large"), ShowPage.objects.get(slug="small")
    url = "/admin/reports/downloads/"

    def get(client, **params):
        response = client.get(url, params)
        assert response.status_code == 200, response.status_code
        if response.streaming:
            b"".join(response.streaming_content)

    results = []
    print(
        f"\n{connection.vendor}: {DailyDownloads.objects.count():,} daily rows, "
        f"{args.episodes + SMALL} episodes"
    )
    for role, client in clients.items():
        counts = []
        for show in (small, large):
            get(client, show=show.pk)  # warm: plans, the admin's menus
            with CaptureQueriesContext(connection) as queries:
                get(client, show=show.pk)
            counts.append(len(queries))
        ok = counts[0] == counts[1]
        results.append(ok)
        print(
            f"queries as {role}, {SMALL} vs {args.episodes} episodes: "
            f"{counts[0]} vs {counts[1]}  {verdict(ok)}"
        )

    def floor():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT page_id, SUM(count) FROM analytics_dailydownloads GROUP BY page_id ORDER BY 2 DESC"
            )
            cursor.fetchall()

    def wagtail_report():  # the admin's own furniture: menus, header, a listing, signed-in user
        response = clients["administrator"].get(reverse("wagtailadmin_reports:locked_pages"))
        assert response.status_code == 200, response.status_code

    runs = {
        "baseline: GROUP BY page_id": floor,
        "baseline: Wagtail's Locked pages": wagtail_report,
        **{
            f"report as {role}, {days} days, {state}": (
                lambda c=client, d=days, s=state: (s == "warm" or cache.clear(), get(c, period=d))
            )
            for role, client in clients.items()
            for days in (30, 90, 365)
            for state in ("cold", "warm")
        },
        "CSV export as editor, cold": lambda: (cache.clear(), get(clients["editor"], export="csv")),
    }
    for fn in runs.values():
        fn()
    times = {label: [] for label in runs}
    cpu_times = {label: [] for label in runs}
    for _ in range(args.repeat):  # interleaved, so that all see the same machine
        for label, fn in runs.items():
            wall, cpu = timed(fn)
            times[label].append(wall)
            cpu_times[label].append(cpu)
    base = statistics.median(times["baseline: GROUP BY page_id"])
    for label, values in times.items():
        median = statistics.median(values)
        line = (
            f"{label:34} median {median:7.1f} ms (CPU {statistics.median(cpu_times[label]):6.1f} ms)  "
            f"max {max(values):7.1f} ms  {median / base:4.1f}x baseline"
        )
        if label.startswith("report"):
            ok = median < TARGET_MS
            results.append(ok)
            line += f"  (target < {TARGET_MS} ms)  {verdict(ok)}"
        print(line)
    print(machine(load_at_start))
    sys.exit(tally(results))


if __name__ == "__main__":
    main()
