from datetime import UTC

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from episodes.audioinfo import AudioError
from episodes.models import ShowPage
from episodes.publishing import EpisodeError, create_episode
from episodes.scheduling import ScheduleError, check_schedule, parse_when


class Command(BaseCommand):
    help = (
        "Add an episode to a show from a local audio file, with the same checks as an upload in the "
        "admin. The episode stays a draft unless --publish is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--show", required=True, metavar="SLUG", help="The show page's slug.")
        parser.add_argument("--title", required=True, help="The episode's title; its slug comes from it.")
        parser.add_argument("--audio", required=True, metavar="PATH", help="MP3, M4A, Ogg, FLAC or WAV.")
        parser.add_argument("--summary", default="", help="One or two sentences for podcast apps.")
        parser.add_argument("--season", type=int, metavar="N")
        parser.add_argument("--number", type=int, metavar="N", help="The episode number.")
        parser.add_argument("--publish", action="store_true", help="Publish at once (default: a draft).")
        parser.add_argument(
            "--go-live",
            metavar="WHEN",
            help="Schedule: publish at this time, e.g. 2027-01-04T07:00Z (UTC) or 2027-01-04T08:00+01:00 "
            "(without an offset: the site's TIME_ZONE). The publication date is set to it too.",
        )
        parser.add_argument("--expire", metavar="WHEN", help="Unpublish at this time (same format).")

    def handle(self, *args, **options):
        try:
            go_live_at = parse_when(options["go_live"]) if options["go_live"] else None
            expire_at = parse_when(options["expire"], "expiry date") if options["expire"] else None
            check_schedule(go_live_at, expire_at)
        except ScheduleError as exc:
            raise CommandError(f"No episode was created. {exc}") from exc
        if go_live_at is not None and options["publish"]:
            raise CommandError("No episode was created. Give --publish or --go-live, not both.")
        shows = list(ShowPage.objects.filter(slug=options["show"]))
        if len(shows) != 1:
            known = ", ".join(ShowPage.objects.order_by("slug").values_list("slug", flat=True)) or "none"
            problem = "There is no show" if not shows else "More than one show has"
            raise CommandError(f"{problem} with the slug {options['show']!r} (shows: {known}).")
        try:
            episode = create_episode(
                shows[0],
                options["title"],
                options["audio"],
                summary=options["summary"],
                season=options["season"],
                number=options["number"],
                publish=options["publish"],
                go_live_at=go_live_at,
                expire_at=expire_at,
            )
        except (AudioError, EpisodeError) as exc:
            raise CommandError(f"No episode was created. {exc}") from exc

        if episode.live:
            self.stdout.write(self.style.SUCCESS(f"Published {episode.title!r}."))
        elif go_live_at is not None:
            when = f"{go_live_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
            self.stdout.write(
                self.style.SUCCESS(
                    f"Scheduled {episode.title!r} to go live at {when}; the scheduler (manage.py "
                    "scheduler) publishes it then."
                )
            )
            self.stdout.write(f"Public URL from {when}: {episode.get_full_url()}")
            if expire_at is not None:
                self.stdout.write(f"It expires at {expire_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC.")
            return
        else:
            self.stdout.write(self.style.SUCCESS(f"Saved {episode.title!r} as a draft: not public yet."))
            edit_url = reverse("wagtailadmin_pages:edit", args=[episode.pk])
            self.stdout.write(
                f"Review and publish it at {settings.WAGTAILADMIN_BASE_URL.rstrip('/')}{edit_url}"
            )
        self.stdout.write(f"Public URL: {episode.get_full_url()}")
