"""Uploading audio transcribes it in the background, with real Whisper (tiny.en) on real speech."""

import subprocess

import pytest
from wagtail import hooks

from episodes.factories import PersonFactory, ShowPageFactory
from episodes.models import AudioFile
from episodes.uploads import create_audio_file
from tests.audio import speech
from transcripts.engines import EngineError
from transcripts.models import Transcript
from transcripts.transcribing import glossary_prompt, request_transcription, run_transcription, vocabulary

pytestmark = pytest.mark.django_db

SCRIPT = "Shared decision making means the patient and the doctor decide together."


@pytest.fixture(scope="session")
def spoken(tmp_path_factory):
    return speech(tmp_path_factory.mktemp("speech") / "decide.mp3", SCRIPT)


@pytest.fixture(scope="session")
def silent(tmp_path_factory):
    path = tmp_path_factory.mktemp("silence") / "silence.mp3"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-t", "4"]
        + ["-c:a", "libmp3lame", "-b:a", "32k", str(path)],
        check=True,
    )
    return path


def upload(path, django_capture_on_commit_callbacks, title="Episode audio"):
    with django_capture_on_commit_callbacks(execute=True):
        return create_audio_file(path, title=title)


def test_uploading_audio_queues_and_runs_a_transcription(spoken, django_capture_on_commit_callbacks):
    audio = upload(spoken, django_capture_on_commit_callbacks)

    transcript = Transcript.objects.get(audio=audio)
    assert transcript.status == Transcript.DONE, transcript.error
    assert (transcript.progress, transcript.attempts) == (1, 1)
    assert transcript.engine == "faster-whisper"
    assert transcript.model
    assert transcript.language == "en"
    assert transcript.audio_sha256 == audio.sha256
    assert transcript.started_at <= transcript.finished_at
    segments = list(transcript.segments.all())
    assert segments
    text = " ".join(s.text for s in segments).lower()
    # tiny.en hears espeak imperfectly ("...the doctor decides to get them"); these words it gets.
    assert "decision" in text and "patient" in text and "doctor" in text
    assert all(0 <= s.start_ms <= s.end_ms <= audio.duration_ms + 500 for s in segments)
    words = [w for s in segments for w in s.words]
    assert words and all(isinstance(w[0], int) and w[0] <= w[1] for w in words)


def test_saving_the_audio_again_does_not_transcribe_it_again(spoken, django_capture_on_commit_callbacks):
    audio = upload(spoken, django_capture_on_commit_callbacks)
    finished = Transcript.objects.get(audio=audio).finished_at

    with django_capture_on_commit_callbacks(execute=True):
        audio.title = "A new title"
        audio.save()

    transcript = Transcript.objects.get(audio=audio)
    assert (transcript.attempts, transcript.finished_at) == (1, finished)


def test_silence_gives_an_empty_transcript_not_invented_text(silent, django_capture_on_commit_callbacks):
    audio = upload(silent, django_capture_on_commit_callbacks)

    transcript = Transcript.objects.get(audio=audio)
    assert transcript.status == Transcript.DONE
    assert transcript.segments.count() == 0


def test_a_failed_run_records_the_reason(spoken, django_capture_on_commit_callbacks):
    audio = create_audio_file(spoken, title="Lost file")  # outside the capture: not run yet
    transcript = Transcript.objects.create(audio=audio, audio_sha256=audio.sha256)
    audio.file.storage.delete(audio.file.name)  # the bytes are gone, e.g. a storage outage

    with pytest.raises(EngineError, match="Cannot read .* as audio"):  # the bytes are gone
        run_transcription(transcript.pk)

    transcript.refresh_from_db()
    assert transcript.status == Transcript.FAILED
    assert transcript.attempts == 1
    assert transcript.error
    assert transcript.finished_at is not None


def test_a_transcript_is_claimed_once(spoken, django_capture_on_commit_callbacks):
    audio = upload(spoken, django_capture_on_commit_callbacks)
    transcript = Transcript.objects.get(audio=audio)

    assert run_transcription(transcript.pk) is None  # DONE: nothing to claim
    assert Transcript.objects.get(pk=transcript.pk).attempts == 1


def test_an_editors_corrections_are_kept_unless_they_ask(spoken, django_capture_on_commit_callbacks):
    audio = upload(spoken, django_capture_on_commit_callbacks)
    transcript = Transcript.objects.get(audio=audio)
    segment = transcript.segments.first()
    segment.text = "Corrected by an editor."
    segment.save()
    Transcript.objects.filter(pk=transcript.pk).update(edited=True)
    AudioFile.objects.filter(pk=audio.pk).update(sha256="0" * 64)  # as if the file were replaced
    audio.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        request_transcription(audio)
    assert transcript.segments.filter(text="Corrected by an editor.").exists()

    with django_capture_on_commit_callbacks(execute=True):
        request_transcription(audio, force=True)
    transcript.refresh_from_db()
    assert not transcript.segments.filter(text="Corrected by an editor.").exists()
    assert (transcript.edited, transcript.attempts, transcript.audio_sha256) == (False, 2, "0" * 64)


def test_the_prompt_names_shows_people_and_hooked_terms(home_page, settings):
    settings.TRANSCRIPTION_VOCABULARY = ["teach-back"]
    ShowPageFactory(parent=home_page, title="The Power of Coproduction")
    PersonFactory(name="Amara Okafor")

    with hooks.register_temporarily("transcription_vocabulary", lambda: ["patient activation"]):
        terms = vocabulary()
        prompt = glossary_prompt()

    assert {"teach-back", "The Power of Coproduction", "Amara Okafor", "patient activation"} <= set(terms)
    assert prompt.startswith("Glossary: ") and "patient activation" in prompt


def test_a_finished_transcript_refreshes_the_feeds(home_page, spoken):
    show = ShowPageFactory(parent=home_page)
    audio = create_audio_file(spoken, title="Fresh")  # not committed: nothing queued by itself
    transcript = Transcript.objects.create(audio=audio, audio_sha256=audio.sha256)
    assert show.feed_changed_at is None

    run_transcription(transcript.pk)

    show.refresh_from_db()
    assert show.feed_changed_at is not None


def test_an_upload_rolled_back_queues_nothing(spoken, django_capture_on_commit_callbacks):
    from django.db import transaction
    from django_tasks.signals import task_enqueued

    enqueued = []

    def record(sender, task_result, **kwargs):
        enqueued.append(task_result.task.func.__name__)  # search indexing is enqueued at once: not ours

    task_enqueued.connect(record)
    self_cleanup = lambda: task_enqueued.disconnect(record)  # noqa: E731
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        create_audio_file(spoken, title="Never kept")
        raise RuntimeError("the editor's save failed")

    self_cleanup()
    assert callbacks == []
    assert "transcribe_audio" not in enqueued  # neither queued later nor run at once
    assert not AudioFile.objects.exists()
    assert not Transcript.objects.exists()


def test_work_left_by_a_dead_worker_is_queued_again_and_done_once(spoken, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from transcripts.transcribing import requeue_stale

    audio = create_audio_file(spoken, title="Interrupted")
    long_ago = timezone.now() - timezone.timedelta(hours=1)
    # As a worker killed mid-job leaves it: RUNNING, some segments written, heartbeat long stopped.
    transcript = Transcript.objects.create(
        audio=audio, audio_sha256=audio.sha256, status="running", attempts=1, heartbeat_at=long_ago
    )
    transcript.segments.create(index=0, start_ms=0, end_ms=10, text="half")

    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stale() == [transcript.pk]

    transcript.refresh_from_db()
    assert (transcript.status, transcript.attempts) == ("done", 2)
    indexes = list(transcript.segments.values_list("index", flat=True))
    assert indexes == list(range(len(indexes))) and "half" not in transcript.segments.values_list(
        "text", flat=True
    )


def test_a_live_worker_is_left_alone_and_a_hopeless_job_fails(spoken):
    from django.utils import timezone

    from transcripts.transcribing import MAX_ATTEMPTS, requeue_stale

    alive = Transcript.objects.create(
        audio=create_audio_file(spoken, title="Alive"), status="running", heartbeat_at=timezone.now()
    )
    hopeless = Transcript.objects.create(
        audio=create_audio_file(spoken, title="Hopeless"),
        status="running",
        attempts=MAX_ATTEMPTS,
        heartbeat_at=timezone.now() - timezone.timedelta(hours=1),
    )

    assert requeue_stale() == []

    alive.refresh_from_db()
    hopeless.refresh_from_db()
    assert alive.status == "running"
    assert hopeless.status == "failed" and "stopped 3 times" in hopeless.error


def test_a_failed_run_is_retried_later_on_a_queue_that_can_wait(
    spoken, settings, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    from transcripts.tasks import transcribe_audio

    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "transcription", "delivery"],
        }
    }
    audio = create_audio_file(spoken, title="Storage hiccup")
    transcript = Transcript.objects.create(audio=audio, audio_sha256=audio.sha256)
    audio.file.storage.delete(audio.file.name)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(EngineError, match="Cannot read .* as audio"),
    ):
        run_transcription(transcript.pk)

    transcript.refresh_from_db()
    assert transcript.status == "queued" and "trying again at" in transcript.error
    (retry,) = DBTaskResult.objects.filter(task_path=transcribe_audio.module_path)
    assert retry.args_kwargs["args"] == [transcript.pk]
    assert retry.run_after is not None
