"""Transcribe audio files: queue them for the workers, or run them here with a progress bar."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from episodes.models import AudioFile
from transcripts.models import Transcript
from transcripts.transcribing import request_transcription, requeue_stale, run_transcription


class Command(BaseCommand):
    help = (
        "Transcribe audio files by their ids, all of them (--all) or those without a transcript of their "
        "present content (--missing). Queues them for the workers, or with --sync runs them here. A "
        "transcript an editor corrected is only redone with --force."
    )

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
            audio = audio.filter(pk__in=ids)
            unknown = set(ids) - set(audio.values_list("pk", flat=True))
            if unknown:
                raise CommandError(f"No audio file with id {', '.join(map(str, sorted(unknown)))}.")
        elif missing:
            audio = audio.exclude(pk__in=Transcript.objects.current().values("audio_id"))
        failed = 0
        for item in audio:
            transcript = request_transcription(item, force=force, enqueue=not sync)
            if transcript.status != Transcript.QUEUED:
                if verbosity > 1:
                    self.stdout.write(f"{item}: {transcript.get_status_display().lower()}, left as it is")
                continue
            if not sync:
                self.stdout.write(f"Queued: {item}")
                continue
            failed += not self._run(item, transcript, verbosity)
        if failed:
            raise CommandError(f"{failed} transcription(s) failed; see the messages above.")

    def _run(self, item, transcript, verbosity) -> bool:
        with tqdm(total=100, desc=str(item)[:40], unit="%", disable=verbosity == 0) as bar:

            def progress(fraction):
                bar.update(round(fraction * 100) - bar.n)

            try:
                done = run_transcription(transcript.pk, progress=progress)
            except Exception as exc:
                self.stderr.write(f"Failed: {item}: {exc}")
                return False
        if done is not None:
            self.stdout.write(f"Done: {item} ({done.segments.count()} segments)")
        return True
