"""A re-run of a transcript an editor corrected asks first and keeps the corrections as a revision; a run
stops when the audio is replaced under it.

Whisper (tiny.en) transcribes the spoken test audio, as in test_transcribing.
"""

import pytest
from django.core.management import call_command
from django.urls import reverse

from episodes.factories import AudioFileFactory
from episodes.models import AudioFile
from tests.audio import speech
from tests.transcripts.review_helpers import CORRECTIONS, corrected, rows
from transcripts import transcribing
from transcripts.models import Transcript, TranscriptRevision
from transcripts.transcribing import request_transcription, run_transcription

pytestmark = pytest.mark.django_db


def test_a_rerun_of_corrections_asks_first_then_keeps_them_as_a_revision(
    admin_client, admin_user, spoken, django_capture_on_commit_callbacks
):
    transcript = corrected(spoken)
    url = reverse("transcripts_admin:rerun", args=[transcript.pk])

    with django_capture_on_commit_callbacks() as queued:
        page = admin_client.get(url)
    html = page.content.decode()
    assert "An editor has corrected this transcript" in html
    assert "saved as a" in html and reverse("transcripts_admin:revisions", args=[transcript.pk]) in html
    assert queued == []
    assert Transcript.objects.get(pk=transcript.pk).status == "done"
    assert not transcript.revisions.exists()

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url)

    (revision,) = transcript.revisions.all()  # the run found the corrections already kept
    assert (revision.reason, revision.user, revision.edited) == (TranscriptRevision.RERUN, admin_user, True)
    assert revision.segments == CORRECTIONS
    transcript.refresh_from_db()
    assert transcript.status == "done" and not transcript.edited, transcript.error
    text = " ".join(transcript.segments.values_list("text", flat=True)).lower()
    assert "decision" in text and "corrected by an editor" not in text


def test_transcribe_force_on_the_command_line_also_keeps_the_corrections(spoken):
    transcript = corrected(spoken)

    call_command("transcribe", spoken.pk, "--force", "--sync", verbosity=0)

    (revision,) = transcript.revisions.all()
    assert (revision.reason, revision.user, revision.segments) == (
        TranscriptRevision.RERUN,
        None,
        CORRECTIONS,
    )
    assert not transcript.segments.filter(text="Corrected by an editor.").exists()


def test_a_transcript_is_not_rerun_without_asking_when_its_audio_is_saved_again(spoken):
    transcript = corrected(spoken)
    AudioFile.objects.filter(pk=spoken.pk).update(sha256="0" * 64)  # as if the file were replaced
    spoken.refresh_from_db()

    request_transcription(spoken)

    assert Transcript.objects.get(pk=transcript.pk).status == "done"
    assert rows(transcript) == CORRECTIONS


@pytest.fixture(scope="session")
def long_speech(tmp_path_factory):
    """About ten seconds of speech: three segments, so that a run reports progress several times."""
    return speech(
        tmp_path_factory.mktemp("long-speech") / "plan.mp3",
        "Shared decision making means the patient and the doctor decide together. They talk about the "
        "choices, the risks and what matters most. Then they agree on a plan that both of them can follow.",
    )


def test_replacing_the_audio_during_a_run_stops_it_and_leaves_the_new_file_queued(long_speech, monkeypatch):
    monkeypatch.setattr(transcribing, "PROGRESS_EVERY_SECONDS", 0)  # report (and check) at every segment
    audio = AudioFileFactory(path=long_speech, title="Plan")
    transcript = Transcript.objects.create(audio=audio, audio_sha256=audio.sha256)
    heard = []

    def replace_the_file(fraction):
        heard.append(fraction)
        if len(heard) == 1:
            AudioFile.objects.filter(pk=audio.pk).update(sha256="1" * 64)
            audio.refresh_from_db()
            request_transcription(audio)  # as saving the replaced file does

    assert run_transcription(transcript.pk, progress=replace_the_file) is None

    assert len(heard) == 1 and heard[0] < 1  # the run stopped at its next report
    transcript.refresh_from_db()
    assert (transcript.status, transcript.audio_sha256, transcript.progress) == ("queued", "1" * 64, 0)
    assert transcript.finished_at is None
    assert not transcript.segments.exists()
