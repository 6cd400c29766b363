"""``manage.py db_worker``: django-tasks-db's worker, with its options and behaviour, that outlives the
database going away under it.

django-tasks-db's own worker (0.13) reconnects only when the connection has died while it slept between
two looks for work, and only with CONN_HEALTH_CHECKS. When the database restarts or fails over, a proxy
or firewall cuts the connection, or an SQLite file stays locked for longer than the timeout, while a task
runs, recording the task's result fails, recording that failure fails too, and the worker exits with a
traceback, leaving the task RUNNING for ever: the work was done, nothing says so, and nothing runs it
again. Its main loop exits the same way when the database cannot be reached.

This command replaces it under the same name (the ``operations`` app comes before ``django_tasks_db`` in
INSTALLED_APPS), so the Procfile, the systemd units and the docs keep ``manage.py db_worker``. It adds:

- a task's result (successful or failed) is recorded again on a fresh connection until the database
  answers: the task itself is not run again;
- when looking for work fails on the database, the worker logs it, waits and looks again.

Both wait a little longer each time, up to ten seconds between attempts (operations/reconnecting.py). Errors
that are not about reaching the database (a missing table, say) still stop the worker.

And a first SIGTERM (a deploy, ``systemctl stop``) always lets the worker finish the task it has claimed:
see ``Worker.shutdown``.
"""

import logging
import signal
import time

from django_tasks_db.management.commands import db_worker

from operations.reconnecting import DATABASE_UNREACHABLE, MAX_DELAY, delays, reconnect, retrying

logger = logging.getLogger("django_tasks_db.reconnect")  # shown by db_worker's own log handler


class Worker(db_worker.Worker):
    def run(self) -> None:
        waits, last_failure = delays(), 0.0
        while self.running:
            try:
                return super().run()
            except DATABASE_UNREACHABLE as error:
                if not self.running:  # asked to stop meanwhile
                    raise
                if time.monotonic() - last_failure > 2 * MAX_DELAY:
                    waits = delays()  # a new outage: start again with a short wait
                reconnect(error, "looking for work", next(waits), logger)
                last_failure = time.monotonic()
                self.startup_delay = False  # started already

    def shutdown(self, signum: int, frame) -> None:
        """The first SIGTERM or SIGINT lets the loop finish its turn and stop; the second kills the task.

        django-tasks-db's worker exits at once on the first signal unless a task is running, which leaves
        a task it has just claimed (committed as RUNNING, not yet started) RUNNING for ever. Here the loop
        runs that task and then stops; a worker waiting for work stops after its ``--interval`` sleep."""
        if not self.running:
            return super().shutdown(signum, frame)
        logger.warning(
            "Received %s - shutting down gracefully... (press Ctrl+C again to force)",
            signal.strsignal(signum),
        )
        self.running = False

    def run_task(self, db_task_result) -> None:
        for name in ("set_successful", "set_failed"):
            setattr(db_task_result, name, self._until_recorded(getattr(db_task_result, name), db_task_result))
        super().run_task(db_task_result)

    @staticmethod
    def _until_recorded(record, db_task_result):
        """``record`` (the result's ``set_successful`` or ``set_failed``), tried again until the database
        answers. Saving the same status and return value twice is harmless, so a write that reached the
        database before the connection broke may well be written again."""

        def until_recorded(*args, **kwargs):
            what = f"recording the result of task {db_task_result.id}"
            return retrying(lambda: record(*args, **kwargs), what, log=logger)

        return until_recorded


class Command(db_worker.Command):
    help = db_worker.Command.help + " (reconnecting when the database goes away)"

    def handle(self, *args, **options):
        db_worker.Worker, original = Worker, db_worker.Worker  # handle() builds its Worker by this name
        try:
            super().handle(*args, **options)
        finally:
            db_worker.Worker = original
