"""Which task queue is in use, asked in one place: the database queue (django-tasks-db, the default) or
RQ on Redis (django-tasks-rq, ``TASKS_BACKEND=rq``). Health (``operations.health``), the scheduler's
recovery of lost work and the admin's "processing is delayed" note ask here, never a backend directly.

The rows the apps keep (a Transcript, an AudioRendition: QUEUED, RUNNING, ...) are the truth about work;
the queue only carries it. ``unfinished_args`` says which of a task's jobs the queue still holds, so that
``leases.requeue_lost`` can queue again what the queue lost (Redis was down when the job was queued, or
restarted without persistence), and ``running`` which jobs it believes are running, so that recovery can
mark failed those whose worker died.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

DATABASE, RQ, OTHER = "database", "rq", "other"


def kind(alias: str = "default") -> str:
    """``"database"``, ``"rq"`` or ``"other"`` (the immediate backend of the tests, say) for the backend
    ``alias``."""
    backend = settings.TASKS.get(alias, {}).get("BACKEND", "")
    if backend.endswith("RQBackend"):
        return RQ
    if backend.endswith("DatabaseBackend"):
        return DATABASE
    return OTHER


@dataclass
class Running:
    """A job the queue holds as running: its id, arguments, start and workers; ``fail(error)`` records it
    failed with ``error`` (the way the backend's own worker records a failure)."""

    id: str
    args: list
    kwargs: dict
    started_at: datetime | None
    worker_ids: list[str]
    fail: object

    @property
    def first_arg(self):
        return self.args[0] if self.args else next(iter(self.kwargs.values()), None)


def _module():
    from . import database, rq

    return {DATABASE: database, RQ: rq}.get(kind())


def report(queue_names: list[str] | None = None) -> dict:
    """Jobs waiting (ready to run now), the oldest one's wait in seconds, jobs running; overall and per
    queue. Raises when the queue cannot be read (Redis down, the tables missing)."""
    module = _module() or _module_for_database()
    return module.report(queue_names)


def workers() -> dict:
    """What the queue knows of its workers (busy, alive, when a job last finished)."""
    module = _module() or _module_for_database()
    return module.workers()


def _module_for_database():
    from . import database

    return database


def reachable() -> bool:
    """Whether the queue takes jobs now: Redis answers (RQ); always for the database queue, which is the
    site's own database."""
    module = _module()
    return module.reachable() if module is not None else True


def unfinished_args(task) -> set | None:
    """The first arguments of ``task``'s jobs that the queue holds and has not finished (waiting, held
    back until later, running); None when the backend cannot tell (the immediate backend)."""
    module = _module()
    return module.unfinished_args(task) if module is not None else None


def running(task) -> list[Running]:
    """``task``'s jobs the queue holds as running, as ``Running``."""
    module = _module()
    return module.running(task) if module is not None else []
