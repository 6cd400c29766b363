"""``manage.py refresh_user_agents PATH``: replace the OPAWG user-agent patterns in analytics/data/ with a
downloaded copy, after checking it (see analytics/data/README.md). Thin: the checks are
``analytics.useragents.install_folder``."""

from __future__ import annotations

import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from analytics.useragents import PatternsError, data_dir, install_folder


class Command(BaseCommand):
    help = (
        "Replace the OPAWG user-agent patterns (ANALYTICS_USER_AGENTS_DIR, else analytics/data/) with those "
        "of a downloaded copy of github.com/opawg/user-agents-v2 (its src/ folder, or the repository's "
        "root), after checking them."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the downloaded src/ folder (or the repository holding it)")
        parser.add_argument("--commit", default="", help="the upstream commit, written into data/README.md")

    def handle(self, *args, path, commit, **options):
        if commit and not re.fullmatch(r"[0-9a-f]{7,40}", commit):
            raise CommandError(f"--commit {commit[:50]!r} is not a git commit hash")
        source = Path(path)
        if (source / "src").is_dir():
            source = source / "src"
        if not source.is_dir():
            raise CommandError(f"{path} is not a folder")
        try:
            counts = install_folder(source, data_dir(), commit=commit)
        except PatternsError as error:
            raise CommandError(f"Nothing was replaced: {error}") from None
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"User-agent patterns replaced: {summary}."))
        self.stdout.write("Restart the web processes to use them.")
