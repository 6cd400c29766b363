"""Leases read the database's clock, not the machine's: a worker whose clock is minutes slow, or a
scheduler whose clock is minutes fast, does not make a live run look dead (and so taken over), while a run
that really stopped beating is still queued again. The process's clock is set off by patching
``django.utils.timezone.now``, which is what a machine's wrong clock changes; the database's is real."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db.models.functions import Now
from django.utils import timezone

from operations import leases
from tests.audio import tone
from transcripts import transcribing
from transcripts.models import Transcript

pytestmark = pytest.mark.django_db

SKEW = timedelta(minutes=10)
LEASE = 60  # seconds, much less than the skew


@pytest.fixture
def queued(settings, tmp_path):
    """A QUEUED transcript whose job goes nowhere (the dummy backend: no worker runs it here)."""
    from episodes.uploads import create_audio_file

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": []}}
    settings.TRANSCRIPTION_LEASE_SECONDS = LEASE
    audio = create_audio_file(tone(tmp_path / "tone.mp3", 1), title="tone")
    transcript = transcribing.request_transcription(audio)
    assert transcript.status == Transcript.QUEUED
    return transcript


@contextmanager
def clock_off_by(delta: timedelta, monkeypatch):
    real = timezone.now
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: real() + delta)
        yield


def beat(claim: leases.Claim) -> None:
    leases.ProgressReporter(claim, every=0, give_up_after=5, label="test")(0.5)


def test_a_worker_with_a_slow_clock_keeps_its_live_lease(queued, monkeypatch):
    with clock_off_by(-SKEW, monkeypatch):  # the worker's machine is ten minutes behind
        claim = leases.claim(Transcript, queued.pk)
        beat(claim)

    assert transcribing.requeue_stale() == []  # the scheduler, with the right time
    assert Transcript.objects.get(pk=queued.pk).status == Transcript.RUNNING


def test_a_scheduler_with_a_fast_clock_takes_no_live_lease(queued, monkeypatch):
    claim = leases.claim(Transcript, queued.pk)
    beat(claim)

    with clock_off_by(SKEW, monkeypatch):  # the scheduler's machine is ten minutes ahead
        assert transcribing.requeue_stale() == []
    assert Transcript.objects.get(pk=queued.pk).status == Transcript.RUNNING


def test_a_run_that_stopped_beating_is_still_queued_again_whatever_the_clocks(queued, monkeypatch):
    with clock_off_by(SKEW, monkeypatch):  # a fast worker clock cannot keep a dead run alive either
        leases.claim(Transcript, queued.pk)
    Transcript.objects.filter(pk=queued.pk).update(heartbeat_at=Now() - timedelta(seconds=2 * LEASE))

    with clock_off_by(-SKEW, monkeypatch):  # nor a slow scheduler clock
        assert transcribing.requeue_stale() == [queued.pk]
    assert Transcript.objects.get(pk=queued.pk).status == Transcript.QUEUED
