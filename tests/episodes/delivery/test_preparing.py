"""Renditions in the site: made after the upload commits, served at their own URL, in the feed, replaced
with the master, and the failures an editor must be told about. Real ffmpeg on a few seconds of speech."""

from __future__ import annotations

import errno
from datetime import timedelta
from pathlib import Path

import feedparser
import pytest
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from episodes.delivery.preparing import (
    DISK_FULL,
    EMPTY,
    MAX_ATTEMPTS,
    delete_expired,
    request_delivery,
    requeue_stale,
    run_delivery,
)
from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from episodes.models import AudioRendition

from .conftest import STEREO_TARGET, loudness

pytestmark = pytest.mark.django_db


@pytest.fixture
def show(home_page):
    show = ShowPageFactory(parent=home_page, slug="coproduction")
    show.save_revision().publish()
    return show


@pytest.fixture
def wav_audio(masters):
    return AudioFileFactory(path=masters["quiet_stereo_wav"], title="Deciding together")


def publish_episode(show, audio):
    episode = EpisodePageFactory(parent=show, slug="deciding-together", audio=audio)
    episode.save_revision().publish()
    return episode


def prepare(audio) -> AudioRendition:
    rendition = request_delivery(audio, enqueue=False)
    return run_delivery(rendition.pk)


def feed_entries(client, show):
    response = client.get(reverse("episodes:feed", kwargs={"pk": show.pk}))
    return feedparser.parse(response.content).entries


def stored_renditions():
    root = settings.MEDIA_ROOT / "audio" / "renditions"
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_an_upload_gets_its_rendition_after_commit(masters, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        audio = AudioFileFactory(path=masters["quiet_stereo_wav"], title="Uploaded")

    rendition = audio.renditions.get()
    assert rendition.status == AudioRendition.DONE, rendition.error
    assert (rendition.format, rendition.master_sha256, rendition.copied) == ("mp3", audio.sha256, False)
    assert (rendition.bitrate, rendition.sample_rate, rendition.channels) == (128_000, 44100, 2)
    assert abs(rendition.duration_ms - audio.duration_ms) <= 50
    assert rendition.loudness_before < STEREO_TARGET - 15
    assert abs(rendition.loudness_after - STEREO_TARGET) <= 1
    assert rendition.progress == 1
    path = settings.MEDIA_ROOT / rendition.file.name
    assert path.stat().st_size == rendition.size
    assert rendition.url == f"/audio/{audio.pk}/r/{rendition.sha256[:16]}.mp3"
    assert abs(loudness(path).integrated - STEREO_TARGET) <= 1


def test_a_wav_episode_enters_the_feed_with_its_rendition(
    client, show, wav_audio, django_capture_on_commit_callbacks
):
    publish_episode(show, wav_audio)
    assert feed_entries(client, show) == []  # a WAV enclosure Apple would refuse: wait for the rendition

    with django_capture_on_commit_callbacks(execute=True):  # a ready rendition changes the feed
        rendition = prepare(wav_audio)

    (entry,) = feed_entries(client, show)
    (enclosure,) = entry.enclosures
    assert enclosure.href.endswith(f"://localhost{rendition.url}")  # the default site's host
    assert enclosure.type == "audio/mpeg"
    assert (
        int(enclosure.length) == rendition.size == (settings.MEDIA_ROOT / rendition.file.name).stat().st_size
    )
    assert entry.itunes_duration == str(round(rendition.duration_ms / 1000))
    served = client.get(rendition.url)
    assert served.status_code == 200 and served["Content-Type"] == "audio/mpeg"
    assert b"".join(served.streaming_content) == (settings.MEDIA_ROOT / rendition.file.name).read_bytes()
    ranged = client.get(rendition.url, HTTP_RANGE="bytes=0-99")
    assert ranged.status_code == 206 and ranged["Content-Range"] == f"bytes 0-99/{rendition.size}"


def test_an_mp3_master_is_in_the_feed_as_it_is_until_its_rendition_is_ready(
    client, show, masters, django_capture_on_commit_callbacks
):
    audio = AudioFileFactory(path=masters["ready_mp3"], title="Ready")
    publish_episode(show, audio)
    (entry,) = feed_entries(client, show)
    assert entry.enclosures[0].href.endswith(audio.url)

    with django_capture_on_commit_callbacks(execute=True):
        rendition = prepare(audio)

    assert rendition.copied  # podcast-ready already: the stream was copied, not encoded again
    (entry,) = feed_entries(client, show)
    assert entry.enclosures[0].href.endswith(rendition.url)


def test_replacing_the_master_retires_the_rendition_for_the_grace_period(
    client, admin_client, show, wav_audio, masters, django_capture_on_commit_callbacks
):
    publish_episode(show, wav_audio)
    old = prepare(wav_audio)
    old_bytes = (settings.MEDIA_ROOT / old.file.name).read_bytes()
    upload = SimpleUploadedFile("loud.flac", masters["loud_stereo_flac"].read_bytes())

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("wagtailsnippets_episodes_audiofile:edit", args=[wav_audio.pk]),
            {"title": "Deciding together", "file": upload},
        )

    assert response.status_code == 302
    old.refresh_from_db()
    new = wav_audio.renditions.active().get()
    assert old.retired_at is not None and new.status == AudioRendition.DONE
    assert new.url != old.url
    (entry,) = feed_entries(client, show)
    assert entry.enclosures[0].href.endswith(new.url)
    # Apps mid-download keep getting the old bytes at the old URL, for the grace period.
    served = client.get(old.url)
    assert served.status_code == 200 and b"".join(served.streaming_content) == old_bytes

    AudioRendition.objects.filter(pk=old.pk).update(
        retired_at=timezone.now() - timedelta(days=settings.DELIVERY_GRACE_DAYS, minutes=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert delete_expired() == 1

    assert client.get(old.url).status_code == 404
    assert not (settings.MEDIA_ROOT / old.file.name).exists()
    assert client.get(new.url).status_code == 200


def test_a_master_ffmpeg_cannot_decode_fails_with_a_reason_and_stays_untouched(client, show, wav_audio):
    publish_episode(show, wav_audio)
    master = settings.MEDIA_ROOT / wav_audio.file.name
    garbage = b"RIFF\x00\x00\x00\x00WAVEnot audio at all " * 50
    master.write_bytes(garbage)  # the stored file went bad after its checks

    rendition = prepare(wav_audio)

    assert rendition.status == AudioRendition.FAILED
    assert "ffmpeg could not read the audio of the master file" in rendition.error
    assert str(settings.MEDIA_ROOT) not in rendition.error
    assert master.read_bytes() == garbage
    assert stored_renditions() == []
    assert feed_entries(client, show) == []


def test_an_empty_master_fails_with_a_reason(wav_audio):
    (settings.MEDIA_ROOT / wav_audio.file.name).write_bytes(b"")
    rendition = prepare(wav_audio)
    assert (rendition.status, rendition.error) == (AudioRendition.FAILED, EMPTY)


def test_a_full_disk_fails_the_rendition_and_nothing_is_served(client, show, wav_audio, monkeypatch):
    publish_episode(show, wav_audio)
    master = settings.MEDIA_ROOT / wav_audio.file.name
    master_bytes = master.read_bytes()

    def disk_full(self, name, content):
        path = Path(self.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.read(1000))  # half-written, as on a real disk
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", disk_full)
    rendition = prepare(wav_audio)
    monkeypatch.undo()

    assert (rendition.status, rendition.error) == (AudioRendition.FAILED, DISK_FULL)
    assert master.read_bytes() == master_bytes
    assert not rendition.file and not rendition.sha256
    assert stored_renditions() == []  # the partial file is gone
    assert feed_entries(client, show) == []


def test_a_failed_rendition_is_tried_again_on_request(wav_audio):
    (settings.MEDIA_ROOT / wav_audio.file.name).write_bytes(b"")
    failed = prepare(wav_audio)
    assert request_delivery(wav_audio, enqueue=False) == failed  # not by itself

    rendition = request_delivery(wav_audio, force=True, enqueue=False)

    assert rendition.pk != failed.pk and rendition.status == AudioRendition.QUEUED
    assert not AudioRendition.objects.filter(pk=failed.pk).exists()


def test_a_run_whose_worker_died_is_queued_again_by_the_scheduler(
    wav_audio, django_capture_on_commit_callbacks
):
    rendition = request_delivery(wav_audio, enqueue=False)
    stale = timezone.now() - timedelta(seconds=settings.DELIVERY_LEASE_SECONDS + 60)
    AudioRendition.objects.filter(pk=rendition.pk).update(
        status=AudioRendition.RUNNING, started_at=stale, heartbeat_at=stale, attempts=1
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stale() == [rendition.pk]

    rendition.refresh_from_db()
    assert rendition.status == AudioRendition.DONE, rendition.error  # the (immediate) worker ran it
    assert rendition.attempts == 2


def test_a_rendition_that_killed_its_worker_too_often_fails(wav_audio):
    rendition = request_delivery(wav_audio, enqueue=False)
    stale = timezone.now() - timedelta(seconds=settings.DELIVERY_LEASE_SECONDS + 60)
    AudioRendition.objects.filter(pk=rendition.pk).update(
        status=AudioRendition.RUNNING, heartbeat_at=stale, attempts=MAX_ATTEMPTS
    )
    assert requeue_stale() == []
    rendition.refresh_from_db()
    assert rendition.status == AudioRendition.FAILED and "stopped" in rendition.error


def test_the_scheduler_runs_the_delivery_jobs():
    jobs = [path for path, _ in settings.SCHEDULED_JOBS]
    for job in ("episodes.delivery.preparing.requeue_stale", "episodes.delivery.preparing.delete_expired"):
        assert job in jobs
        assert callable(import_string(job))
