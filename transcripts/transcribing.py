"""Running a transcription: claim the job, spool the engine's segments, then store them in one go.

A run owns its transcript from its claim (QUEUED -> RUNNING, stamped with ``started_at``) until it stores its
result, and only while nothing else has changed the transcript since: an editor's import, a replaced audio
file (queued again), a newer run. Every write of the run (progress, heartbeat, result, failure) is conditional
on its claim (the lease of ``operations.leases``, shared with audio delivery), so a run that was overtaken
writes nothing, stops at its next progress report and leaves the newer state alone. To make that possible the
segments are spooled to a temporary file as the engine yields them (a long episode is never held in memory)
and written to the transcript in one transaction at the end, after keeping an editor's corrections as a
revision. Until then the previous segments stay as they were; a failed run leaves them too, and the transcript
FAILED with the reason.

The database may go away during a run (a restart, a failover): the run's writes wait for it and go on
(operations/reconnecting.py) for up to the lease (TRANSCRIPTION_LEASE_SECONDS), after which the scheduler
would presume the worker dead anyway.
"""

from __future__ import annotations

import json
import logging
import tempfile

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Now
from django.utils import timezone
from wagtail import hooks

from episodes.signal_handlers import touch_feeds
from operations import leases
from operations.leases import Claim, ProgressReporter, Superseded, heartbeat
from operations.local_files import local_path
from operations.reconnecting import retrying
from pagecache.purging import purge_for

from .engines import get_engine
from .engines.base import limit_prompt
from .language import hold_reason, language_hint
from .models import Segment, Transcript, TranscriptRevision, snapshot
from .notifications import transcript_finished
from .speakers import SpeakerLines

logger = logging.getLogger(__name__)

BATCH_SIZE = 50
MAX_ATTEMPTS = 3
PROGRESS_EVERY_SECONDS = 2.0
# Wagtail hook: ``fn() -> iterable of str``, words the engine should spell right (the concepts app adds
# its terms and aliases).
VOCABULARY_HOOK = "transcription_vocabulary"
# Wagtail hook: ``fn(transcript)``, called after a transcript is finished or its segments are replaced
# (re-run, editor's corrections, import); the concepts app links concepts to its segments.
TRANSCRIPT_CHANGED_HOOK = "transcript_changed"


def request_transcription(audio, *, force: bool = False, enqueue: bool = True) -> Transcript:
    """Make sure ``audio`` has a transcript of its present content, queueing a run after commit if not.

    ``audio_sha256`` names the content a transcript is for, from the moment it is queued: saving the
    audio again (a new title) queues nothing, replacing its file does. A failed run is not retried by
    itself, and a transcript an editor corrected is never replaced, unless ``force`` is given (the editor
    asked, in the admin or with ``manage.py transcribe --force``); even then the run keeps the corrections
    as a revision before it replaces them (see ``_store``). With ``enqueue=False`` the transcript is only
    marked QUEUED, for a caller that runs it in the foreground (``manage.py transcribe --sync``).
    """
    transcript, _ = Transcript.objects.get_or_create(audio=audio)
    if not force and (transcript.edited or transcript.audio_sha256 == audio.sha256):
        return transcript
    Transcript.objects.filter(pk=transcript.pk).update(
        status=Transcript.QUEUED, audio_sha256=audio.sha256, progress=0, error="", queued_at=timezone.now()
    )
    if enqueue:
        from .tasks import transcribe_audio  # tasks imports this module

        transaction.on_commit(lambda: transcribe_audio.enqueue(transcript.pk))
    transcript.refresh_from_db()
    return transcript


def lease_seconds() -> int:
    """How long a RUNNING transcript may go without a heartbeat before its worker is presumed dead."""
    return getattr(settings, "TRANSCRIPTION_LEASE_SECONDS", 600)


def requeue_stale() -> list[int]:
    """Queue again the transcripts whose worker stopped beating (killed, machine lost).

    The task queue's database backend leaves such a task RUNNING for ever, so the transcript's own
    heartbeat decides. A transcript that has used up its attempts is marked FAILED instead. Returns the
    ids queued again.
    """
    from .tasks import transcribe_audio

    requeued = leases.requeue_stale(
        Transcript.objects.all(),
        lease_seconds=lease_seconds(),
        max_attempts=MAX_ATTEMPTS,
        enqueue=transcribe_audio.enqueue,
        gave_up=f"The worker stopped {MAX_ATTEMPTS} times while transcribing; not tried again.",
        on_give_up=transcript_finished,
    )
    if requeued:
        logger.warning("Queued again transcripts whose worker stopped: %s", requeued)
    return requeued


def vocabulary() -> list[str]:
    """Names and terms the engine should spell as we do: the TRANSCRIPTION_VOCABULARY setting, shows,
    people, and whatever hooks add."""
    from episodes.models import Person, ShowPage

    terms = list(getattr(settings, "TRANSCRIPTION_VOCABULARY", []))
    terms += ShowPage.objects.live().values_list("title", flat=True)
    terms += Person.objects.values_list("name", flat=True)
    for fn in hooks.get_hooks(VOCABULARY_HOOK):
        terms += list(fn())
    return list(dict.fromkeys(t.strip() for t in terms if t and t.strip()))


def glossary_prompt() -> str:
    terms = vocabulary()
    return limit_prompt("Glossary: " + ", ".join(terms) + ".") if terms else ""


def run_transcription(transcript_id: int, progress=None) -> Transcript | None:
    """Transcribe one queued transcript. Returns None when there was nothing to do (another worker
    claimed it, or it was not queued) or when the transcript changed while this ran (see ``Superseded``).
    ``progress(fraction)`` is also told, e.g. a progress bar."""
    claim = leases.claim(Transcript, transcript_id)
    if claim is None:
        return None
    audio = Transcript.objects.select_related("audio").get(pk=transcript_id).audio
    engine = get_engine()
    reporter = ProgressReporter(
        claim,
        every=PROGRESS_EVERY_SECONDS,
        give_up_after=lease_seconds(),
        label=f"transcript {transcript_id}",
        also=progress,
    )
    try:
        with (
            # The engine reports nothing while it loads its model, decodes or crosses a long silence.
            heartbeat(claim.rows, lease_seconds() / 4, f"transcript {transcript_id}"),
            local_path(audio.file) as path,
            tempfile.TemporaryFile("w+", encoding="utf-8") as spool,
        ):
            hint = language_hint(audio)
            info, segments = engine.transcribe(
                path, prompt=glossary_prompt(), language_hint=hint or None, progress=reporter
            )
            # Whisper's segments follow its decoding windows; the stored ones are lines a person would cut,
            # at changes of speaker too (found after the engine; see speakers.py).
            speaker_lines = SpeakerLines(path, audio=audio, remembered=_voices(transcript_id))
            for result in speaker_lines.lines(segments):
                row = [
                    result.start_ms,
                    max(result.end_ms, result.start_ms),
                    result.text.strip(),
                    [[w.start_ms, w.end_ms, w.text, w.probability] for w in result.words],
                    result.speaker,
                ]
                spool.write(json.dumps(row) + "\n")
            reason = hold_reason(info, hint)  # after the segments are read: their signals are complete
            _store(
                claim,
                spool,
                engine=engine.name,
                model=engine.model_label,
                language=info.language,
                held=bool(reason),
                held_reason=reason,
                **speaker_lines.fields(),
            )
    except Superseded:
        logger.info("Transcript %s changed while this run worked on it; its result is dropped", transcript_id)
        return None
    except Exception as exc:
        logger.exception("Transcription of %s failed", audio)
        reason = f"{type(exc).__name__}: {exc}"
        retrying(
            lambda: _failed(claim, reason),
            f"recording the failure of transcript {transcript_id}",
            give_up_after=lease_seconds(),
        )
        raise
    transcript_finished(transcript_id)

    def changed() -> Transcript:
        transcript = Transcript.objects.get(pk=transcript_id)
        transcript_changed(transcript)
        return transcript

    what = f"telling what depends on transcript {transcript_id} that it changed"
    return retrying(changed, what, give_up_after=lease_seconds())


def _voices(transcript_id: int) -> dict:
    """The voice prints of the names the transcript's speakers have now, for a re-run to name them alike."""
    return Transcript.objects.values_list("voices", flat=True).get(pk=transcript_id) or {}


def _store(claim: Claim, spool, **fields) -> None:
    """Store the spooled segments (``_store_once``), again from the start of the spool when the database
    went away before the transaction was committed. When the commit reached the database but its answer
    did not reach this run, the next attempt finds the transcript stored by this very claim: done."""
    attempts = 0

    def store():
        nonlocal attempts
        attempts += 1
        if attempts > 1 and _stored_by(claim):
            return
        spool.seek(0)
        _store_once(claim, spool, **fields)

    retrying(store, f"storing transcript {claim.pk}", give_up_after=lease_seconds())


def _stored_by(claim: Claim) -> bool:
    return Transcript.objects.filter(
        pk=claim.pk, status=Transcript.DONE, started_at=claim.started_at
    ).exists()


def _store_once(claim: Claim, spool, **fields) -> None:
    """Replace the transcript's segments with the spooled ones and mark it DONE, in one transaction, if
    the run still holds its claim (``Superseded`` if not). An editor's corrections are kept as a revision
    first."""
    with transaction.atomic():
        # A write first: from here to the commit the row (PostgreSQL) or the database (SQLite, whose
        # transactions here are IMMEDIATE) is this run's, so nothing can come between check and write.
        if not claim.rows().update(heartbeat_at=Now()):  # the database's time: see operations.leases
            raise Superseded(claim)
        transcript = Transcript.objects.get(pk=claim.pk)
        if transcript.edited:
            snapshot(transcript, TranscriptRevision.RERUN)
        transcript.segments.all().delete()
        batch: list[Segment] = []
        for index, line in enumerate(spool):
            start_ms, end_ms, text, words, speaker = json.loads(line)
            batch.append(
                Segment(
                    transcript=transcript,
                    index=index,
                    start_ms=start_ms,
                    end_ms=end_ms,
                    text=text,
                    speaker=speaker[:100],
                    words=words,
                )
            )
            if len(batch) >= BATCH_SIZE:
                Segment.objects.bulk_create(batch)
                batch = []
        Segment.objects.bulk_create(batch)
        Transcript.objects.filter(pk=claim.pk).update(
            status=Transcript.DONE,
            progress=1,
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
            edited=False,
            **fields,
        )


def transcript_changed(transcript: Transcript) -> None:
    """Tell whoever depends on a transcript's segments that they changed: feeds (and their WebSub hubs)
    list transcript files, cached pages show them, and ``transcript_changed`` hooks (concept linking,
    search indexing) read the segments."""
    touch_feeds()
    purge_for(transcript)  # its pages, files, and what quotes it (``transcripts.purges``)
    for fn in hooks.get_hooks(TRANSCRIPT_CHANGED_HOOK):
        fn(transcript)


def retry_delays() -> list[int]:
    """Seconds to wait before each retry of a failed run (a storage hiccup, a worker out of memory)."""
    return list(getattr(settings, "TRANSCRIPTION_RETRY_DELAYS", [60, 600]))


def _failed(claim: Claim, error: str) -> None:
    """Record a failed run; queue a later retry while attempts remain and the queue can defer work. Not if
    the transcript changed meanwhile (an import, a replaced file): that is not this run's to mark."""
    from .tasks import transcribe_audio

    transcript_id = claim.pk
    attempts = Transcript.objects.values_list("attempts", flat=True).get(pk=transcript_id)
    delays = retry_delays()
    can_defer = transcribe_audio.get_backend().supports_defer
    if attempts < MAX_ATTEMPTS and attempts <= len(delays) and can_defer:
        run_after = timezone.now() + timezone.timedelta(seconds=delays[attempts - 1])
        if claim.rows().update(
            status=Transcript.QUEUED, error=f"{error} (trying again at {run_after:%H:%M:%S} UTC)"
        ):
            transaction.on_commit(lambda: transcribe_audio.using(run_after=run_after).enqueue(transcript_id))
        return
    if claim.rows().update(status=Transcript.FAILED, error=error, finished_at=timezone.now()):
        transcript_finished(transcript_id)
