"""``manage.py whisper_models``: which packaged Whisper models are installed; ``--prepare NAME`` joins and
loads one now (``make install-models`` runs it), so that a damaged install shows at install time, not on
the first episode."""

from django.core.management.base import BaseCommand, CommandError

from transcripts.engines import EngineError, packaged


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument(
            "--prepare", metavar="NAME", choices=sorted(packaged.MODELS), help="join and load this model now"
        )

    def handle(self, *args, prepare, **options):
        if prepare:
            from faster_whisper import WhisperModel

            try:
                path = packaged.resolve(prepare)
                WhisperModel(path, device="cpu", compute_type="int8", local_files_only=True)
            except (EngineError, RuntimeError, ValueError) as error:
                raise CommandError(str(error)) from error
            self.stdout.write(f"{prepare}: ready in {path}. Use it with TRANSCRIPTION_MODEL={prepare}.")
            return
        for name, present in packaged.installed().items():
            model = packaged.MODELS[name]
            languages = "multilingual" if model.multilingual else "English only"
            state = "installed" if present else f"not installed ({model.install_hint})"
            self.stdout.write(f"{name:8} {languages:13} {', '.join(model.packages)}: {state}")
