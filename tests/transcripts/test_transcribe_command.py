"""manage.py transcribe: queue or run transcriptions for backlogs and operators."""

import pytest
from django.core.management import CommandError, call_command

from episodes.factories import AudioFileFactory
from transcripts.models import Transcript

pytestmark = pytest.mark.django_db


@pytest.fixture
def spoken(tmp_path_factory):
    from tests.audio import speech

    return speech(tmp_path_factory.mktemp("cmd") / "talk.mp3", "Patients and doctors decide together.")


def run(*args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("transcribe", *args, stdout=out, stderr=err, verbosity=1)
    return out.getvalue(), err.getvalue()


def test_sync_runs_here_and_reports(spoken):
    audio = AudioFileFactory(path=spoken)  # no commit in this test: the upload queued nothing

    out, _ = run(str(audio.pk), "--sync")

    transcript = Transcript.objects.get(audio=audio)
    assert transcript.status == Transcript.DONE
    assert f"Done: {audio}" in out
    assert "doctor" in " ".join(transcript.segments.values_list("text", flat=True)).lower()


def test_without_sync_it_queues(spoken, django_capture_on_commit_callbacks):
    audio = AudioFileFactory(path=spoken)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        out, _ = run(str(audio.pk))

    assert f"Queued: {audio}" in out
    assert Transcript.objects.get(audio=audio).status == Transcript.QUEUED
    # The task is handed to the queue when the transaction commits (beside it: the page cache's purge).
    queued = [c for c in callbacks if "request_transcription" in c.__qualname__]
    assert len(queued) == 1


def test_missing_skips_current_transcripts_and_corrections_need_force(spoken):
    audio = AudioFileFactory(path=spoken)
    run(str(audio.pk), "--sync")
    Transcript.objects.filter(audio=audio).update(edited=True)

    out, _ = run("--missing", "--sync")
    assert "Done:" not in out
    out, _ = run(str(audio.pk), "--sync")
    assert "Done:" not in out
    assert Transcript.objects.get(audio=audio).attempts == 1

    out, _ = run(str(audio.pk), "--sync", "--force")
    assert f"Done: {audio}" in out
    assert Transcript.objects.get(audio=audio).attempts == 2


def test_bad_arguments_say_what_is_wrong(spoken):
    with pytest.raises(CommandError, match="Name audio file ids"):
        run()
    with pytest.raises(CommandError, match="No audio file with id 999"):
        run("999")
