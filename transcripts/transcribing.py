"""Running a transcription: claim the job, stream the engine's segments into the database, finish.

Segments are written in batches as the engine yields them, so a long episode never holds all its results in
memory. The transcript records progress and a heartbeat while it runs; a failure leaves it FAILED with the
reason, for the editor to read in the admin.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from wagtail import hooks

from episodes.signal_handlers import touch_feeds

from .engines import get_engine
from .engines.base import limit_prompt
from .models import Segment, Transcript

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
    asked, in the admin). With ``enqueue=False`` the transcript is only marked QUEUED, for a caller that
    runs it in the foreground (``manage.py transcribe --sync``).
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

    cutoff = timezone.now() - timezone.timedelta(seconds=lease_seconds())
    stale = Transcript.objects.filter(status=Transcript.RUNNING, heartbeat_at__lt=cutoff)
    stale.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=Transcript.FAILED,
        finished_at=timezone.now(),
        error=f"The worker stopped {MAX_ATTEMPTS} times while transcribing; not tried again.",
    )
    requeued = []
    for pk in stale.filter(attempts__lt=MAX_ATTEMPTS).values_list("pk", flat=True):
        # Only if still stale: another process may have requeued it since the query.
        if Transcript.objects.filter(pk=pk, status=Transcript.RUNNING, heartbeat_at__lt=cutoff).update(
            status=Transcript.QUEUED, queued_at=timezone.now()
        ):
            requeued.append(pk)
            transaction.on_commit(lambda pk=pk: transcribe_audio.enqueue(pk))
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


@contextmanager
def heartbeat(transcript_id: int, every: float):
    """Beat every ``every`` seconds from a thread while the engine works, even through stretches that
    report no progress (loading the model, decoding, long silences), so that only a dead worker's
    transcript goes stale."""
    stop = threading.Event()

    def beat():
        try:
            while not stop.wait(every):
                Transcript.objects.filter(pk=transcript_id, status=Transcript.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        finally:
            connection.close()  # the thread's own connection

    thread = threading.Thread(target=beat, name=f"heartbeat-{transcript_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@contextmanager
def local_path(field_file):
    """A path on this machine for the stored file: the file itself, or a temporary copy when the storage
    is remote (object storage has no path)."""
    try:
        yield field_file.path
        return
    except NotImplementedError:
        pass
    suffix = os.path.splitext(field_file.name)[1]
    with tempfile.NamedTemporaryFile(suffix=suffix) as copy, field_file.open("rb") as source:
        shutil.copyfileobj(source, copy, 1024 * 1024)
        copy.flush()
        yield copy.name


def run_transcription(transcript_id: int, progress=None) -> Transcript | None:
    """Transcribe one queued transcript. Returns None when there was nothing to do (another worker
    claimed it, or it was not queued). ``progress(fraction)`` is also told, e.g. a progress bar."""
    now = timezone.now()
    claimed = Transcript.objects.filter(pk=transcript_id, status=Transcript.QUEUED).update(
        status=Transcript.RUNNING,
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
        progress=0,
        error="",
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    transcript = Transcript.objects.select_related("audio").get(pk=transcript_id)
    audio = transcript.audio
    engine = get_engine()
    reporter = _ProgressReporter(transcript_id, also=progress)
    try:
        with heartbeat(transcript_id, lease_seconds() / 4), local_path(audio.file) as path:
            info, segments = engine.transcribe(path, prompt=glossary_prompt(), progress=reporter)
            Segment.objects.filter(transcript=transcript).delete()
            batch: list[Segment] = []
            for index, result in enumerate(segments):
                batch.append(
                    Segment(
                        transcript=transcript,
                        index=index,
                        start_ms=result.start_ms,
                        end_ms=max(result.end_ms, result.start_ms),
                        text=result.text.strip(),
                        words=[[w.start_ms, w.end_ms, w.text, w.probability] for w in result.words],
                    )
                )
                if len(batch) >= BATCH_SIZE:
                    Segment.objects.bulk_create(batch)
                    batch = []
            Segment.objects.bulk_create(batch)
    except Exception as exc:
        logger.exception("Transcription of %s failed", audio)
        _failed(transcript_id, f"{type(exc).__name__}: {exc}")
        raise
    Transcript.objects.filter(pk=transcript_id).update(
        status=Transcript.DONE,
        progress=1,
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
        engine=engine.name,
        model=engine.model_label,
        language=info.language,
        edited=False,
    )
    transcript.refresh_from_db()
    transcript_changed(transcript)
    return transcript


def transcript_changed(transcript: Transcript) -> None:
    """Tell whoever depends on a transcript's segments that they changed: feeds (and their WebSub hubs)
    list transcript files, and ``transcript_changed`` hooks (concept linking) read the segments."""
    touch_feeds()
    for fn in hooks.get_hooks(TRANSCRIPT_CHANGED_HOOK):
        fn(transcript)


def retry_delays() -> list[int]:
    """Seconds to wait before each retry of a failed run (a storage hiccup, a worker out of memory)."""
    return list(getattr(settings, "TRANSCRIPTION_RETRY_DELAYS", [60, 600]))


def _failed(transcript_id: int, error: str) -> None:
    """Record a failed run; queue a later retry while attempts remain and the queue can defer work."""
    from .tasks import transcribe_audio

    attempts = Transcript.objects.values_list("attempts", flat=True).get(pk=transcript_id)
    delays = retry_delays()
    can_defer = transcribe_audio.get_backend().supports_defer
    if attempts < MAX_ATTEMPTS and attempts <= len(delays) and can_defer:
        run_after = timezone.now() + timezone.timedelta(seconds=delays[attempts - 1])
        Transcript.objects.filter(pk=transcript_id).update(
            status=Transcript.QUEUED, error=f"{error} (trying again at {run_after:%H:%M:%S} UTC)"
        )
        transaction.on_commit(lambda: transcribe_audio.using(run_after=run_after).enqueue(transcript_id))
        return
    Transcript.objects.filter(pk=transcript_id).update(
        status=Transcript.FAILED, error=error, finished_at=timezone.now()
    )


class _ProgressReporter:
    """Writes progress and the heartbeat at most every couple of seconds (and always at the end)."""

    def __init__(self, transcript_id: int, also=None):
        self.transcript_id = transcript_id
        self.also = also
        self.last = 0.0

    def __call__(self, fraction: float) -> None:
        if self.also is not None:
            self.also(fraction)
        now = time.monotonic()
        if fraction < 1 and now - self.last < PROGRESS_EVERY_SECONDS:
            return
        self.last = now
        Transcript.objects.filter(pk=self.transcript_id).update(
            progress=min(max(fraction, 0), 1), heartbeat_at=timezone.now()
        )
