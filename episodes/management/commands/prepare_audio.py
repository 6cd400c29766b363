"""Prepare the delivery renditions of audio files: queue them for the workers, or run them here with a
progress bar. ``--missing`` is what upgrading a site needs (docs/operators.md)."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from episodes.delivery.preparing import (
    enabled,
    request_deliveries,
    requeue_stale,
    retry_failed,
    run_delivery,
)
from episodes.models import AudioFile, AudioRendition


class Command(BaseCommand):
    help = (
        "Prepare the renditions listeners get (the MP3, and the M4A or Opus their shows ask for), for audio "
        "files by their ids (failed ones are tried again) or for those missing a rendition of their present "
        "content (--missing). Queues them on the 'delivery' queue, or with --sync runs them here."
    )

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
            audio = audio.filter(pk__in=ids)
            unknown = set(ids) - set(audio.values_list("pk", flat=True))
            if unknown:
                raise CommandError(f"No audio file with id {', '.join(map(str, sorted(unknown)))}.")
        failed = 0
        for item in audio:
            # With ids, failed renditions are made again (the ready ones are left as they are); without
            # (--missing) only what is missing is queued: failed ones wait for an editor's *Try again*.
            requested = (retry_failed if ids else request_deliveries)(item, enqueue=not sync)
            queued = [rendition for rendition in requested if rendition.status == AudioRendition.QUEUED]
            if not queued:
                if verbosity > 1:
                    self.stdout.write(f"{item}: nothing to prepare, left as it is")
                continue
            for rendition in queued:
                if not sync:
                    self.stdout.write(f"Queued: {item} ({rendition.get_format_display()})")
                    continue
                failed += not self._run(item, rendition, verbosity)
        if failed:
            raise CommandError(f"{failed} rendition(s) failed; see the messages above.")

    def _run(self, item, rendition, verbosity) -> bool:
        with tqdm(total=100, desc=str(item)[:40], unit="%", disable=verbosity == 0) as bar:

            def progress(fraction):
                bar.update(round(fraction * 100) - bar.n)

            done = run_delivery(rendition.pk, progress=progress)
        if done is None:
            return True
        if done.status == AudioRendition.FAILED:
            self.stderr.write(f"Failed: {item}: {done.error}")
            return False
        self.stdout.write(
            f"Done: {item} ({done.bitrate // 1000} kbit/s, {done.size} bytes, {done.get_format_display()})"
        )
        return True
