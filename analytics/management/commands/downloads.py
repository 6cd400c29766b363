"""``manage.py downloads [--show SLUG] [--since DATE] [--csv]``: one row per episode with its downloads, for
a terminal or a spreadsheet. Thin: the figures are ``analytics.reporting``'s, as in *Reports → Downloads*."""

from __future__ import annotations

import csv
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from analytics import counting, reporting
from episodes.models import ShowPage

COLUMNS = ["title", "show", "went_live", "first_7_days", "first_30_days", "downloads"]


class Command(BaseCommand):
    help = (
        "Print one row per episode (and interview) with its downloads: first 7 days, first 30 days and "
        "all time (or since --since). Days are UTC."
    )

    def add_arguments(self, parser):
        parser.add_argument("--show", metavar="SLUG", help="only this show's episodes")
        parser.add_argument("--since", metavar="DATE", help="count downloads from this day on (YYYY-MM-DD)")
        parser.add_argument(
            "--csv", dest="as_csv", action="store_true", help="CSV with a header row, for spreadsheets"
        )

    def handle(self, *args, show=None, since=None, as_csv=False, **options):
        shows = ShowPage.objects.order_by("title")
        where = Q()
        if show is not None:
            found = shows.filter(slug=show).first()
            if found is None:
                known = ", ".join(shows.values_list("slug", flat=True)) or "none yet"
                raise CommandError(f"No show has the slug {show[:100]!r}. Shows: {known}.")
            shows, where = [found], Q(show=found)
        since_day = parse_day(since) if since is not None else None
        aggregate = getattr(counting, "aggregate", None)
        if aggregate is not None:
            aggregate()  # downloads still waiting to be added up (if counting writes them later) count too
        figures = reporting.episode_figures(where, since=since_day, listed=reporting.live_episodes(shows))
        table = [
            {
                "title": row.title,
                "show": row.show_title,
                "went_live": row.went_live.isoformat() if row.went_live else "",
                "first_7_days": row.first_7_days,
                "first_30_days": row.first_30_days,
                "downloads": row.since if since_day else row.all_time,
            }
            for row in figures
        ]
        # The freshness line goes where it cannot break the CSV: standard error (a terminal shows both).
        freshness = reporting.counted_up_to()
        if as_csv:
            self.stderr.write(freshness, style_func=None)
            self.write_csv(table)
        else:
            self.stdout.write(freshness)
            self.write_text(table, since_day)

    def write_csv(self, table):
        writer = csv.DictWriter(self.stdout, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)

    def write_text(self, table, since_day):
        if not table:
            self.stdout.write("No episode has downloads yet, and none is live.")
            return
        headings = dict(
            zip(COLUMNS, ["Title", "Show", "Went live", "First 7 days", "First 30 days"], strict=False)
        )
        headings["downloads"] = f"Since {since_day.isoformat()}" if since_day else "All time"
        widths = {name: max(len(headings[name]), *(len(str(row[name])) for row in table)) for name in COLUMNS}
        numbers = {"first_7_days", "first_30_days", "downloads"}

        def line(values):
            cells = [
                str(values[name]).rjust(widths[name])
                if name in numbers
                else str(values[name]).ljust(widths[name])
                for name in COLUMNS
            ]
            return "  ".join(cells).rstrip()

        self.stdout.write(line(headings))
        for row in table:
            self.stdout.write(line(row))


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"--since {text[:40]!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-01-31."
        ) from None
