"""Transcribe audio files: queue them for the workers, or run them here with a progress bar."""

from django.core.management.base import CommandError

from episodes.models import AudioFile
from operations.management.queue_or_run import QueueOrRunCommand
from transcripts.models import Transcript
from transcripts.transcribing import request_transcription, requeue_stale, run_transcription


class Command(QueueOrRunCommand):
    help = (
        "Transcribe audio files by their ids, all of them (--all) or those without a transcript of their "
        "present content (--missing). Queues them for the workers, or with --sync runs them here. A "
        "transcript an editor corrected is only redone with --force."
    )
    what = "transcription"

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, metavar="ID", help="AudioFile ids")
        parser.add_argument("--all", action="store_true", dest="every", help="every audio file")
        parser.add_argument("--missing", action="store_true", help="audio without a current transcript")
        parser.add_argument("--sync", action="store_true", help="run here instead of queueing")
        parser.add_argument("--force", action="store_true", help="redo even corrected or current transcripts")

    def handle(self, *args, ids, every, missing, sync, force, verbosity, **options):
        if not (ids or every or missing):
            raise CommandError("Name audio file ids, or use --all or --missing.")
        for pk in requeue_stale():
            self.stdout.write(f"Queued again (its worker stopped): transcript {pk}")
        audio = AudioFile.objects.order_by("pk")
        if ids:
            audio = self.by_ids(audio, ids)
        elif missing:
            audio = audio.exclude(pk__in=Transcript.objects.finished().values("audio_id"))
        self.force = force
        self.queue_or_run(audio, sync=sync, verbosity=verbosity)

    def request(self, item, *, enqueue):
        return request_transcription(item, force=self.force, enqueue=enqueue)

    def run(self, row, progress):
        done = run_transcription(row.pk, progress=progress)
        return None if done is None else f"{done.segments.count()} segments"
