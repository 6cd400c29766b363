"""Prepare the delivery renditions of audio files: queue them for the workers, or run them here with a
progress bar. ``--missing`` is what upgrading a site needs (docs/operators.md)."""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import F
from tqdm import tqdm

from episodes.delivery.preparing import enabled, request_delivery, requeue_stale, run_delivery
from episodes.models import AudioFile, AudioRendition


class Command(BaseCommand):
    help = (
        "Prepare the MP3 rendition listeners get, for audio files by their ids (failed ones are tried "
        "again) or for those without a rendition of their present content (--missing). Queues them on the "
        "'delivery' queue, or with --sync runs them here."
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
        else:
            # A rendition of the present content, in any state: failed ones wait for an editor's *Try again*
            # (or this command with their ids).
            current = AudioRendition.objects.active().filter(master_sha256=F("audio__sha256"))
            audio = audio.exclude(pk__in=current.values("audio_id"))
        failed = 0
        for item in audio:
            current = item.renditions.active().filter(format=AudioRendition.MP3).first()
            retry = bool(ids) and current is not None and current.status == AudioRendition.FAILED
            rendition = request_delivery(item, force=retry, enqueue=not sync)
            if rendition.status != AudioRendition.QUEUED:
                if verbosity > 1:
                    self.stdout.write(f"{item}: {rendition.get_status_display().lower()}, left as it is")
                continue
            if not sync:
                self.stdout.write(f"Queued: {item}")
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
        self.stdout.write(f"Done: {item} ({done.bitrate // 1000} kbit/s, {done.size} bytes)")
        return True
