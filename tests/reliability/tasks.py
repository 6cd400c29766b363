"""A task for the tests of the queue itself: it counts its own runs where no queue bookkeeping can hide
one. The workers import it by its path (``tests.reliability.tasks.record_run``), as they import the
product's tasks, and run it through the same queue, claim and result machinery."""

import os
import time

from django_tasks import task

GATE_WAIT_SECONDS = 120  # a job whose test forgot its gate goes on in the end


@task()
def record_run(log: str, job: int, seconds: float = 0, gate: str | None = None) -> int:
    """Append one line, ``<job> <worker pid>``, to the file ``log``, then take ``seconds`` more and, given
    a ``gate``, wait until that file exists (so that a test can hold its workers busy until it has seen
    what it needs).

    One ``write`` on a file opened with O_APPEND: lines written at once by several workers never mix, so
    the file holds exactly one line per run, a second run of a job included.
    """
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{job} {os.getpid()}\n".encode())
    finally:
        os.close(fd)
    if seconds:
        time.sleep(seconds)
    deadline = time.monotonic() + GATE_WAIT_SECONDS
    while gate and not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.01)
    return job


def runs(log) -> list[int]:
    """The jobs ``record_run`` ran, one entry per run, in the order they started."""
    try:
        with open(log, encoding="utf-8") as lines:
            return [int(line.split()[0]) for line in lines]
    except FileNotFoundError:
        return []


def workers(log) -> set[int]:
    """The process ids of the workers that ran a job."""
    try:
        with open(log, encoding="utf-8") as lines:
            return {int(line.split()[1]) for line in lines}
    except FileNotFoundError:
        return set()
