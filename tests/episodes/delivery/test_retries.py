"""A rendition that failed for a transient reason (storage, a full disk) is tried again by the scheduler
after a delay, up to MAX_ATTEMPTS; one that would fail the same way again (the master does not decode,
is empty) waits for the editor. A run's heartbeat beats through a slow step that reports no progress, so
the scheduler never takes a live run for a dead one. /health/ counts the renditions in trouble."""

from __future__ import annotations

import errno
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from episodes.delivery.preparing import (
    EMPTY,
    MAX_ATTEMPTS,
    STORAGE_FAILED,
    request_delivery,
    requeue_stale,
    run_delivery,
)
from episodes.delivery.retries import retry_failed
from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from episodes.models import AudioRendition

pytestmark = pytest.mark.django_db


@pytest.fixture
def audio(masters):
    return AudioFileFactory(path=masters["ready_mp3"], title="Deciding together")  # a stream copy: quick


@pytest.fixture
def broken_storage(monkeypatch):
    """Media storage that fails to save the next ``failures`` files with an I/O error, as a network
    file system or a dying disk does; then works again."""
    save = FileSystemStorage._save
    state = {"failures": 0}

    def failing(self, name, content):
        if state["failures"] > 0:
            state["failures"] -= 1
            raise OSError(errno.EIO, "Input/output error")
        return save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", failing)
    return state


def prepare(audio) -> AudioRendition:
    return run_delivery(request_delivery(audio, enqueue=False).pk)


def time_passes(rendition: AudioRendition) -> None:
    """Its retry time has come (instead of waiting a minute in the test)."""
    AudioRendition.objects.filter(pk=rendition.pk).update(retry_at=timezone.now() - timedelta(seconds=1))


def test_a_storage_failure_is_tried_again_later_and_then_succeeds(
    audio, broken_storage, django_capture_on_commit_callbacks
):
    broken_storage["failures"] = 1
    started = timezone.now()

    failed = prepare(audio)

    assert failed.status == AudioRendition.FAILED
    assert failed.error == STORAGE_FAILED.format(reason="Input/output error")
    assert failed.retryable and failed.attempts == 1
    assert timedelta(seconds=59) <= failed.retry_at - started <= timedelta(seconds=70)  # the first delay
    assert retry_failed() == []  # not before its time

    time_passes(failed)
    with django_capture_on_commit_callbacks(execute=True):  # the (immediate) worker runs it
        assert retry_failed() == [failed.pk]

    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.retry_at) == (AudioRendition.DONE, 2, None)
    assert failed.file and failed.size


def test_the_delay_grows_and_the_retries_stop_after_max_attempts(
    audio, broken_storage, settings, django_capture_on_commit_callbacks
):
    settings.DELIVERY_RETRY_DELAYS = [30, 300]
    broken_storage["failures"] = MAX_ATTEMPTS  # storage stays down
    rendition = prepare(audio)
    delays = [rendition.retry_at - rendition.finished_at]
    for _ in range(MAX_ATTEMPTS - 1):
        time_passes(rendition)
        with django_capture_on_commit_callbacks(execute=True):
            assert retry_failed() == [rendition.pk]
        rendition.refresh_from_db()
        assert rendition.status == AudioRendition.FAILED
        if rendition.retry_at:
            delays.append(rendition.retry_at - rendition.finished_at)

    assert [round(d.total_seconds()) for d in delays] == [30, 300]
    assert (rendition.attempts, rendition.retryable, rendition.retry_at) == (MAX_ATTEMPTS, True, None)
    assert retry_failed() == []  # given up: it waits for the editor's Try again


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(b"", id="empty master"),
        pytest.param(b"RIFF\x00\x00\x00\x00WAVEnot audio at all " * 50, id="master ffmpeg cannot decode"),
    ],
)
def test_a_permanent_failure_is_not_tried_again(masters, spoil, settings):
    audio = AudioFileFactory(path=masters["quiet_stereo_wav"], title="Spoilt")
    (settings.MEDIA_ROOT / audio.file.name).write_bytes(spoil)

    failed = prepare(audio)

    assert failed.status == AudioRendition.FAILED and not failed.retryable and failed.retry_at is None
    assert failed.error == EMPTY if not spoil else "ffmpeg could not read" in failed.error
    AudioRendition.objects.filter(pk=failed.pk).update(retry_at=timezone.now() - timedelta(hours=1))
    assert retry_failed() == []


def test_the_editor_is_told_a_transient_failure_is_tried_again_by_itself(
    admin_client, home_page, audio, broken_storage
):
    episode = EpisodePageFactory(parent=ShowPageFactory(parent=home_page), audio=audio)
    broken_storage["failures"] = 1
    prepare(audio)

    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[episode.pk])).content.decode()

    assert "<strong>failed</strong>" in html and "Input/output error" in html
    assert "It is tried again by itself in 1\xa0minute" in html or "in 0\xa0minutes" in html


def test_the_scheduler_runs_the_retries():
    jobs = [path for path, _ in settings.SCHEDULED_JOBS]
    assert "episodes.delivery.retries.retry_failed" in jobs
    assert import_string("episodes.delivery.retries.retry_failed") is retry_failed


def test_health_counts_stalled_retrying_and_failed_renditions(client, masters):
    def rendition(title, **fields):
        made = request_delivery(AudioFileFactory(path=masters["ready_mp3"], title=title), enqueue=False)
        AudioRendition.objects.filter(pk=made.pk).update(**fields)

    long_ago = timezone.now() - timedelta(hours=1)
    rendition("Stalled", status=AudioRendition.RUNNING, heartbeat_at=long_ago, attempts=1)
    rendition("Alive", status=AudioRendition.RUNNING, heartbeat_at=timezone.now(), attempts=1)
    later = timezone.now() + timedelta(minutes=1)
    rendition("Retrying", status=AudioRendition.FAILED, retryable=True, retry_at=later)
    rendition("Broken", status=AudioRendition.FAILED, error="ffmpeg could not read")
    rendition("Queued", status=AudioRendition.QUEUED)

    workers = client.get("/health/").json()["workers"]

    counts = {k: workers[k] for k in ("stalled_renditions", "retrying_renditions", "failed_renditions")}
    assert counts == {"stalled_renditions": 1, "retrying_renditions": 1, "failed_renditions": 1}


# Committed rows, so that the heartbeat thread's own connection sees the claimed rendition.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_live_run_in_a_slow_step_keeps_its_lease(masters, settings, monkeypatch):
    """Storing the file takes longer than the lease and reports no progress; the heartbeat thread keeps
    the run alive, so the scheduler leaves it alone. Without the thread, the scheduler would queue the
    run again under it (and a second worker would make the same file)."""
    settings.DELIVERY_LEASE_SECONDS = 1  # beats every 0.25 s
    save = FileSystemStorage._save
    seen = {}

    def slow(self, name, content):
        if name.startswith("audio/renditions/"):
            time.sleep(2.5)  # an upload to slow object storage
            seen["requeued"] = requeue_stale()
            rendition = AudioRendition.objects.get(status=AudioRendition.RUNNING)
            seen["beat_age"] = timezone.now() - rendition.heartbeat_at
        return save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", slow)
    # Committed at once: the upload's on-commit task runs the rendition here (the immediate backend).
    audio = AudioFileFactory(path=masters["ready_mp3"], title="Slow storage")

    assert seen["requeued"] == []
    assert seen["beat_age"] < timedelta(seconds=1)
    done = audio.renditions.get()
    assert (done.status, done.attempts) == (AudioRendition.DONE, 1)
