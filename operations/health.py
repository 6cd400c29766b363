"""Health checks for load balancers, orchestrators and monitoring.

``/health/`` (the web process) answers 200 with a small JSON report when the database answers a trivial
query and the cache stores and returns a value, and 503 naming the part that failed otherwise. It also
reports the task queue: jobs waiting, how long the oldest has waited, jobs running, per queue, and what is
known of the workers. Only counts and ages: no host names, no error messages (those go to the log).

``manage.py healthcheck --worker`` (operations/management/commands/healthcheck.py) fails when the oldest
waiting job has waited longer than ``HEALTH_MAX_WAIT_SECONDS``: the workers are stuck, dead or too few.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Max, Min, Q
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

OK, ERROR = "ok", "error"
CACHE_KEY = "health:ping"
# Wagtail hook: ``fn() -> dict`` of counts an app adds to the workers' report (the transcripts app:
# ``stalled_transcriptions``), so that this app imports none of those it reports on.
WORKER_REPORT_HOOK = "health_worker_report"


def max_wait_seconds() -> int:
    return getattr(settings, "HEALTH_MAX_WAIT_SECONDS", 900)


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("Health check: the database did not answer")
        return ERROR
    return OK


def check_cache() -> str:
    """A value written and read back: proves the cache server is reachable and working."""
    token = secrets.token_hex(8)
    try:
        cache.set(CACHE_KEY, token, 30)
        if cache.get(CACHE_KEY) != token:
            logger.error("Health check: the cache did not return what was just stored")
            return ERROR
    except Exception:
        logger.exception("Health check: the cache did not answer")
        return ERROR
    return OK


def _seconds_since(moment, now) -> int | None:
    return None if moment is None else max(0, round((now - moment).total_seconds()))


def queue_report(queue_names: list[str] | None = None) -> dict:
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
        "waiting": sum(q["waiting"] for q in queues.values()),
        "oldest_waiting_seconds": max(ages, default=None),
        "running": sum(q["running"] for q in queues.values()),
        "queues": queues,
    }


def worker_report() -> dict:
    """What the database knows of the workers: how many are busy (distinct worker ids on running jobs),
    how long ago any job last finished, and what ``WORKER_REPORT_HOOK`` functions add (transcriptions
    whose worker stopped beating, which the scheduler queues again)."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult
    from wagtail import hooks

    now = timezone.now()
    busy = set()
    for worker_ids in DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).values_list(
        "worker_ids", flat=True
    ):
        if worker_ids:
            busy.add(worker_ids[-1])  # the worker that took the job last
    last_finished = DBTaskResult.objects.aggregate(last=Max("finished_at"))["last"]
    report = {"busy": len(busy), "last_finished_seconds": _seconds_since(last_finished, now)}
    for counts in hooks.get_hooks(WORKER_REPORT_HOOK):
        report.update(counts())
    return report


@dataclass
class Report:
    checks: dict = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"status": ERROR if self.failed else OK, **self.checks}


def web_report() -> Report:
    """The database, the cache, then (if the database answers) the queue and the workers."""
    report = Report()
    for name, check in (("database", check_database), ("cache", check_cache)):
        report.checks[name] = check()
        if report.checks[name] != OK:
            report.failed.append(name)
    report.checks["queue"] = report.checks["workers"] = None
    if report.checks["database"] == OK:
        try:
            report.checks["queue"] = queue_report()
            report.checks["workers"] = worker_report()
        except Exception:  # the tables missing (migrations not run), a query cut short
            logger.exception("Health check: could not read the task queue")
            report.checks["queue"] = ERROR
            report.failed.append("queue")
    return report


@never_cache
@require_safe
def health(request):
    """200 ``{"status": "ok", ...}`` or 503 with ``"status": "error"`` and the failing part set to
    ``"error"``; never cached (``never_cache``: no-store, which the page cache and CDNs respect)."""
    report = web_report()
    return JsonResponse(report.as_dict(), status=503 if report.failed else 200)
