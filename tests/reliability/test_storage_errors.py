"""An upload whose storage fails half-way (a full disk, a quota, a permission) is refused in words, and
leaves no AudioFile row, no transcript, no queued job and no partial file: through the admin's Audio
"Add" form, the episode editor's audio chooser, and `manage.py add_episode`.

The failing storage is Django's own FileSystemStorage, writing into the test's MEDIA_ROOT; it only
fails the way write(2) does when the disk fills up, after the first few kilobytes of the file."""

import errno
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from episodes.factories import ShowPageFactory
from episodes.models import AudioFile, EpisodePage
from transcripts.models import Transcript
from transcripts.tasks import transcribe_audio

pytestmark = pytest.mark.django_db

WRITTEN_BEFORE_FAILING = 4096  # bytes of the file that reach the disk
FAILURE = {"errno": errno.ENOSPC}  # set by the tests


class FailingDisk(FileSystemStorage):
    """A file system that fails with ``FAILURE["errno"]`` after writing the first few kilobytes of a file,
    as FileSystemStorage does on a full disk: the partial file stays where it was being written."""

    def _save(self, name, content):
        return super()._save(name, FailsAfterFirstChunk(content))


class FailsAfterFirstChunk:
    def __init__(self, content):
        self.content = content

    def chunks(self, chunk_size=None):
        for chunk in self.content.chunks(chunk_size=WRITTEN_BEFORE_FAILING):
            yield chunk
            code = FAILURE["errno"]
            raise OSError(code, os.strerror(code))


failing_storage = override_settings(
    STORAGES={
        **settings.STORAGES,
        "default": {"BACKEND": f"{__name__}.FailingDisk"},
    }
)


def stored_files() -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def assert_nothing_saved() -> None:
    assert list(AudioFile.objects.all()) == []
    assert list(Transcript.objects.all()) == []
    assert list(DBTaskResult.objects.filter(task_path=transcribe_audio.module_path)) == []
    assert stored_files() == []


@pytest.fixture
def disk_fails(request):
    """The default storage fails with the errno of the test's parameter (a full disk by default)."""
    FAILURE["errno"] = getattr(request, "param", errno.ENOSPC)
    with failing_storage:
        yield
    FAILURE["errno"] = errno.ENOSPC


@pytest.fixture
def queue_on_database(settings):
    """Jobs are queued in the database, as on the site, so that a job queued for nothing would show."""
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "transcription", "delivery"],
        }
    }


@pytest.mark.parametrize(
    "disk_fails, message",
    [
        (errno.ENOSPC, "The file could not be stored: the disk is full. Nothing was saved."),
        (errno.EDQUOT, "The file could not be stored: the disk is full. Nothing was saved."),
        (
            errno.EACCES,
            "The file could not be stored (Permission denied). Nothing was saved; please try again later.",
        ),
    ],
    indirect=["disk_fails"],
    ids=["disk full", "quota", "permission"],
)
def test_the_audio_add_form_says_the_file_could_not_be_stored(
    admin_client, audio_dir, queue_on_database, disk_fails, message
):
    """Input: a valid MP3 posted to the admin's Audio > Add form; the storage fails half-way. Expected: the
    form again (200, not a server error) with the reason beside the file field, and nothing saved."""
    upload = SimpleUploadedFile("interview.mp3", (audio_dir / "tone.mp3").read_bytes())
    assert upload.size > WRITTEN_BEFORE_FAILING  # so that a partial file is written

    response = admin_client.post(
        reverse("wagtailsnippets_episodes_audiofile:add"), {"title": "Interview", "file": upload}
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert "The audio file could not be created due to errors." in response.content.decode()
    assert_nothing_saved()


def test_the_audio_chooser_upload_says_the_disk_is_full(
    admin_client, audio_dir, queue_on_database, disk_fails
):
    """Input: a valid MP3 uploaded from the episode editor's audio chooser onto a full disk. Expected: the
    upload form again, in the modal, with the reason, and nothing saved."""
    upload = SimpleUploadedFile("interview.mp3", (audio_dir / "tone.mp3").read_bytes())

    response = admin_client.post(
        reverse("wagtailsnippetchoosers_episodes_audiofile:create"), {"title": "", "file": upload}
    )

    data = response.json()
    assert data["step"] == "reshow_creation_form"
    assert "The file could not be stored: the disk is full. Nothing was saved." in data["htmlFragment"]
    assert_nothing_saved()


def test_replacing_the_file_on_a_full_disk_keeps_the_old_one(admin_client, audio_dir, queue_on_database):
    """Input: an audio file's edit form with a new file, on a full disk. Expected: the reason on the form;
    the row and its stored file as they were, no new file."""
    upload = SimpleUploadedFile("first.mp3", (audio_dir / "tone.mp3").read_bytes())
    admin_client.post(reverse("wagtailsnippets_episodes_audiofile:add"), {"title": "First", "file": upload})
    audio = AudioFile.objects.get()
    before = (audio.file.name, audio.sha256, audio.size)
    replacement = SimpleUploadedFile("second.flac", (audio_dir / "tone.flac").read_bytes())

    with failing_storage:
        response = admin_client.post(
            reverse("wagtailsnippets_episodes_audiofile:edit", args=[audio.pk]),
            {"title": "First", "file": replacement},
        )

    assert response.status_code == 200
    assert "The file could not be stored: the disk is full. Nothing was saved." in response.content.decode()
    audio.refresh_from_db()
    assert (audio.file.name, audio.sha256, audio.size) == before
    assert stored_files() == [Path(audio.file.path)]


def test_add_episode_on_a_full_disk_creates_nothing(home_page, audio_dir, queue_on_database, disk_fails):
    """Input: `manage.py add_episode` with a valid audio file onto a full disk. Expected: a command error
    with the reason (exit status 1 on the command line), and no episode, audio file or partial file."""
    show = ShowPageFactory(parent=home_page, slug="coproduction")
    jobs = DBTaskResult.objects.count()  # publishing the show queued some (search, feeds)

    with pytest.raises(CommandError) as error:
        call_command(
            "add_episode",
            "--show",
            show.slug,
            "--title",
            "Deciding together",
            "--audio",
            audio_dir / "tone.mp3",
        )

    assert str(error.value) == (
        "No episode was created. The file could not be stored: the disk is full. Nothing was saved."
    )
    assert list(EpisodePage.objects.all()) == []
    assert DBTaskResult.objects.count() == jobs
    assert_nothing_saved()
