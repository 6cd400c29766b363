"""The shape shared by the commands that make something for audio files in the background (``transcribe``,
``prepare_audio``): pick the files by id (naming any unknown id), then for each one either queue the work
for the workers or, with ``--sync``, run it here with a progress bar; fail at the end if any run failed."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Model, QuerySet
from tqdm import tqdm


class RunFailed(Exception):
    """A run in the foreground failed; the message is the reason, printed after the item."""


class QueueOrRunCommand(BaseCommand):
    """Subclasses say how to ask for the work (``request``) and how to run it here (``run``)."""

    what = "job"  # in "N job(s) failed"

    def request(self, item: Model, *, enqueue: bool) -> Model | list[Model] | None:
        """Ask for the work on ``item``, queued for the workers when ``enqueue``: a row with ``status`` and
        ``QUEUED`` (or a list of them, e.g. one per file format); None or a row not QUEUED means there is
        nothing to do."""
        raise NotImplementedError

    def note(self, row: Model) -> str:
        """What follows "Queued: item" for ``row`` (e.g. which of the item's files); nothing by default."""
        return ""

    def run(self, row: Model, progress: Callable[[float], None]) -> str | None:
        """Run the queued work here; return what to print after "Done: item", None when another worker
        took it, or raise (``RunFailed`` with the reason) when it failed."""
        raise NotImplementedError

    def by_ids(self, queryset: QuerySet, ids: list[int]) -> QuerySet:
        """``queryset`` restricted to ``ids``; a ``CommandError`` names the ids that match nothing."""
        queryset = queryset.filter(pk__in=ids)
        unknown = set(ids) - set(queryset.values_list("pk", flat=True))
        if unknown:
            raise CommandError(f"No audio file with id {', '.join(map(str, sorted(unknown)))}.")
        return queryset

    def queue_or_run(self, items: Iterable[Model], *, sync: bool, verbosity: int) -> None:
        failed = 0
        for item in items:
            requested = self.request(item, enqueue=not sync)
            rows = requested if isinstance(requested, list) else [] if requested is None else [requested]
            for row in rows:
                if row.status != row.QUEUED:
                    if verbosity > 1:
                        self.stdout.write(f"{item}: {row.get_status_display().lower()}, left as it is")
                    continue
                if not sync:
                    self.stdout.write(f"Queued: {item}{self.note(row)}")
                    continue
                failed += not self._run_here(item, row, verbosity)
        if failed:
            raise CommandError(f"{failed} {self.what}(s) failed; see the messages above.")

    def _run_here(self, item: Model, row: Model, verbosity: int) -> bool:
        with tqdm(total=100, desc=str(item)[:40], unit="%", disable=verbosity == 0) as bar:

            def progress(fraction: float) -> None:
                bar.update(round(fraction * 100) - bar.n)

            try:
                done = self.run(row, progress)
            except Exception as error:  # RunFailed, or whatever the run raised: its reason, then the next
                self.stderr.write(f"Failed: {item}: {error}")
                return False
        if done is not None:
            self.stdout.write(f"Done: {item} ({done})")
        return True
