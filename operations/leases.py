"""Leases on long background work (a transcription, a delivery rendition): the run claims a row, beats a
heartbeat on it while alive, and the scheduler presumes a run dead once its heartbeat is older than the
lease. The database task backend has no lease of its own: a task whose worker died stays RUNNING for ever.

A row under lease has ``status`` (its model's QUEUED, RUNNING and FAILED), ``started_at``, ``heartbeat_at``,
``finished_at``, ``progress``, ``error`` and ``attempts``. A run owns it from its claim (QUEUED -> RUNNING,
stamped with ``started_at``) to its end, and every write of the run is conditional on that claim
(``Claim.rows``), so a run overtaken by something newer (a replaced file, an import, a newer run) writes
nothing and stops at its next progress report (``Superseded``). The apps keep their own rows and say what
a run does; this module holds what does not depend on which.

Heartbeats are written, and compared with the lease, in the database's time (``Now()``), never a
worker's: a worker on a machine whose clock is minutes slow would otherwise write heartbeats that look
stale at once, and a scheduler whose clock is fast would think live runs dead, and either way a live run
would be taken over.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Model, QuerySet
from django.db.models.functions import Now
from django.utils import timezone

from .reconnecting import DATABASE_UNREACHABLE, retrying

logger = logging.getLogger(__name__)


class Superseded(Exception):
    """The claimed row changed under a run (it was queued again, replaced or deleted): the run stops and
    writes nothing. A plain ``Exception``, so that code catching its own errors (an engine's) lets it by."""


@dataclass(frozen=True)
class Claim:
    """One run's hold on a row: it is RUNNING and was claimed at ``started_at`` (by this run)."""

    model: type[Model]
    pk: int
    started_at: datetime

    def rows(self) -> QuerySet:
        return self.model._default_manager.filter(
            pk=self.pk, status=self.model.RUNNING, started_at=self.started_at
        )


def claim(model: type[Model], pk: int, **also) -> Claim | None:
    """Take a QUEUED row for this run (QUEUED -> RUNNING, one more attempt, progress and error cleared, and
    ``also``), or None when another worker took it first or it is not queued."""
    now = timezone.now()
    claimed = model._default_manager.filter(pk=pk, status=model.QUEUED).update(
        status=model.RUNNING,
        started_at=now,  # the claim's token: only compared for equality
        heartbeat_at=Now(),
        finished_at=None,
        progress=0,
        error="",
        attempts=F("attempts") + 1,
        **also,
    )
    return Claim(model, pk, now) if claimed else None


def stale_before(lease_seconds: float):
    """The moment, in the database's time, before which a heartbeat is stale: for ``heartbeat_at__lt``."""
    return Now() - timedelta(seconds=lease_seconds)


def requeue_stale(
    rows: QuerySet,
    *,
    lease_seconds: float,
    max_attempts: int,
    enqueue: Callable[[int], object],
    gave_up: str,
    on_give_up: Callable[[int], object] | None = None,
    **give_up_fields,
) -> list[int]:
    """Queue again (``enqueue(pk)`` after commit) the RUNNING rows among ``rows`` whose heartbeat is older
    than the lease: their worker died (killed, machine lost). A row that has used ``max_attempts`` is
    marked FAILED with the reason ``gave_up`` (and ``give_up_fields``) instead, and ``on_give_up(pk)`` is
    told (e.g. to notify its editors). Returns the ids queued again."""
    model = rows.model
    stale = rows.filter(status=model.RUNNING, heartbeat_at__lt=stale_before(lease_seconds))
    for pk in stale.filter(attempts__gte=max_attempts).values_list("pk", flat=True):
        # One at a time, and only if still stale, so that each one given up is told once.
        given_up = stale.filter(pk=pk).update(
            status=model.FAILED, finished_at=timezone.now(), error=gave_up, **give_up_fields
        )
        if given_up and on_give_up is not None:
            on_give_up(pk)
    requeued = []
    for pk in stale.filter(attempts__lt=max_attempts).values_list("pk", flat=True):
        # Only if still stale: another process may have queued it again since the query.
        if stale.filter(pk=pk).update(status=model.QUEUED, queued_at=timezone.now()):
            requeued.append(pk)
            transaction.on_commit(lambda pk=pk: enqueue(pk))
    return requeued


@contextmanager
def heartbeat(rows: Callable[[], QuerySet], every: float, label: str) -> Iterator[None]:
    """Write ``heartbeat_at`` on ``rows()`` (the run's claim) every ``every`` seconds from a thread, for as
    long as the block runs: through stretches that report no progress (a model loading, a long stream
    copy, an upload to slow storage), so that only a dead worker's run goes stale. The thread has its own
    database connection, closed when it ends; a beat missed while the database restarts is logged and
    the next one reconnects. A claim that is gone (superseded) is simply not beaten: the run finds out
    itself at its next conditional write."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(every):
                try:
                    rows().update(heartbeat_at=Now())
                except DATABASE_UNREACHABLE as error:  # a restart: the next beat opens a new connection
                    logger.warning("Heartbeat of %s missed (%s)", label, error)
                    connection.close()
        finally:
            connection.close()  # the thread's own connection

    thread = threading.Thread(target=beat, name=f"heartbeat-{label}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


class ProgressReporter:
    """``reporter(fraction)``: writes the progress and the heartbeat at most every ``every`` seconds (and
    always at the end), waiting out a database restart for up to ``give_up_after`` seconds, and stops the
    run (``Superseded``) when its claim is gone. ``also(fraction)`` is told every report (a progress bar)."""

    def __init__(
        self,
        claim: Claim,
        *,
        every: float,
        give_up_after: float,
        label: str,
        also: Callable[[float], object] | None = None,
    ):
        self.claim = claim
        self.every = every
        self.give_up_after = give_up_after
        self.label = label
        self.also = also
        self.last = 0.0

    def __call__(self, fraction: float) -> None:
        now = time.monotonic()
        if fraction >= 1 or now - self.last >= self.every:
            self.last = now
            done = min(max(fraction, 0), 1)
            if not retrying(
                lambda: self.claim.rows().update(progress=done, heartbeat_at=Now()),
                f"recording the progress of {self.label}",
                give_up_after=self.give_up_after,
            ):
                raise Superseded(self.claim)
        if self.also is not None:
            self.also(fraction)


# A QUEUED row younger than this may still be on its way to the queue (its job is queued on commit).
LOST_AFTER_SECONDS = 60


def requeue_lost(rows: QuerySet, unfinished: set | None, enqueue: Callable[[int], object]) -> list[int]:
    """Queue again (``enqueue(pk)`` after commit) the QUEUED rows among ``rows`` whose job the queue does
    not hold (``unfinished``: the first arguments of the task's unfinished jobs, from
    ``operations.queues.unfinished_args``; None when the queue cannot tell, and nothing is done): Redis was
    down when the job was queued, or restarted without its data. The row is the truth, so the work is not
    lost. Rows queued in the last ``LOST_AFTER_SECONDS`` are left alone, their job may be on its way; a
    job queued twice runs once (the second finds the row claimed). Returns the ids queued again."""
    if unfinished is None:
        return []
    model = rows.model
    candidates = rows.filter(
        status=model.QUEUED, queued_at__lt=Now() - timedelta(seconds=LOST_AFTER_SECONDS)
    ).values_list("pk", flat=True)
    lost = sorted(pk for pk in candidates if pk not in unfinished)
    for pk in lost:
        transaction.on_commit(lambda pk=pk: enqueue(pk))
    return lost
