"""The database queue (django-tasks-db): its report, and the jobs it holds, read from its table."""

from __future__ import annotations

from django.db.models import Count, F, Max, Min, Q
from django.utils import timezone

from . import Running


def _seconds_since(moment, now) -> int | None:
    return None if moment is None else max(0, round((now - moment).total_seconds()))


def report(queue_names: list[str] | None = None) -> dict:
    """Jobs of the database task queue: waiting (ready to run now), the oldest one's wait in seconds,
    running; overall and per queue. A job held back until a later time (a retry's delay) waits from then.
    One query over the unfinished jobs."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    now = timezone.now()
    no_delay = Q(run_after=get_date_max()) | Q(run_after__lte=F("enqueued_at"))
    delayed_and_due = Q(run_after__gt=F("enqueued_at"), run_after__lte=now) & ~Q(run_after=get_date_max())
    ready = Q(status=TaskResultStatus.READY) & (no_delay | delayed_and_due)
    running = Q(status=TaskResultStatus.RUNNING)
    rows = DBTaskResult.objects.filter(status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING])
    if queue_names:
        rows = rows.filter(queue_name__in=queue_names)
    rows = (
        rows.values("queue_name")
        .order_by("queue_name")
        .annotate(
            waiting=Count("pk", filter=ready),
            running=Count("pk", filter=running),
            enqueued=Min("enqueued_at", filter=Q(status=TaskResultStatus.READY) & no_delay),
            due=Min("run_after", filter=Q(status=TaskResultStatus.READY) & delayed_and_due),
        )
    )
    queues = {}
    for row in rows:
        since = min((t for t in (row["enqueued"], row["due"]) if t is not None), default=None)
        queues[row["queue_name"]] = {
            "waiting": row["waiting"],
            "oldest_waiting_seconds": _seconds_since(since, now),
            "running": row["running"],
        }
    ages = [q["oldest_waiting_seconds"] for q in queues.values() if q["oldest_waiting_seconds"] is not None]
    return {
        "backend": "database",
        "waiting": sum(q["waiting"] for q in queues.values()),
        "oldest_waiting_seconds": max(ages, default=None),
        "running": sum(q["running"] for q in queues.values()),
        "queues": queues,
    }


def workers() -> dict:
    """What the database knows of the workers: how many are busy (distinct worker ids on running jobs)
    and how long ago any job last finished. (A waiting db_worker leaves no trace in the database.)"""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    busy = set()
    for worker_ids in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).values_list(
        "worker_ids", flat=True
    ):
        if worker_ids:
            busy.add(worker_ids[-1])  # the worker that took the job last
    last_finished = DBTaskResult.objects.aggregate(last=Max("finished_at"))["last"]
    return {"busy": len(busy), "last_finished_seconds": _seconds_since(last_finished, now)}


def reachable() -> bool:
    return True


def _args(result) -> tuple[list, dict]:
    return result.args_kwargs["args"], result.args_kwargs["kwargs"]


def unfinished_args(task) -> set:
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    unfinished = DBTaskResult.objects.filter(
        task_path=task.module_path, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    )
    return {
        args[0] if args else next(iter(kwargs.values()), None)
        for args, kwargs in map(_args, unfinished.only("args_kwargs"))
    }


def running(task) -> list[Running]:
    from django_tasks_db.models import DBTaskResult

    return [
        Running(
            id=str(result.id),
            args=_args(result)[0],
            kwargs=_args(result)[1],
            started_at=result.started_at,
            worker_ids=list(result.worker_ids),
            fail=result.set_failed,  # the method the worker itself records a failure with
        )
        for result in DBTaskResult.objects.running().filter(task_path=task.module_path)
    ]
