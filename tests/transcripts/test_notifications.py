"""The owner of each page that uses an audio file, and its show's notification addresses, hear when the
transcript is done (real Whisper on real speech) or has failed; a mail server's refusal never fails the
run."""

import logging
import socket

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from transcripts.engines import EngineError
from transcripts.models import Transcript
from transcripts.transcribing import request_transcription, run_transcription

pytestmark = pytest.mark.django_db


@pytest.fixture
def episode(home_page, audio_dir):
    owner = get_user_model().objects.create_user("producer", email="producer@example.org")
    show = ShowPageFactory(parent=home_page, slug="coproduction", notification_addresses="team@example.org")
    audio = AudioFileFactory(path=audio_dir / "speech.mp3", title="Speech")  # not transcribed yet
    return EpisodePageFactory(parent=show, title="Deciding together", audio=audio, owner=owner)


def test_a_finished_transcript_is_told(episode, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request_transcription(episode.audio)

    transcript = Transcript.objects.get(audio=episode.audio)
    assert transcript.status == Transcript.DONE, transcript.error
    assert sorted(m.to[0] for m in mail.outbox) == ["producer@example.org", "team@example.org"]
    message = mail.outbox[0]
    assert message.subject == "[The Power of Coproduction] Transcript ready: Deciding together"
    lines = transcript.segments.count()
    assert f"The transcript of “Deciding together” is ready: {lines} line" in message.body
    assert f"http://testserver/admin/pages/{episode.pk}/edit/" in message.body
    assert episode.get_full_url() in message.body
    assert message.alternatives[0][1] == "text/html"


def test_a_transcript_held_for_review_is_told_with_why(
    home_page, episode, django_capture_on_commit_callbacks
):
    """A German show transcribed with the English-only tiny.en (issue 16): held, and the mail says so."""
    show = episode.get_parent().specific
    show.language = "de"
    show.save_revision().publish()

    with django_capture_on_commit_callbacks(execute=True):
        request_transcription(episode.audio)

    transcript = Transcript.objects.get(audio=episode.audio)
    assert transcript.held
    message = mail.outbox[0]
    assert message.subject == "[The Power of Coproduction] Transcript held for review: Deciding together"
    assert "is made but not published: The show's language is 'de'" in message.body
    assert "Approve and publish" in message.body


def test_a_failed_transcript_is_told_with_its_reason(episode, django_capture_on_commit_callbacks):
    transcript = Transcript.objects.create(audio=episode.audio, audio_sha256=episode.audio.sha256)
    episode.audio.file.storage.delete(episode.audio.file.name)  # the bytes are gone

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(EngineError):
        run_transcription(transcript.pk)

    transcript.refresh_from_db()
    assert transcript.status == Transcript.FAILED
    assert len(mail.outbox) == 2
    message = mail.outbox[0]
    assert message.subject == "[The Power of Coproduction] Transcript failed: Deciding together"
    assert "failed" in message.body and transcript.error in message.body


def test_a_refusing_mail_server_does_not_fail_the_transcription(
    episode, settings, caplog, django_capture_on_commit_callbacks
):
    with socket.socket() as probe:  # a port nothing listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2

    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        request_transcription(episode.audio)

    assert Transcript.objects.get(audio=episode.audio).status == Transcript.DONE
    assert (
        "Could not send the notification '[The Power of Coproduction] Transcript ready: Deciding together'"
        in (caplog.text)
    )


def test_a_transcript_given_up_after_its_workers_died_is_told(episode, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from transcripts.transcribing import MAX_ATTEMPTS, requeue_stale

    Transcript.objects.create(
        audio=episode.audio,
        status=Transcript.RUNNING,
        attempts=MAX_ATTEMPTS,
        heartbeat_at=timezone.now() - timezone.timedelta(hours=1),
    )

    with django_capture_on_commit_callbacks(execute=True):
        requeue_stale()

    assert sorted(m.to[0] for m in mail.outbox) == ["producer@example.org", "team@example.org"]
    assert "The worker stopped 3 times" in mail.outbox[0].body
    assert mail.outbox[0].subject.endswith("Transcript failed: Deciding together")
