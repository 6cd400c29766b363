"""Re-tagging: when an episode's title, artwork, chapters (anything ``tags_for`` writes) change, listeners
get new files with the new tags, without encoding the audio again.

The ready rendition keeps the digest of the tags it carries (``tags_digest``). Publishing an episode, or
saving its audio under a new title, queues a check on the ``delivery`` queue (``check_tags``): when the digest
of the tags the file should carry differs, a *re-tag* rendition is queued for each format (``retag_of`` names
the ready one). It is run by ``preparing.run_delivery`` under the same claim and lease as any rendition: the
ready file's bytes are copied to a temporary file, tagged, hashed and stored under their own digest (a new
URL), and in one transaction the old rendition is retired (served for the grace period, for apps mid-download)
and the new one becomes the ready one, so the feed never lacks an enclosure. Until then the re-tag is not
"active" (see ``RETAG_AT_WORK``): the editor, the feed and the unique constraint see the old one. A replaced
master retires the old rendition and drops its re-tag (``preparing.retire``), so the replacement wins; a
re-tag whose source file is missing from storage encodes from the master instead.
"""

from __future__ import annotations

import logging
import math
import shutil
from pathlib import Path

from django.conf import settings
from django.db import transaction

from ..models import AudioFile, AudioRendition
from .encode import Measurement, Result
from .tags import Tags, tags_digest, tags_for

logger = logging.getLogger(__name__)


def tags_of(audio: AudioFile) -> Tags:
    """The tags ``audio``'s delivered file carries: its episode's (the live one first, then the most
    recently published), or for audio no episode uses (an interview's, not yet chosen) its own title."""
    episode = audio.episodes.order_by("-live", "-first_published_at", "pk").first()
    if episode is not None:
        return tags_for(episode, audio)
    return Tags(title=audio.title or Path(audio.file.name).stem)


def request_tag_check(audio_ids) -> None:
    """After commit, have a delivery worker check whether these audio files' renditions need new tags
    (``check_tags``): reading artwork and chapters is work the editor's request need not wait for."""
    ids = sorted({pk for pk in audio_ids if pk is not None})
    if not ids or not getattr(settings, "DELIVERY_ENABLED", True):
        return
    from ..tasks import check_tags_task

    transaction.on_commit(lambda: check_tags_task.enqueue(ids))


def check_tags(audio: AudioFile) -> list[AudioRendition]:
    """Queue a re-tag of each of ``audio``'s ready renditions (one per format) whose tags differ from the
    tags it should now carry. Returns the re-tags queued.

    Nothing for a format without a ready rendition (the run that makes it writes the tags of its time,
    then checks again), with a re-tag already queued or running (it reads the tags when it runs, and the
    check after it catches a later change), or whose tags are the same. A failed re-tag is dropped for a
    fresh one.
    """
    if not getattr(settings, "DELIVERY_ENABLED", True):
        return []
    ready = list(AudioRendition.objects.ready().filter(audio=audio))
    if not ready:
        return []
    digest = tags_digest(tags_of(audio))
    return [retag for rendition in ready if rendition.tags_digest != digest if (retag := _retag(rendition))]


def _retag(ready: AudioRendition) -> AudioRendition | None:
    with transaction.atomic():
        at_work = AudioRendition.objects.retags_at_work().filter(retag_of=ready).select_for_update()
        if at_work.exclude(status=AudioRendition.FAILED).exists():
            return None
        at_work.delete()
        retag = AudioRendition.objects.create(
            audio_id=ready.audio_id, format=ready.format, master_sha256=ready.master_sha256, retag_of=ready
        )
    from ..tasks import prepare_audio_task  # tasks imports preparing, which imports this module

    transaction.on_commit(lambda: prepare_audio_task.enqueue(retag.pk))
    logger.info("Re-tagging rendition %s of audio %s: its episode's tags changed", ready.pk, ready.audio_id)
    return retag


def copy_source(rendition: AudioRendition, output: Path) -> Result:
    """Copy the bytes of the rendition a re-tag replaces to ``output`` (the tags are written afterwards,
    as for any rendition), and describe them as the encoder would have. Raises ``FileNotFoundError`` when
    the source or its file is gone: the caller then encodes from the master."""
    source = rendition.retag_of
    if source is None or not source.file:
        raise FileNotFoundError("the rendition to re-tag is gone")
    with source.file.open("rb") as stored, open(output, "wb") as copy:
        shutil.copyfileobj(stored, copy, 1024 * 1024)
    return Result(
        duration_ms=source.duration_ms,
        channels=source.channels,
        bitrate=source.bitrate,
        sample_rate=source.sample_rate,
        copied=source.copied,
        before=_measurement(source.loudness_before, source.true_peak_before),
        after=(
            _measurement(source.loudness_after, source.true_peak_after)
            if source.loudness_after is not None
            else None
        ),
        waveform=source.waveform or None,  # the same audio: the player's peaks do not change
        measurement=source.measurement,
    )


def _measurement(integrated: float | None, true_peak: float | None) -> Measurement:
    # The row keeps only the loudness and the peak; the rest of loudnorm's report is not needed again.
    return Measurement(integrated, true_peak, lra=math.nan, threshold=math.nan, offset=math.nan)
