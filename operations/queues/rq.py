"""The RQ queue on Redis (``TASKS_BACKEND=rq``): django-tasks-rq's backend and RQ's worker, with what
this site needs of them, and the report and recovery queries over RQ's own registries.

``RQBackend`` (django-tasks-rq's) does not fail the request when Redis is down: the task is kept in the
site's database (``operations.outbox``) and the scheduler sends it once Redis answers. The error is logged.
(Transcription and renditions are also recovered from their own QUEUED rows: ``leases.requeue_lost``.)

``Worker`` is RQ's ``SimpleWorker`` (jobs run in the worker process itself, not in a fork per job, so a
Whisper model loads once per worker, as with ``db_worker``), which:

- opens fresh database connections for each job (a database restart between two jobs costs nothing);
- keeps beating its heartbeat in Redis during a long job (health reports it alive);
- outlives Redis going away: a job's result is written again until Redis answers, and the loop's own
  Redis calls wait and try again instead of ending the worker (RQ's worker exits on them);
- on a first SIGTERM finishes the job in hand and stops (RQ's warm shutdown).
"""

from __future__ import annotations

import logging
import threading
import time
from functools import partial

import django_rq
from django.db import connections, transaction
from django.utils import timezone
from django_tasks.base import TaskResult, TaskResultStatus
from django_tasks.utils import get_random_id
from django_tasks_rq.backend import Job
from django_tasks_rq.backend import RQBackend as BaseRQBackend
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq.job import JobStatus
from rq.registry import FinishedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
from rq.worker import SimpleWorker
from rq.worker import Worker as RQWorker

from ..reconnecting import delays
from . import Running

logger = logging.getLogger(__name__)

REDIS_UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


class RQBackend(BaseRQBackend):
    def send(self, task, args, kwargs) -> TaskResult:
        """Queue on Redis, raising when Redis does not take the job (the outbox's resend)."""
        return super().enqueue(task, args, kwargs)

    def enqueue(self, task, args, kwargs) -> TaskResult:
        if _in_a_transaction():
            # Wagtail queues its search-index and reference-index updates from signal handlers, inside the
            # save's transaction. On the database queue the job's row commits with the save; a worker waiting
            # on Redis would take the job at once and not find the rows yet (DoesNotExist, seen with
            # bench/capacity.py). So: after the commit, and nothing when the save rolls back, as there.
            transaction.on_commit(partial(self._enqueue_now, task, args, kwargs))
            return self._ready(task, args, kwargs)
        return self._enqueue_now(task, args, kwargs)

    def _enqueue_now(self, task, args, kwargs) -> TaskResult:
        try:
            return self.send(task, args, kwargs)
        except RedisError as error:
            # Failing here would turn a saved page or upload into an error page: the task is kept in the
            # database instead, and the scheduler sends it when Redis answers (operations/outbox.py).
            from ..outbox import keep

            pending = keep(task, args, kwargs, error)
            kept = f"pending task {pending.pk}" if pending is not None else "NOT kept: lost"
            logger.error(
                "Redis did not take task %s%r (%s); the scheduler sends it when Redis answers (%s)",
                task.module_path,
                tuple(args),
                error,
                kept,
            )
            return self._ready(task, args, kwargs)

    def _ready(self, task, args, kwargs) -> TaskResult:
        return TaskResult(
            task=task,
            id=get_random_id(),
            status=TaskResultStatus.READY,
            enqueued_at=None,
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=list(args),
            kwargs=kwargs,
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )


def _in_a_transaction() -> bool:
    """Whether the code runs inside a transaction of its own: one that commits later. A test case's
    wrapping transaction never commits and is left out, as Django leaves it out of ``durable`` checks."""
    connection = transaction.get_connection()
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _until_redis_answers(call, what: str):
    """``call()``, again after a wait while Redis cannot be reached (restarting, failing over)."""
    for delay in delays():
        try:
            return call()
        except REDIS_UNREACHABLE as error:
            logger.warning("Redis did not answer while %s (%s); trying again in %.1f s", what, error, delay)
            time.sleep(delay)
    raise AssertionError("delays() never ends")


class Worker(SimpleWorker):
    HEARTBEAT_EVERY = 30  # seconds, during a job; well under the worker's TTL (420 s)

    def execute_job(self, job, queue):
        connections.close_all()  # this job's queries on fresh connections
        stop = threading.Event()

        def beat():
            while not stop.wait(self.HEARTBEAT_EVERY):
                self.heartbeat()

        beating = threading.Thread(target=beat, name="rq-heartbeat", daemon=True)
        beating.start()
        try:
            super().execute_job(job, queue)
        finally:
            stop.set()
            beating.join()
            connections.close_all()

    def _finalize_success(self, job, queue, execution, return_value):
        _until_redis_answers(
            lambda: super(Worker, self)._finalize_success(job, queue, execution, return_value),
            f"recording the result of job {job.id}",
        )

    def _finalize_failure(self, job, queue, execution, exc_info):
        _until_redis_answers(
            lambda: super(Worker, self)._finalize_failure(job, queue, execution, exc_info),
            f"recording the failure of job {job.id}",
        )

    # RQ's loop ends the worker when one of these cannot reach Redis; the next look for work waits for it.
    def heartbeat(self, *args, **kwargs):
        try:
            super().heartbeat(*args, **kwargs)
        except REDIS_UNREACHABLE as error:
            logger.warning("Redis did not answer the worker's heartbeat (%s)", error)

    def set_state(self, *args, **kwargs):
        try:
            super().set_state(*args, **kwargs)
        except REDIS_UNREACHABLE as error:
            logger.warning("Redis did not answer while recording the worker's state (%s)", error)

    def run_maintenance_tasks(self):
        try:
            super().run_maintenance_tasks()
        except REDIS_UNREACHABLE as error:
            logger.warning("Redis did not answer during the worker's maintenance (%s)", error)

    def check_for_suspension(self, burst):
        try:
            super().check_for_suspension(burst)
        except REDIS_UNREACHABLE as error:
            logger.warning("Redis did not answer while checking for suspension (%s)", error)


def _queues(queue_names=None):
    from django.conf import settings

    names = queue_names or list(settings.RQ_QUEUES)
    return [django_rq.get_queue(name, job_class=Job) for name in names]


def _seconds_since(moment, now) -> int | None:
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.utc)
    return max(0, round((now - moment).total_seconds()))


def report(queue_names: list[str] | None = None) -> dict:
    """RQ's queues: jobs waiting in each (the oldest one's wait), running (its started registry), and
    held back until later (scheduled: a retry's delay)."""
    now = timezone.now()
    queues = {}
    for queue in _queues(queue_names):
        first = queue.get_job_ids(0, 0)
        job = Job.fetch(first[0], connection=queue.connection) if first else None
        queues[queue.name] = {
            "waiting": queue.count,
            "oldest_waiting_seconds": _seconds_since(job.enqueued_at, now) if job else None,
            "running": StartedJobRegistry(queue=queue).count,
            "scheduled": ScheduledJobRegistry(queue=queue).count,
        }
    ages = [q["oldest_waiting_seconds"] for q in queues.values() if q["oldest_waiting_seconds"] is not None]
    return {
        "backend": "rq",
        "waiting": sum(q["waiting"] for q in queues.values()),
        "oldest_waiting_seconds": max(ages, default=None),
        "running": sum(q["running"] for q in queues.values()),
        "queues": queues,
    }


def workers() -> dict:
    """RQ's registered workers: alive (a heartbeat within the worker TTL), busy, and how long ago a job
    last finished (the newest in the finished registries)."""
    queues = _queues()
    connection = queues[0].connection
    now = timezone.now()
    alive = busy = 0
    for worker in RQWorker.all(connection=connection):
        beat = _seconds_since(worker.last_heartbeat, now)
        if beat is not None and beat <= worker.worker_ttl + 60:
            alive += 1
            busy += worker.get_state() == "busy"
    finished = [
        score
        for queue in queues
        for _, score in connection.zrevrange(FinishedJobRegistry(queue=queue).key, 0, 0, withscores=True)
    ]
    # A finished job's score is when its result expires: its end plus the result TTL (500 s by default).
    last = max(finished, default=None)
    last_finished = None if last is None else max(0, round(time.time() - (last - 500)))
    return {"alive": alive, "busy": busy, "last_finished_seconds": last_finished}


def reachable() -> bool:
    try:
        return bool(django_rq.get_connection("default").ping())
    except RedisError:
        return False


def _jobs(queue, ids):
    return [job for job in Job.fetch_many(ids, connection=queue.connection) if job is not None]


def unfinished_args(task) -> set:
    """Over every queue: the waiting jobs, the scheduled ones and the started ones, of ``task``."""
    args = set()
    for queue in _queues():
        ids = [
            *queue.get_job_ids(),
            *ScheduledJobRegistry(queue=queue).get_job_ids(),
            *StartedJobRegistry(queue=queue).get_job_ids(),
        ]
        for job in _jobs(queue, ids):
            if job.func_name == task.module_path:
                args.add(job.args[0] if job.args else next(iter(job.kwargs.values()), None))
    return args


def running(task) -> list[Running]:
    found = []
    for queue in _queues():
        for job in _jobs(queue, StartedJobRegistry(queue=queue).get_job_ids()):
            if job.func_name != task.module_path or job.get_status() != JobStatus.STARTED:
                continue
            started = job.started_at
            if started is not None and timezone.is_naive(started):
                started = timezone.make_aware(started, timezone.utc)
            found.append(
                Running(
                    id=job.id,
                    args=list(job.args),
                    kwargs=dict(job.kwargs),
                    started_at=started,
                    worker_ids=[job.worker_name] if job.worker_name else [],
                    fail=lambda error, job=job, queue=queue: _fail(job, queue, error),
                )
            )
    return found


def _fail(job, queue, error: Exception) -> None:
    """Record ``job`` failed with ``error`` as RQ records an abandoned job (failed registry, a failure
    result), with the error's class where django-tasks-rq reads it."""
    cls = type(error)
    job.meta.setdefault("_django_tasks_rq_exceptions", []).append(f"{cls.__module__}.{cls.__qualname__}")
    with queue.connection.pipeline() as pipeline:
        job.save_meta()
        StartedJobRegistry(queue=queue).remove_executions(job, pipeline=pipeline)
        job.set_status(JobStatus.FAILED, pipeline=pipeline)
        # As rq.job_lifecycle.record_job_failure, with the dead worker's name on the failure.
        job._handle_failure(f"{cls.__qualname__}: {error}", pipeline, worker_name=job.worker_name or "")
        pipeline.execute()
