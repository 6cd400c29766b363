"""Background tasks of the episodes app. They stay thin: the work lives in the modules they call."""

from __future__ import annotations

from django_tasks import task

from .delivery.preparing import requeue_stale, run_delivery
from .delivery.retagging import check_tags
from .models import AudioFile
from .websub import ping_hub_with_retries


@task()
def ping_hubs_task(hub_url: str, feed_url: str) -> int:
    """Tell one WebSub hub that ``feed_url`` changed, retrying a few times (``WEBSUB_RETRY_DELAYS``).

    Returns the number of attempts; raises WebSubError after the last one, so the result is FAILED.
    """
    return ping_hub_with_retries(hub_url, feed_url)


@task(queue_name="delivery")
def prepare_audio_task(rendition_id: int) -> str:
    """Prepare one delivery rendition (ffmpeg, minutes for a long episode) on its own queue, so that
    transcription and delivery do not wait on each other."""
    requeue_stale()  # every run also looks for work a dead worker left behind
    rendition = run_delivery(rendition_id)
    return rendition.status if rendition else "skipped"


@task(queue_name="delivery")
def check_tags_task(audio_ids: list[int]) -> int:
    """Queue a re-tag (a quick copy, not an encode) of each of these audio files' ready renditions whose
    episode's tags changed (a title, artwork, chapters). Returns how many were queued."""
    return sum(len(check_tags(audio)) for audio in AudioFile.objects.filter(pk__in=audio_ids))
