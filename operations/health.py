"""Health checks for load balancers, orchestrators and monitoring.

``/health/`` (the web process) answers 200 with a small JSON report when the database answers a trivial
query and the cache stores and returns a value, and 503 naming the part that failed otherwise. It also
reports the task queue: jobs waiting, how long the oldest has waited, jobs running, per queue, and what is
known of the workers, and the tasks Redis refused that wait in the database for the scheduler to send
them (``outbox``: how many, the oldest one's age). Only counts and ages: no host names, no error messages
(those go to the log).

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
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import queues

logger = logging.getLogger(__name__)

OK, ERROR, UNREACHABLE = "ok", "error", "unreachable"
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


def queue_report(queue_names: list[str] | None = None) -> dict:
    """Jobs of the task queue in use (``operations.queues``: the database queue, or RQ's queues on
    Redis): waiting (ready to run now), the oldest one's wait in seconds, running; overall and per queue.
    ``backend`` names the queue. Raises when the queue cannot be read."""
    return queues.report(queue_names)


def outbox_report() -> dict:
    """Tasks the queue refused that the scheduler has yet to send (``operations.outbox``): ``pending``
    and ``oldest_pending_seconds``. A figure that stays above 0 while Redis answers means the scheduler
    is not running, or cannot send them (its log says why)."""
    from . import outbox

    return outbox.report()


def worker_report() -> dict:
    """What the queue knows of the workers (RQ: alive and busy; the database queue: busy, as distinct
    worker ids on running jobs), how long ago any job last finished, and what ``WORKER_REPORT_HOOK``
    functions add (transcriptions whose worker stopped beating, which the scheduler queues again)."""
    from wagtail import hooks

    report = queues.workers()
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
    """The database, the cache, then (if the database answers) the queue, the workers and the outbox."""
    report = Report()
    for name, check in (("database", check_database), ("cache", check_cache)):
        report.checks[name] = check()
        if report.checks[name] != OK:
            report.failed.append(name)
    report.checks["queue"] = report.checks["workers"] = report.checks["outbox"] = None
    if report.checks["database"] == OK:
        try:
            report.checks["outbox"] = outbox_report()
        except Exception:  # the table missing (migrations not run)
            logger.exception("Health check: could not read the outbox")
            report.checks["outbox"] = ERROR
            report.failed.append("outbox")
    if not queues.reachable():
        # Redis down: the site serves pages and takes uploads (their jobs are queued again when Redis is
        # back), so the web process stays in the load balancer; `healthcheck --worker` fails instead.
        logger.error("Health check: the task queue (Redis) does not answer")
        report.checks["queue"] = UNREACHABLE
    elif report.checks["database"] == OK:
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
