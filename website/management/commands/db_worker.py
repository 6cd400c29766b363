"""``manage.py db_worker``: django-tasks-db's worker, with its options and behaviour, that outlives the
database going away under it.

django-tasks-db's own worker (0.13) reconnects only when the connection has died while it slept between
two looks for work, and only with CONN_HEALTH_CHECKS. When the database restarts or fails over, a proxy
or firewall cuts the connection, or an SQLite file stays locked for longer than the timeout, while a task
runs, recording the task's result fails, recording that failure fails too, and the worker exits with a
traceback, leaving the task RUNNING for ever: the work was done, nothing says so, and nothing runs it
again. Its main loop exits the same way when the database cannot be reached.

This command replaces it under the same name (the ``website`` app comes before ``django_tasks_db`` in
INSTALLED_APPS), so the Procfile, the systemd units and the docs keep ``manage.py db_worker``. It adds:

- a task's result (successful or failed) is recorded again on a fresh connection until the database
  answers: the task itself is not run again;
- when looking for work fails on the database, the worker logs it, waits and looks again.

Both wait a little longer each time, up to ``RECONNECT_MAX_DELAY`` seconds between attempts. Errors that
are not about reaching the database (a missing table, say) still stop the worker.
"""

import logging
import time

from django.db import InterfaceError, OperationalError, connections
from django_tasks_db.management.commands import db_worker

logger = logging.getLogger("django_tasks_db.reconnect")  # shown by db_worker's own log handler

# Connection refused, closed or reset, server shutting down, SQLite's "database is locked".
DATABASE_UNREACHABLE = (OperationalError, InterfaceError)
RECONNECT_FIRST_DELAY = 0.5  # seconds
RECONNECT_MAX_DELAY = 10.0


def delays():
    delay = RECONNECT_FIRST_DELAY
    while True:
        yield delay
        delay = min(delay * 2, RECONNECT_MAX_DELAY)


def reconnect(error: Exception, what: str, delay: float) -> None:
    logger.warning("The database did not answer while %s (%s); trying again in %.1f s", what, error, delay)
    connections.close_all()  # the next query opens a new connection
    time.sleep(delay)


class Worker(db_worker.Worker):
    def run(self) -> None:
        waits, last_failure = delays(), 0.0
        while True:
            try:
                return super().run()
            except DATABASE_UNREACHABLE as error:
                if not self.running:  # asked to stop meanwhile
                    raise
                if time.monotonic() - last_failure > 2 * RECONNECT_MAX_DELAY:
                    waits = delays()  # a new outage: start again with a short wait
                reconnect(error, "looking for work", next(waits))
                last_failure = time.monotonic()
                self.startup_delay = False  # started already

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
            for delay in delays():
                try:
                    return record(*args, **kwargs)
                except DATABASE_UNREACHABLE as error:
                    reconnect(error, f"recording the result of task {db_task_result.id}", delay)

        return until_recorded


class Command(db_worker.Command):
    help = db_worker.Command.help + " (reconnecting when the database goes away)"

    def handle(self, *args, **options):
        db_worker.Worker, original = Worker, db_worker.Worker  # handle() builds its Worker by this name
        try:
            super().handle(*args, **options)
        finally:
            db_worker.Worker = original
