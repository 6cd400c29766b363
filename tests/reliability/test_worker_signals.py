"""SIGTERM to `db_worker` at the awkward moments, with the worker run in this process (the signal can be
raised at an exact point of its loop): just after it has claimed a task, before the task starts, and while
it waits for work. A SIGTERM in the middle of a task is in test_sigterm.py, with a real process."""

import os
import signal
import threading

import pytest
from django_tasks_db.models import DBTaskResult

from operations.management.commands.db_worker import Worker

from .tasks import record_run, runs

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def worker(cls=Worker, **options) -> Worker:
    return cls(
        **{
            "queue_names": ["*"],
            "interval": 0.2,
            "batch": False,
            "backend_name": "default",
            "startup_delay": False,
            "max_tasks": None,
            "worker_id": "in-process",
            "excluded_queue_names": [],
        }
        | options
    )


def run_with_signals(worker: Worker) -> None:
    """``worker.run()`` with the worker's signal handlers, as `manage.py db_worker` installs them; this
    process' own handlers are put back afterwards."""
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    worker.configure_signals()
    try:
        worker.run()
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def test_sigterm_just_after_a_claim_runs_the_claimed_task_then_stops(database_queue, tmp_path):
    """django-tasks-db's worker exits at once here (no task is running yet), leaving the task it has just
    committed as RUNNING for ever: nothing would run it again."""
    log = tmp_path / "runs.log"
    first, second = record_run.enqueue(str(log), 1), record_run.enqueue(str(log), 2)

    class SignalledAfterClaim(Worker):
        def run_task(self, db_task_result):
            signal.raise_signal(signal.SIGTERM)  # the claim is committed; the task has not started
            super().run_task(db_task_result)

    signalled = worker(SignalledAfterClaim)
    run_with_signals(signalled)

    assert runs(log) == [1]
    assert DBTaskResult.objects.get(pk=first.id).status == "SUCCESSFUL"
    assert DBTaskResult.objects.get(pk=second.id).status == "READY", "the worker stopped after one task"
    assert not signalled.running


def test_sigterm_while_waiting_for_work_stops_the_worker(database_queue):
    """The worker stops after its current sleep (no SystemExit: ``run()`` returns). Were it to go on, the
    second SIGTERM, ten seconds later, forces it out with SystemExit and the test fails."""
    idle = worker(interval=0.5)
    timers = [threading.Timer(delay, os.kill, (os.getpid(), signal.SIGTERM)) for delay in (1.0, 10.0)]
    for timer in timers:
        timer.start()
    try:
        run_with_signals(idle)
    finally:
        for timer in timers:
            timer.cancel()
    assert not idle.running
    assert not DBTaskResult.objects.exists()
