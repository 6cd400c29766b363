"""The job of bench/queue_latency.py: it notes when it started, so that the bench measures the queue."""

import os
import time

from django_tasks import task


@task()
def stamp(log: str, job: int, enqueued: float) -> None:
    """Append ``<job> <enqueued> <started>`` (wall-clock seconds) to ``log`` in one write."""
    started = time.time()
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{job} {enqueued} {started}\n".encode())
    finally:
        os.close(fd)
