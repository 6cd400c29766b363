"""Run the periodic jobs: ``manage.py scheduler`` (one process beside the web and worker processes) or
``manage.py scheduler --once`` (from cron).

The task queue's database backend has no lease or retry (django-tasks issue #46): a worker killed mid-task
leaves its task RUNNING and nothing picks the work up again until something looks. This process looks,
every SCHEDULER_INTERVAL_SECONDS (keep it well under TRANSCRIPTION_LEASE_SECONDS), and tidies the queue.
It also runs Wagtail's scheduled publishing, so a page goes live (or expires) within that interval of its
time: rounds start at a steady pace, whatever the jobs take.
Each job logs what it did; a job that fails (the database restarting, say) is logged and tried again next
round, and one job's failure does not stop the others.
"""

import logging
import signal
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def prune_task_results() -> None:
    """Delete finished task results older than TASK_RESULT_RETENTION_DAYS (default 14) from every
    database task backend, with django-tasks-db's own ``prune_db_task_results`` (which logs the count)."""
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    days = getattr(settings, "TASK_RESULT_RETENTION_DAYS", 14)
    for backend in task_backends.all():
        if isinstance(backend, DatabaseBackend):
            # As command-line arguments: call_command would not convert --backend from a name otherwise.
            call_command(
                "prune_db_task_results", "--backend", backend.alias, "--queue-name", "*",
                "--min-age-days", str(days),
            )  # fmt: skip


class _Stop(BaseException):
    """Raised by the signal handler to leave the loop (a BaseException, so no job's handler catches it)."""


class Command(BaseCommand):
    help = (
        "Run the periodic jobs (publish and expire scheduled pages, send the tasks Redis refused, re-queue "
        "transcriptions whose worker died, mark their task results failed, prune old task results) every "
        "SCHEDULER_INTERVAL_SECONDS until stopped, or once with --once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every job once and exit")
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="seconds between rounds (default: the SCHEDULER_INTERVAL_SECONDS setting, or 60)",
        )

    def handle(self, *args, once, interval, **options):
        if interval is None:
            interval = float(getattr(settings, "SCHEDULER_INTERVAL_SECONDS", 60))
        if interval <= 0:
            raise CommandError("--interval must be more than 0 seconds.")
        jobs = [
            (path.rsplit(".", 1)[1], import_string(path), every) for path, every in settings.SCHEDULED_JOBS
        ]
        self.stopping = self.in_round = False
        self.signal_name = ""
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)

        if not once:
            logger.info("Scheduler started: %s every %g s", ", ".join(name for name, *_ in jobs), interval)
            # Read from the setting, not from the transcripts app: this app imports none above it.
            lease = settings.TRANSCRIPTION_LEASE_SECONDS
            if interval >= lease:
                logger.warning(
                    "SCHEDULER_INTERVAL_SECONDS (%g) is not shorter than TRANSCRIPTION_LEASE_SECONDS (%s): "
                    "work of a dead worker waits longer than it needs to.",
                    interval,
                    lease,
                )
        last_run: dict[str, float] = {}
        failed = []
        try:
            while True:
                self.in_round = True
                started = time.monotonic()
                failed = self.run_round(jobs, last_run)
                self.in_round = False
                if once or self.stopping:
                    break
                # Rounds start every `interval` seconds, however long the jobs took: a scheduled go-live
                # is published within one interval of its time, not one interval plus the jobs' time.
                time.sleep(max(0.0, interval - (time.monotonic() - started)))
        except _Stop:
            pass
        if not once:
            logger.info("Scheduler stopped%s", f" ({self.signal_name})" if self.signal_name else "")
        if once and failed:
            raise CommandError(f"Failed: {', '.join(failed)}; see the log above.")

    def run_round(self, jobs, last_run: dict[str, float]) -> list[str]:
        """Run the jobs that are due; returns the names of those that failed."""
        failed = []
        for name, job, every in jobs:
            now = time.monotonic()
            if every and name in last_run and now - last_run[name] < every:
                continue
            # A connection that broke in the last round (a database restart) is replaced here.
            close_old_connections()
            try:
                job()
            except Exception:
                failed.append(name)
                logger.exception("Periodic job %s failed; it runs again next round", name)
            else:
                last_run[name] = now
            finally:
                close_old_connections()
        return failed

    def _stop(self, signum, frame):
        # A second signal stops at once; the first lets the round in progress finish.
        self.signal_name = signal.Signals(signum).name
        if self.stopping or not self.in_round:
            raise _Stop
        self.stopping = True
