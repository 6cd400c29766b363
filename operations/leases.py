"""Leases on long background work: a row that a run claims (QUEUED -> RUNNING) carries a heartbeat, and the
scheduler presumes a run dead once its heartbeat is older than the lease (the database task backend has
no lease of its own: a task whose worker died stays RUNNING for ever).

The apps keep their own rows (a transcript, a delivery rendition); this module holds what does not depend
on which: the heartbeat that beats while the run is alive, whatever the run is doing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from .reconnecting import DATABASE_UNREACHABLE

logger = logging.getLogger(__name__)


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
                    rows().update(heartbeat_at=timezone.now())
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
