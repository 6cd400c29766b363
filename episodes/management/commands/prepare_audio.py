"""Prepare the delivery renditions of audio files: queue them for the workers, or run them here with a
progress bar. ``--missing`` is what upgrading a site needs (docs/operators.md)."""

from django.core.management.base import CommandError

from episodes.delivery.preparing import (
    enabled,
    request_deliveries,
    requeue_stale,
    run_delivery,
    try_again,
)
from episodes.models import AudioFile, AudioRendition
from operations.management.queue_or_run import QueueOrRunCommand, RunFailed


class Command(QueueOrRunCommand):
    help = (
        "Prepare the renditions listeners get (the MP3, and the M4A or Opus their shows ask for), for audio "
        "files by their ids (failed ones are tried again) or for those missing a rendition of their present "
        "content (--missing). Queues them on the 'delivery' queue, or with --sync runs them here."
    )
    what = "rendition"

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, metavar="ID", help="AudioFile ids")
        parser.add_argument("--missing", action="store_true", help="audio without a current rendition")
        parser.add_argument("--sync", action="store_true", help="run here instead of queueing")

    def handle(self, *args, ids, missing, sync, verbosity, **options):
        if not (ids or missing):
            raise CommandError("Name audio file ids, or use --missing.")
        if not enabled():
            raise CommandError("Audio delivery is off (DELIVERY_ENABLED); nothing to prepare.")
        for pk in requeue_stale():
            self.stdout.write(f"Queued again (its worker stopped): rendition {pk}")
        audio = AudioFile.objects.order_by("pk")
        if ids:
            audio = self.by_ids(audio, ids)
        self.named = bool(ids)
        self.queue_or_run(audio, sync=sync, verbosity=verbosity)

    def request(self, item, *, enqueue):
        # With ids, failed renditions are made again (the ready ones are left as they are); without
        # (--missing) only what is missing is queued: failed ones wait for an editor's *Try again*.
        return (try_again if self.named else request_deliveries)(item, enqueue=enqueue)

    def note(self, row):
        return f" ({row.get_format_display()})"

    def run(self, row, progress):
        done = run_delivery(row.pk, progress=progress)
        if done is None:
            return None
        if done.status == AudioRendition.FAILED:
            raise RunFailed(done.error)
        return f"{done.bitrate // 1000} kbit/s, {done.size} bytes, {done.get_format_display()}"
