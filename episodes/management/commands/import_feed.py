"""``manage.py import_feed SOURCE``: bring an existing podcast onto the platform from its RSS feed.

The work is done by :mod:`episodes.importing`; this command reads the options and reports.

Exit codes: 0 when every episode was imported, updated or already up to date (parts left out, such as
chapters whose file could not be fetched, are reported but do not fail the run); 1 when the feed could
not be imported at all (unreadable, not RSS, or lacking what a new show needs), and then nothing was
created; 2 when the show was imported but one or more episodes failed (their audio could not be
downloaded or was refused, or their guid cannot be kept): the other episodes were imported, and running
the command again retries the failed ones.
"""

import argparse
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from episodes import importing

EXIT_FEED_FAILED = 1
EXIT_EPISODES_FAILED = 2

SYMBOLS = {
    importing.CREATED: "+",
    importing.UPDATED: "~",
    importing.PUBLISHED: "^",
    importing.UNCHANGED: "=",
    importing.SKIPPED: "-",
    importing.FAILED: "!",
}


class Command(BaseCommand):
    help = (
        "Import a podcast from its RSS feed (a URL or a local file): the show, its episodes and their "
        "audio, artwork, people, chapters, transcript links and soundbites. Episodes keep their guids. "
        "Running it again updates what changed in the feed and creates nothing twice. Pages are saved as "
        "drafts unless --publish is given. Exit code 1: nothing imported; 2: some episodes failed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "source",
            metavar="SOURCE",
            nargs="?",
            help="The feed's http(s) URL or a local file path. Without it, --sync syncs every show that has "
            "syncing from its old feed switched on.",
        )
        parser.add_argument(
            "--sync",
            action="store_true",
            help="Bring in only the items the show does not have yet (by guid), and change nothing else: "
            "for following the old feed until the move is complete.",
        )
        parser.add_argument(
            "--show",
            metavar="SLUG",
            help="The show to update, or to create with this slug (default: the slug of the feed's title).",
        )
        parser.add_argument(
            "--publish",
            action=argparse.BooleanOptionalAction,
            default=False,
            help="Publish the show and the episodes that changed (default: --no-publish, save drafts).",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=importing.DEFAULT_TIMEOUT,
            metavar="SECONDS",
            help="How long to wait for a server to connect or to send more (default: %(default)s).",
        )

    def handle(self, *args, **options):
        verbosity = self.verbosity = options["verbosity"]
        if not options["source"]:
            if not options["sync"]:
                raise CommandError("Name the feed to import (a URL or a file), or give --sync.")
            return self.sync_all()
        fetcher = importing.Fetcher(
            options["source"],
            timeout=options["timeout"],
            progress=sys.stderr,
            show_progress=False if verbosity == 0 else None,
        )
        try:
            report = importing.import_feed(
                options["source"],
                show_slug=options["show"],
                publish=options["publish"],
                fetcher=fetcher,
                on_show=self.show_done,
                on_episode=self.episode_done if verbosity else None,
                new_only=options["sync"],
            )
        except importing.FeedError as exc:
            raise CommandError(f"Nothing was imported. {exc}", returncode=EXIT_FEED_FAILED) from exc
        self.summarise(report)
        if report.failed:
            raise CommandError(
                f"{len(report.failed)} episode(s) could not be imported (see above); the others were. "
                "Run the command again to retry them.",
                returncode=EXIT_EPISODES_FAILED,
            )

    def sync_all(self) -> None:
        from episodes.importing.sync import shows_to_sync

        shows = list(shows_to_sync())
        if not shows:
            self.stdout.write("No show has syncing from its old feed switched on.")
            return
        failed = []
        for show in shows:
            self.stdout.write(f"Syncing {show.title!r} from {show.old_feed_url}")
            try:
                report = importing.sync_show(show)
            except importing.FeedError as exc:
                self.stdout.write(self.style.ERROR(f"  not synced: {exc}"))
                failed.append(show.slug)
                continue
            for outcome in report.episodes:
                self.episode_done(outcome)
            self.summarise(report)
        if failed:
            raise CommandError(f"Not synced: {', '.join(failed)}.", returncode=EXIT_FEED_FAILED)

    def show_done(self, outcome: importing.ShowOutcome) -> None:
        show = outcome.show
        state = "live" if show.live else "draft"
        self.stdout.write(f"Show {show.title!r} ({show.slug}, {state}): {outcome.status}.")
        for note in outcome.notes:
            self.stdout.write(self.style.WARNING(f"  note: {note}"))

    def episode_done(self, outcome: importing.EpisodeOutcome) -> None:
        title = outcome.title or "(untitled)"
        line = f"{SYMBOLS[outcome.status]} {outcome.status}: {title} [guid {outcome.guid}]"
        if outcome.status == importing.FAILED:
            self.stdout.write(self.style.ERROR(f"{line}: {outcome.reason}"))
        elif outcome.status == importing.SKIPPED:
            self.stdout.write(self.style.WARNING(f"{line}: {outcome.reason}"))
        elif outcome.status == importing.UNCHANGED:
            if self.verbosity > 1:
                self.stdout.write(line)
        else:
            self.stdout.write(self.style.SUCCESS(line))
        for note in outcome.notes:
            self.stdout.write(self.style.WARNING(f"    note: {note}"))

    def summarise(self, report: importing.ImportReport) -> None:
        counts = {
            status: len(report.with_status(status))
            for status in (
                importing.CREATED,
                importing.UPDATED,
                importing.PUBLISHED,
                importing.UNCHANGED,
                importing.SKIPPED,
                importing.FAILED,
            )
        }
        self.stdout.write(
            "Summary: {created} imported, {updated} updated, {published} published, {unchanged} unchanged, "
            "{skipped} skipped, {failed} failed.".format(**counts)
        )
        for outcome in report.with_status(importing.SKIPPED, importing.FAILED):
            self.stdout.write(f"  {outcome.status}: {outcome.title or outcome.guid}: {outcome.reason}")
        if report.show.repairs:
            self.stdout.write("Repaired, as podcast apps read the feed:")
            for repair in report.show.repairs:
                self.stdout.write(self.style.WARNING(f"  repaired: {repair}"))
        if report.show.to_fill_in:
            self.stdout.write(
                "The feed did not give the show these; fill them in on the show (its podcast directory "
                "checks list what Apple requires):"
            )
            for missing in report.show.to_fill_in:
                self.stdout.write(self.style.WARNING(f"  to fill in: {missing}"))
        if not report.changed and not report.episodes:
            self.stdout.write(self.style.SUCCESS("Nothing changed: no new episodes in the feed."))
        elif not report.changed:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Nothing changed: the show and its {counts[importing.UNCHANGED]} episode(s) already "
                    "match the feed."
                )
            )
        show = report.show.show
        edit_url = reverse("wagtailadmin_pages:edit", args=[show.pk])
        self.stdout.write(f"Review the show at {settings.WAGTAILADMIN_BASE_URL.rstrip('/')}{edit_url}")
