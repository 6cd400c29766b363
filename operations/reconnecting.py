"""Waiting out a database that went away: restarted, failed over, cut off by a proxy or a firewall, or
(SQLite) locked by another process for longer than the timeout.

Django reconnects by itself only between requests. A background process that holds a connection for hours
(the task worker, a transcription run and its heartbeat thread) sees the next query after an outage fail
with ``OperationalError`` or ``InterfaceError`` and would give up work that was nearly done. ``retrying``
closes this thread's connections, waits a little longer each time, and runs the write again on a fresh
connection until the database answers.

Only a write that can safely run twice is retried (an UPDATE to the same values, a whole transaction that
rolled back). Inside a transaction nothing is retried: its earlier statements are gone with the connection,
so the error goes to whoever opened the transaction.
"""

import logging
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connection, connections

logger = logging.getLogger(__name__)

# Connection refused, closed or reset, server shutting down, SQLite's "database is locked".
DATABASE_UNREACHABLE = (OperationalError, InterfaceError)
FIRST_DELAY = 0.5  # seconds
MAX_DELAY = 10.0

T = TypeVar("T")


def delays() -> Iterator[float]:
    """Seconds to wait before each new attempt: 0.5, 1, 2, 4, 8, 10, 10, ..."""
    delay = FIRST_DELAY
    while True:
        yield delay
        delay = min(delay * 2, MAX_DELAY)


def reconnect(error: Exception, what: str, delay: float, log: logging.Logger = logger) -> None:
    """Log the failure, drop this thread's connections (the next query opens a new one) and wait."""
    log.warning("The database did not answer while %s (%s); trying again in %.1f s", what, error, delay)
    connections.close_all()
    time.sleep(delay)


def retrying(
    write: Callable[[], T],
    what: str,
    *,
    give_up_after: float | None = None,
    log: logging.Logger = logger,
) -> T:
    """``write()``, run again on a fresh connection while the database cannot be reached. After
    ``give_up_after`` seconds (None: never) the last error is raised. ``what`` completes the log line
    "The database did not answer while ...", e.g. "recording the progress of transcript 7"."""
    deadline = None if give_up_after is None else time.monotonic() + give_up_after
    for delay in delays():
        try:
            return write()
        except DATABASE_UNREACHABLE as error:
            if connection.in_atomic_block:
                raise  # the transaction is lost: only its owner can start it again
            if deadline is not None and time.monotonic() + delay > deadline:
                raise
            reconnect(error, what, delay, log)
    raise AssertionError("delays() never ends")
