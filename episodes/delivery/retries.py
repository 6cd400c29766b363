"""Trying a failed rendition again by itself, when its failure was transient.

A run that fails because storage failed, a disk was full or something unforeseen broke is marked
``retryable`` with a ``retry_at`` a little later each time (``DELIVERY_RETRY_DELAYS``); the scheduler's
``retry_failed`` queues it again once that time has come, until the rendition has used ``MAX_ATTEMPTS``
(a worker that stopped counts as an attempt too: ``preparing.requeue_stale``). A permanent failure (the
master does not decode, is empty or missing, the file cannot be tagged) would fail the same way again: it
waits for the editor's *Try again*. The scheduler, not the task queue, holds the delay, so it works on
every task backend, even one that cannot defer a task.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from ..models import AudioRendition

logger = logging.getLogger(__name__)


def retry_delays() -> list[int]:
    """Seconds to wait before the second, third... attempt of a transient failure."""
    return list(getattr(settings, "DELIVERY_RETRY_DELAYS", [60, 600]))


def next_retry_at(attempts: int, max_attempts: int) -> datetime | None:
    """When a rendition that failed transiently on its ``attempts``-th attempt is tried again, or None
    when it has used its attempts. Past the last delay, the last one is used again."""
    delays = retry_delays()
    if attempts >= max_attempts or not delays:
        return None
    return timezone.now() + timedelta(seconds=delays[min(max(attempts, 1), len(delays)) - 1])


def retry_failed() -> list[int]:
    """Queue again the failed renditions whose transient failure's retry time has come. Returns their ids.
    Run by the scheduler."""
    from ..tasks import prepare_audio_task

    due = AudioRendition.objects.filter(
        status=AudioRendition.FAILED, retryable=True, retry_at__lte=timezone.now(), retired_at__isnull=True
    )
    queued = []
    for pk in due.values_list("pk", flat=True):
        # Only if still due: an editor's Try again or another scheduler may have taken it since the query.
        if due.filter(pk=pk).update(
            status=AudioRendition.QUEUED, queued_at=timezone.now(), retry_at=None, progress=0
        ):
            queued.append(pk)
            transaction.on_commit(lambda pk=pk: prepare_audio_task.enqueue(pk))
    if queued:
        logger.info("Trying again audio renditions that failed for a transient reason: %s", queued)
    return queued


def delivery_health(lease_seconds: int) -> dict[str, int]:
    """For /health/ and ``healthcheck``, in one query: renditions RUNNING without a heartbeat for longer
    than the lease (their worker is presumed dead; the scheduler queues them again), failed ones the
    scheduler will try again, and failed ones it will not (they wait for an editor's *Try again*)."""
    cutoff = timezone.now() - timedelta(seconds=lease_seconds)
    failed = Q(status=AudioRendition.FAILED, retired_at__isnull=True)
    return AudioRendition.objects.aggregate(
        stalled_renditions=Count("pk", filter=Q(status=AudioRendition.RUNNING, heartbeat_at__lt=cutoff)),
        retrying_renditions=Count("pk", filter=failed & Q(retry_at__isnull=False)),
        failed_renditions=Count("pk", filter=failed & Q(retry_at__isnull=True)),
    )
