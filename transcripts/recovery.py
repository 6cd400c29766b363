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
    """Mark FAILED the transcription jobs the queue holds as running although their worker died.

    Neither queue can tell a dead worker from a slow one in time (django-tasks-db has no lease; RQ gives
    a job a day before it calls it abandoned); the transcript's heartbeat can. A job that has run for
    longer than the lease is lost when its transcript is no longer RUNNING (queued again by
    ``requeue_stale``, failed, deleted), or is RUNNING again for a run that started more than a lease after
    this job did (another job took the work over). A live job claims its transcript within moments of
    starting and keeps it RUNNING, so it is never touched. The failure is recorded the way the queue's own
    worker records one (``operations.queues.running``). Returns how many were marked.
    """
    from operations import queues
    from transcripts.models import Transcript
    from transcripts.tasks import transcribe_audio
    from transcripts.transcribing import lease_seconds

    lease = timedelta(seconds=lease_seconds())
    cutoff = timezone.now() - lease
    lost = []
    for job in queues.running(transcribe_audio):
        if job.started_at is None or job.started_at >= cutoff:
            continue
        transcript = Transcript.objects.filter(pk=job.first_arg).values("status", "started_at").first()
        if (
            transcript is None
            or transcript["status"] != Transcript.RUNNING
            or (transcript["started_at"] or job.started_at) > job.started_at + lease
        ):
            job.fail(WorkerLost(f"Worker {', '.join(job.worker_ids)} stopped during this task."))
            lost.append(job.id)
    if lost:
        logger.warning("Marked failed the task results whose worker stopped: %s", ", ".join(lost))
    return len(lost)


def requeue_lost_transcriptions() -> list[int]:
    """Queue again the QUEUED transcripts whose job the queue does not hold: Redis was down when the job
    was queued, or lost it. The transcript rows are the truth; see ``operations.leases.requeue_lost``."""
    from operations import leases, queues
    from transcripts.models import Transcript
    from transcripts.tasks import transcribe_audio

    requeued = leases.requeue_lost(
        Transcript.objects.all(), queues.unfinished_args(transcribe_audio), transcribe_audio.enqueue
    )
    if requeued:
        logger.warning("Queued again transcripts the task queue did not hold: %s", requeued)
    return requeued


def stalled_transcriptions() -> int:
    """How many transcripts are RUNNING without a heartbeat for longer than the lease: their worker is
    presumed dead, and ``requeue_stale`` queues them again on the scheduler's next round."""
    from operations.leases import stale_before
    from transcripts.models import Transcript
    from transcripts.transcribing import lease_seconds

    stale = Transcript.objects.filter(
        status=Transcript.RUNNING, heartbeat_at__lt=stale_before(lease_seconds())
    )
    return stale.count()
