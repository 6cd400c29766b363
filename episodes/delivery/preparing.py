"""Preparing delivery renditions: queue one when a master's content is new, run it in a worker, and keep the
queue honest (stale runs queued again, retired renditions deleted after their grace period).

A run owns its rendition from its claim (QUEUED -> RUNNING, stamped with ``started_at``) to its end, as a
transcription run owns its transcript, by the lease of ``operations.leases``: every write is conditional
on the claim, so a run overtaken by a replaced master or a newer run writes nothing. The task queue's
database backend has no lease, so the rendition keeps its own heartbeat (beaten by a thread for as long as
the run is alive, through a long stream copy or a slow upload too) and the scheduler queues again a
RUNNING rendition whose heartbeat has stopped.

ffmpeg writes into a temporary folder; the finished file is hashed and only then saved to storage under a
name holding its digest, and the row says DONE only after that. So a half-written file is never served, and
a failure (the master does not decode, the disk is full, storage is down) leaves the master untouched and
the rendition FAILED with a reason an editor can act on. A transient failure (storage, a full disk) is
marked ``retryable`` and tried again by the scheduler after a delay (``retries.py``); a permanent one (the
master does not decode, is empty) waits for the editor. A re-tag (``retagging.py``) runs here too: it
copies a ready rendition's bytes instead of encoding, and swaps with it when done.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from operations import leases
from operations.leases import Claim, ProgressReporter, Superseded, heartbeat
from operations.local_files import local_path
from operations.reconnecting import retrying

from ..models import AudioFile, AudioRendition
from ..models.renditions import formats_wanted
from .encode import EncodeError, encode
from .formats import spec_for
from .retagging import check_tags, copy_source, tags_of
from .retries import next_retry_at
from .tags import TaggingError, tags_digest, write_tags

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
PROGRESS_EVERY_SECONDS = 2.0

EMPTY = "The master file is empty (0 bytes), so there is nothing to prepare. Upload the file again."
MISSING = "The master file is missing from storage. Upload it again."
DISK_FULL = (
    "The file for listeners could not be stored: the disk is full. The master is untouched; "
    "try again once the site's operators have made room."
)
STORAGE_FAILED = (
    "The file for listeners could not be stored ({reason}). The master is untouched; please try again later."
)


def enabled() -> bool:
    return getattr(settings, "DELIVERY_ENABLED", True)


def lease_seconds() -> int:
    """How long a RUNNING rendition may go without a heartbeat before its worker is presumed dead."""
    return getattr(settings, "DELIVERY_LEASE_SECONDS", 600)


def request_delivery(audio: AudioFile, *, force: bool = False, enqueue: bool = True) -> AudioRendition | None:
    """Make sure ``audio`` has a rendition of its present content in every format its shows ask for (the
    MP3 always, M4A and Opus where a show wants them: ``formats_wanted``), queueing a run after commit for
    each one missing. Returns the MP3 rendition, or None when delivery is off (``DELIVERY_ENABLED``).

    A rendition of an older content (the master was replaced) is retired when it is done (still served for
    the grace period) or dropped when it is not. A failed one is only tried again with ``force`` (the
    editor's *Try again*, ``manage.py prepare_audio ID``). A format no show asks for any longer is retired.
    """
    renditions = request_deliveries(audio, force=force, enqueue=enqueue)
    return next((r for r in renditions if r.format == AudioRendition.MP3), None)


def request_deliveries(
    audio: AudioFile, *, force: bool = False, enqueue: bool = True
) -> list[AudioRendition]:
    """``request_delivery`` for every wanted format: the renditions, MP3 first (so that one worker makes
    it, the enclosure, before the others, which then reuse its loudness measurement)."""
    if not enabled():
        return []
    wanted = formats_wanted(audio)
    renditions, queued = [], []
    with transaction.atomic():
        active = {r.format: r for r in audio.renditions.active().select_for_update()}
        for rendition in active.values():
            if rendition.format not in wanted:
                retire(rendition)
        for format in wanted:
            current = active.get(format)
            if current is not None and current.master_sha256 == audio.sha256 and not force:
                renditions.append(current)
                continue
            if current is not None:
                retire(current)
            rendition = AudioRendition.objects.create(audio=audio, format=format, master_sha256=audio.sha256)
            renditions.append(rendition)
            queued.append(rendition.pk)
    if enqueue and queued:
        from ..tasks import prepare_audio_task  # tasks imports this module

        def enqueue_all():
            for pk in queued:
                prepare_audio_task.enqueue(pk)

        transaction.on_commit(enqueue_all)
    return renditions


def try_again(audio: AudioFile, *, enqueue: bool = True) -> list[AudioRendition]:
    """*Try again* for the renditions of ``audio`` that failed: they are dropped and made again, and the
    others are left as they are, so that a failed Opus is remade while the ready MP3 stays the enclosure.
    Returns what ``request_deliveries`` returns."""
    with transaction.atomic():
        for rendition in audio.renditions.active().filter(status=AudioRendition.FAILED).select_for_update():
            retire(rendition)  # never done: deleted
    return request_deliveries(audio, enqueue=enqueue)


def request_for_show(show) -> int:
    """After a show is published (its extra formats may have changed): ``request_deliveries`` for each
    audio file of its episodes whose active renditions do not match the show's extra formats. Two queries find
    them, so that publishing a show of a thousand episodes whose formats did not change costs little.
    Returns how many audio files were looked at again."""
    from ..models import EpisodePage

    wanted = set(show.delivery_formats())
    audio_ids = set(
        EpisodePage.objects.child_of(show).filter(audio__isnull=False).values_list("audio_id", flat=True)
    )
    have: dict[int, set[str]] = {audio_id: set() for audio_id in audio_ids}
    rows = AudioRendition.objects.active().filter(audio_id__in=audio_ids, master_sha256=F("audio__sha256"))
    for audio_id, format in rows.values_list("audio_id", "format"):
        have[audio_id].add(format)
    # Missing an extra format this show wants, or holding one it does not (another show may still want
    # it: request_deliveries decides on the union). The MP3 is not this question: it is requested when
    # the audio file is saved.
    changed = [audio_id for audio_id, formats in have.items() if formats - {AudioRendition.MP3} != wanted]
    for audio in AudioFile.objects.filter(pk__in=changed):
        request_deliveries(audio)
    return len(changed)


def retire(rendition: AudioRendition) -> None:
    """Take a rendition out of use: a done one stays served for the grace period (podcast apps may be
    downloading it), one that never finished is deleted (a run still at work finds its claim gone), as is
    a re-tag of it at work (the replaced master wins)."""
    if rendition.status == AudioRendition.DONE:
        AudioRendition.objects.filter(pk=rendition.pk).update(retired_at=timezone.now())
        AudioRendition.objects.retags_at_work().filter(retag_of=rendition).delete()
    else:
        rendition.delete()


def delete_expired() -> int:
    """Delete the renditions retired longer than ``DELIVERY_GRACE_DAYS`` ago; their files go once the
    deletion is committed (signal handler). Run by the scheduler."""
    expired = list(AudioRendition.objects.expired())
    for rendition in expired:
        rendition.delete()
    if expired:
        logger.info("Deleted %d retired audio renditions", len(expired))
    return len(expired)


def requeue_stale() -> list[int]:
    """Queue again the renditions whose worker stopped beating (killed, machine lost); a rendition that has
    used its attempts is marked FAILED instead. Returns the ids queued again. Run by the scheduler."""
    from ..tasks import prepare_audio_task

    requeued = leases.requeue_stale(
        AudioRendition.objects.all(),
        lease_seconds=lease_seconds(),
        max_attempts=MAX_ATTEMPTS,
        enqueue=prepare_audio_task.enqueue,
        gave_up=f"The worker stopped {MAX_ATTEMPTS} times while preparing this file; not tried again.",
        retryable=False,
        retry_at=None,
    )
    if requeued:
        logger.warning("Queued again audio renditions whose worker stopped: %s", requeued)
    return requeued


def requeue_lost() -> list[int]:
    """Queue again the QUEUED renditions whose job the task queue does not hold (Redis was down when it was
    queued, or lost it): the rows are the truth (``operations.leases.requeue_lost``). Run by the scheduler."""
    from operations import queues

    from ..tasks import prepare_audio_task

    requeued = leases.requeue_lost(
        AudioRendition.objects.filter(retired_at__isnull=True),
        queues.unfinished_args(prepare_audio_task),
        prepare_audio_task.enqueue,
    )
    if requeued:
        logger.warning("Queued again audio renditions the task queue did not hold: %s", requeued)
    return requeued


class Failed(Exception):
    """The run failed for a reason the editor is told. ``retryable``: the cause is transient (storage, a
    full disk), so the scheduler tries again later; otherwise (the master does not decode) it would fail
    the same way again."""

    def __init__(self, reason: str, *, retryable: bool = False):
        super().__init__(reason)
        self.retryable = retryable


def run_delivery(rendition_id: int, progress=None) -> AudioRendition | None:
    """Prepare one queued rendition. Returns it (DONE or FAILED), or None when there was nothing to do
    (another worker claimed it, it was not queued, or it was superseded while this ran).
    ``progress(fraction)`` is also told, e.g. a progress bar."""
    claim = leases.claim(AudioRendition, rendition_id, retry_at=None)
    if claim is None:
        return None
    rendition = AudioRendition.objects.select_related("audio", "retag_of").get(pk=rendition_id)
    stored = None
    try:
        with (
            heartbeat(claim.rows, lease_seconds() / 4, f"rendition {rendition_id}"),
            tempfile.TemporaryDirectory(prefix="delivery-") as folder,
        ):
            output = Path(folder) / f"rendition.{rendition.format}"
            reporter = ProgressReporter(
                claim,
                every=PROGRESS_EVERY_SECONDS,
                give_up_after=lease_seconds(),
                label=f"rendition {rendition_id}",
                also=progress,
            )
            result = _produce(rendition, output, reporter)
            tags = finish(output, rendition)
            sha256, size = _digest(output)
            rendition.sha256 = sha256
            stored = _store(rendition, output)
        with transaction.atomic():
            # A re-tag replaces its source: retired first, so that one ready rendition is never two.
            if rendition.retag_of_id is not None and not _retire_source(rendition):
                raise Superseded(claim)
            updated = claim.rows().update(
                status=AudioRendition.DONE,
                progress=1,
                finished_at=timezone.now(),
                heartbeat_at=timezone.now(),
                file=stored,
                sha256=sha256,
                size=size,
                tags_digest=tags,
                duration_ms=result.duration_ms,
                bitrate=result.bitrate,
                sample_rate=result.sample_rate,
                channels=result.channels,
                copied=result.copied,
                loudness_before=result.before.integrated,
                true_peak_before=result.before.true_peak,
                loudness_after=result.after.integrated if result.after else None,
                true_peak_after=result.after.true_peak if result.after else None,
                waveform=result.waveform or "",
                measurement=result.measurement,
            )
            if not updated:
                raise Superseded(claim)
            transaction.on_commit(lambda: _delivered(rendition.audio_id))
    except Superseded:
        logger.info("Rendition %s was superseded while it was prepared; its result is dropped", rendition_id)
        if stored:
            _discard(rendition.file.storage, stored)
        return None
    except Failed as failure:
        return _fail(claim, str(failure), retryable=failure.retryable)
    except Exception as error:
        logger.exception("Preparing %s failed", rendition)
        if stored:
            _discard(rendition.file.storage, stored)
        reason = f"Something went wrong while preparing the file ({type(error).__name__})."
        return _fail(claim, reason, retryable=True)  # unknown: worth another try, within MAX_ATTEMPTS
    return AudioRendition.objects.get(pk=rendition_id)


def finish(path: Path, rendition: AudioRendition) -> str:
    """Write the episode's tags (title, show, artwork, chapters...) into the finished file, before it is
    hashed and stored, so that its URL's digest covers its tags too; returns the tags' digest, which says
    when the file must be re-tagged (``retagging.py``). Audio that no episode uses (an interview's, or not
    yet chosen) gets its own title only; a file the tagger cannot read fails the run with the reason, and
    nothing is stored."""
    tags = tags_of(rendition.audio)
    try:
        write_tags(path, tags)
    except TaggingError as error:
        raise Failed(f"The file was made but its tags could not be written: {error}") from error
    return tags_digest(tags)


def _produce(rendition: AudioRendition, output: Path, reporter):
    """The untagged file: a re-tag copies its source's bytes (nothing to encode), or encodes from the
    master when the source's file is missing; any other rendition is encoded."""
    if rendition.retag_of_id is not None:
        try:
            return copy_source(rendition, output)
        except FileNotFoundError:
            logger.warning(
                "The file of rendition %s is missing; encoding again instead", rendition.retag_of_id
            )
        except OSError as error:
            raise Failed(describe_storage_error(error), retryable=True) from error
    return _encode(rendition, output, reporter)


def _retire_source(rendition: AudioRendition) -> bool:
    """Retire the ready rendition a re-tag replaces, if it still is the ready one (a replaced master or
    an editor's *Try again* may have retired it meanwhile: then the re-tag is dropped)."""
    return bool(
        AudioRendition.objects.filter(
            pk=rendition.retag_of_id, status=AudioRendition.DONE, retired_at__isnull=True
        ).update(retired_at=timezone.now())
    )


def _encode(rendition: AudioRendition, output: Path, reporter):
    audio = rendition.audio
    if not audio.file or not audio.size:
        raise Failed(EMPTY)
    try:
        with local_path(audio.file) as master:
            if os.path.getsize(master) == 0:
                raise Failed(EMPTY)
            return encode(
                Path(master),
                output,
                duration_ms=audio.duration_ms,
                progress=reporter,
                spec=spec_for(rendition.format),
                measured=_measured(rendition),
            )
    except FileNotFoundError as error:
        raise Failed(MISSING) from error
    except EncodeError as error:
        raise Failed(str(error)) from error
    except OSError as error:  # the temporary folder's disk filled up under ffmpeg
        raise Failed(describe_storage_error(error), retryable=True) from error


def _measured(rendition: AudioRendition) -> dict | None:
    """Pass 1's measurement of the same master kept by another of its renditions (usually the MP3, made
    first), so that this one need not read the whole master for it again. Never for the MP3: the pass
    that measures also makes the waveform of the site's player, which plays the MP3."""
    if rendition.format == AudioRendition.MP3:
        return None
    return (
        AudioRendition.objects.filter(
            audio_id=rendition.audio_id, master_sha256=rendition.master_sha256, measurement__isnull=False
        )
        .exclude(pk=rendition.pk)
        .values_list("measurement", flat=True)
        .first()
    )


def _digest(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _store(rendition: AudioRendition, output: Path) -> str:
    """Save the finished file to storage under a name holding its digest; a failure deletes whatever was
    written and becomes the editor's reason."""
    field = rendition._meta.get_field("file")
    storage = field.storage
    stem = Path(rendition.audio.file.name).stem.rsplit("-", 1)[0] or "audio"
    filename = f"{stem}-{rendition.digest}.{rendition.format}"
    name = storage.get_available_name(
        field.generate_filename(rendition, filename), max_length=field.max_length
    )
    existed = storage.exists(name)
    try:
        with open(output, "rb") as handle:
            return storage.save(name, File(handle, name=filename), max_length=field.max_length)
    except Exception as error:
        logger.exception("Could not store the rendition %s", name)
        if not existed:
            _discard(storage, name)
        raise Failed(describe_storage_error(error), retryable=True) from error


def describe_storage_error(error: Exception) -> str:
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return DISK_FULL
    reason = getattr(error, "strerror", None) or "a storage error"  # never the server's paths
    return STORAGE_FAILED.format(reason=str(reason)[:200].rstrip("."))


def _discard(storage, name: str) -> None:
    try:
        if storage.exists(name):
            storage.delete(name)
    except Exception:
        logger.exception("Could not delete %s after a failed run; delete it by hand", name)


def _fail(claim: Claim, reason: str, *, retryable: bool = False) -> AudioRendition | None:
    """Record a failed run; a transient failure with attempts left gets the time of its retry."""

    def record():
        attempts = AudioRendition.objects.values_list("attempts", flat=True).filter(pk=claim.pk)
        retry_at = next_retry_at(attempts.first() or 0, MAX_ATTEMPTS) if retryable else None
        return claim.rows().update(
            status=AudioRendition.FAILED,
            error=reason,
            finished_at=timezone.now(),
            progress=0,
            retryable=retryable,
            retry_at=retry_at,
        )

    retrying(
        record,
        f"recording the failure of rendition {claim.pk}",
        give_up_after=lease_seconds(),
    )
    return AudioRendition.objects.filter(pk=claim.pk).first()


def _delivered(audio_id: int) -> None:
    """A rendition is ready: the feeds that list the audio's episodes change (enclosure, length). The
    episode may have been published with new tags while the file was made: checked again."""
    from ..signal_handlers import touch_feeds

    touch_feeds()
    audio = AudioFile.objects.filter(pk=audio_id).first()
    if audio is not None:
        check_tags(audio)
