"""The outbox: tasks the queue did not take, kept in the site's database until the scheduler sends them.

With ``TASKS_BACKEND=rq`` a task is queued on Redis after the transaction that asked for it has committed.
When Redis does not answer then, the backend (``queues.rq.RQBackend``) does not fail the request: it
keeps the task here (``keep``), a ``PendingTask`` row in the same database as the work it is about. The
scheduler's ``send_pending`` queues the rows again, oldest first, through the backend's own ``send`` (which
raises instead of keeping), and deletes each row once the queue took it; a row the queue still refuses stays,
with one more attempt, the error and a later time to try again.

Every kind of task is kept, those whose work is also recovered from their own rows included (transcription
and audio renditions: ``leases.requeue_lost``): one rule for all, and the outbox sends them before
``requeue_lost`` looks, which then finds the job held. When both do queue one, the second job finds its row
claimed and does nothing (``leases.claim``).

Delivery is at least once: a row whose job was queued just before the scheduler died is sent again. The
tasks are written for that (linking, indexing, claims are idempotent).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import DatabaseError, transaction
from django.db.models import Count, Min
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import PendingTask

logger = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 1000  # characters of an error kept on a row: the class and the start of its message
BATCH = 100  # rows one round sends at most; the rest wait for the next round
FIRST_DELAY = timedelta(seconds=30)  # after a refused attempt; doubled after each one, up to MAX_DELAY
MAX_DELAY = timedelta(minutes=5)


def error_text(error: BaseException) -> str:
    """``error`` as stored: its class and message, cut to ``MAX_ERROR_LENGTH``, without NUL (which
    PostgreSQL's text refuses): an error's text is not ours to trust."""
    text = f"{type(error).__name__}: {error}".replace("\x00", "")
    return text[:MAX_ERROR_LENGTH]


def keep(task, args, kwargs, error: BaseException) -> PendingTask | None:
    """Keep ``task(*args, **kwargs)``, which the queue refused with ``error``, for the scheduler to send
    again. Returns the row, or None when it could not be kept (the arguments are not JSON, the database
    refused the row): logged, and the task is lost as it was before the outbox."""
    from django_tasks.utils import normalize_json

    try:
        args, kwargs = normalize_json(list(args)), normalize_json(dict(kwargs))
    except (TypeError, ValueError) as bad:
        logger.error("Task %s not kept for later: its arguments are not JSON (%s)", task.module_path, bad)
        return None
    try:
        # A savepoint: a row refused here must not break a transaction the caller is in.
        with transaction.atomic():
            return PendingTask.objects.create(
                task_path=task.module_path,
                backend=task.backend,
                queue_name=task.queue_name,
                priority=task.priority,
                run_after=task.run_after,
                args=args,
                kwargs=kwargs,
                attempts=1,
                last_error=error_text(error),
                next_try_at=timezone.now(),
            )
    except DatabaseError:
        logger.exception("Task %s%r could not be kept for later: it is lost", task.module_path, tuple(args))
        return None


def _send(row: PendingTask):
    """Queue ``row``'s task through its backend, raising when the queue does not take it."""
    from django_tasks.base import Task

    task = import_string(row.task_path)
    if not isinstance(task, Task):
        raise TypeError(f"{row.task_path} is not a task")
    task = task.using(
        queue_name=row.queue_name, priority=row.priority, run_after=row.run_after, backend=row.backend
    )
    backend = task.get_backend()
    # The RQ backend's ``send`` raises when Redis refuses; its ``enqueue`` would keep a second row. Any
    # other backend (the site moved back to the database queue) raises from ``enqueue``.
    send = getattr(backend, "send", backend.enqueue)
    return send(task, row.args, row.kwargs)


def _delay(attempts: int) -> timedelta:
    return min(FIRST_DELAY * 2 ** max(0, attempts - 1), MAX_DELAY)


def send_pending(limit: int = BATCH) -> dict:
    """The scheduler's job: send the due pending tasks, oldest first, at most ``limit``; delete each one
    the queue took. A task it refuses stays with one more attempt and a later try; when the queue does not
    answer at all the round stops there (the next rows would only wait for the same time-out).

    Rows are locked for the round with ``SKIP LOCKED`` on PostgreSQL, so that two schedulers send each row
    once; SQLite takes the database's write lock when the transaction begins (``transaction_mode``
    IMMEDIATE), so there the second scheduler waits and then finds the rows gone. Returns the counts."""
    from . import queues

    sent, refused = [], 0
    now = timezone.now()
    if not PendingTask.objects.filter(next_try_at__lte=now).exists():
        # The usual round: nothing due, and no write lock taken (SQLite's transactions take one at once).
        return {"sent": 0, "refused": 0, "pending": PendingTask.objects.count()}
    with transaction.atomic():
        due = (
            PendingTask.objects.filter(next_try_at__lte=now)
            .order_by("created_at", "pk")
            .select_for_update(skip_locked=True)[:limit]
        )
        for row in due:
            try:
                with transaction.atomic():  # a backend that writes (the database queue) fails alone
                    _send(row)
            except Exception as error:
                refused += 1
                row.attempts += 1
                row.last_error = error_text(error)
                row.next_try_at = timezone.now() + _delay(row.attempts)
                row.save(update_fields=["attempts", "last_error", "next_try_at"])
                logger.warning(
                    "Pending task %s %s%r not sent (attempt %d): %s; trying again after %s",
                    row.pk, row.task_path, tuple(row.args), row.attempts, row.last_error,
                    row.next_try_at.isoformat(timespec="seconds"),
                )  # fmt: skip
                if not queues.reachable():
                    break
            else:
                sent.append(row.pk)
        PendingTask.objects.filter(pk__in=sent).delete()
    left = PendingTask.objects.count()
    if sent or refused:
        logger.info("Sent %d pending tasks to the queue; %d refused, %d pending", len(sent), refused, left)
    return {"sent": len(sent), "refused": refused, "pending": left}


def report() -> dict:
    """For health: how many tasks wait in the outbox, and how long the oldest has waited (seconds)."""
    figures = PendingTask.objects.aggregate(pending=Count("pk"), oldest=Min("created_at"))
    oldest = figures["oldest"]
    age = None if oldest is None else max(0, round((timezone.now() - oldest).total_seconds()))
    return {"pending": figures["pending"], "oldest_pending_seconds": age}
