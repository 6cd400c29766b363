"""Recovering from workers that died mid-transcription (run by ``manage.py scheduler``).

``transcribing.requeue_stale`` queues the transcript again; this module tidies the task queue's own record,
which django-tasks-db leaves RUNNING for ever when its worker dies (django-tasks-db has no lease).
"""

import logging
from datetime import timedelta

from django.utils import timezone

logger = logging.getLogger(__name__)


class WorkerLost(Exception):
    """Recorded on a task result whose worker stopped in the middle of it."""


def fail_lost_transcription_tasks() -> int:
    """Mark FAILED the transcription task results left RUNNING by a worker that died.

    django-tasks-db cannot tell a dead worker from a slow one; the transcript's heartbeat can. A task
    result that has run for longer than the lease is lost when its transcript is no longer RUNNING (queued
    again by ``requeue_stale``, failed, deleted), or is RUNNING again for a run that started more than a
    lease after this task did (another task took the work over). A live task claims its transcript within
    moments of starting and keeps it RUNNING, so it is never touched. Uses ``DBTaskResult.set_failed``, the
    method the worker itself records a failure with. Returns how many were marked.
    """
    from django_tasks_db.models import DBTaskResult

    from transcripts.models import Transcript
    from transcripts.tasks import transcribe_audio
    from transcripts.transcribing import lease_seconds

    lease = timedelta(seconds=lease_seconds())
    running = DBTaskResult.objects.running().filter(
        task_path=transcribe_audio.module_path, started_at__lt=timezone.now() - lease
    )
    lost = []
    for result in running:
        args, kwargs = result.args_kwargs["args"], result.args_kwargs["kwargs"]
        transcript_id = args[0] if args else kwargs.get("transcript_id")
        transcript = Transcript.objects.filter(pk=transcript_id).values("status", "started_at").first()
        if (
            transcript is None
            or transcript["status"] != Transcript.RUNNING
            or (transcript["started_at"] or result.started_at) > result.started_at + lease
        ):
            result.set_failed(WorkerLost(f"Worker {', '.join(result.worker_ids)} stopped during this task."))
            lost.append(str(result.id))
    if lost:
        logger.warning("Marked failed the task results whose worker stopped: %s", ", ".join(lost))
    return len(lost)


def stalled_transcriptions() -> int:
    """How many transcripts are RUNNING without a heartbeat for longer than the lease: their worker is
    presumed dead, and ``requeue_stale`` queues them again on the scheduler's next round."""
    from transcripts.models import Transcript
    from transcripts.transcribing import lease_seconds

    cutoff = timezone.now() - timedelta(seconds=lease_seconds())
    return Transcript.objects.filter(status=Transcript.RUNNING, heartbeat_at__lt=cutoff).count()
