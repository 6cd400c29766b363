from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.loader import DemoError, load_demo
from demo.login import access_lines, ensure_demo_admin
from demo.synthesis import SynthesisError, make_demo_audio
from episodes.audioinfo import AudioError


class Command(BaseCommand):
    help = (
        "Load the demo show, episodes, interview and feedback form, and make sure the demo administrator "
        "exists. Idempotent. Development only: it refuses to run with DEBUG off unless --force is given."
    )

    def add_arguments(self, parser):
        only = parser.add_mutually_exclusive_group()
        only.add_argument(
            "--login-only",
            action="store_true",
            help="Only make sure the demo administrator exists, then print the URLs and the login.",
        )
        only.add_argument(
            "--make-audio-only",
            action="store_true",
            help="Only speak the demo scripts again into demo/audio/ (needs espeak-ng and ffmpeg).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run although DEBUG is off. Never on a public site: this creates an administrator.",
        )
        parser.add_argument(
            "--login-file",
            type=Path,
            default=Path(settings.BASE_DIR) / ".demo-login",
            help="Where the demo password is kept (default: .demo-login in the project root).",
        )

    def handle(self, *args, **options):
        if options["make_audio_only"]:
            # Writes files in the repository and nothing in the database: no DEBUG guard needed.
            try:
                make_demo_audio(log=self.stdout.write)
            except SynthesisError as exc:
                raise CommandError(str(exc)) from exc
            return

        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "load_demo creates an administrator whose password is stored in a file, so it only runs "
                "with DEBUG on (the development settings). If this database is not a public site, add "
                "--force."
            )
        user, login = ensure_demo_admin(options["login_file"], log=self.stdout.write)
        if not options["login_only"]:
            try:
                load_demo(user=user, log=self.stdout.write)
            except (DemoError, AudioError) as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write("")
        for line in access_lines(login):
            self.stdout.write(self.style.SUCCESS(line))
