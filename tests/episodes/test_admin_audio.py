"""Editors upload audio in the admin and publish an episode with it."""

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from episodes.factories import AudioFileFactory, ShowPageFactory
from episodes.models import AudioFile, EpisodePage
from tests.episodes.admin_forms import episode_form_data

pytestmark = pytest.mark.django_db

ADD_URL = "wagtailsnippets_episodes_audiofile:add"


def stored_files():
    """The stored masters (delivery renditions, made after commit, are the delivery tests' business)."""
    root = settings.MEDIA_ROOT
    files = [path for path in root.rglob("*") if path.is_file()] if root.exists() else []
    return [path for path in files if "renditions" not in path.parts]


@pytest.fixture
def editor(client, admin_user):
    client.force_login(admin_user)
    return client


def test_the_upload_form_asks_for_audio(editor):
    response = editor.get(reverse(ADD_URL))

    assert response.status_code == 200
    assert 'accept=".aac,.flac,.m4a,.mp3,.ogg,.opus,.wav,audio/*"' in response.content.decode()


def test_a_web_page_named_mp3_is_refused_in_the_admin(editor):
    upload = SimpleUploadedFile(
        "episode.mp3", b"<!DOCTYPE html><html><body>Listen</body></html>", "audio/mpeg"
    )

    response = editor.post(reverse(ADD_URL), {"title": "Episode 1", "file": upload})

    assert response.status_code == 200  # the form again, not a redirect
    assert "This file is not audio" in response.context["form"].errors["file"][0]
    assert "This file is not audio. Its name ends in .mp3" in response.content.decode()
    assert not AudioFile.objects.exists()
    assert stored_files() == []


def test_an_empty_file_is_refused_in_the_admin(editor):
    upload = SimpleUploadedFile("episode.mp3", b"", "audio/mpeg")

    response = editor.post(reverse(ADD_URL), {"title": "Episode 1", "file": upload})

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "The file is empty. Choose an audio file that has sound in it."
    ]
    assert not AudioFile.objects.exists()
    assert stored_files() == []


def test_an_oversized_file_is_refused_in_the_admin(editor, settings, audio_dir):
    settings.AUDIO_MAX_UPLOAD_BYTES = 10_000
    upload = SimpleUploadedFile("episode.mp3", (audio_dir / "tone.mp3").read_bytes(), "audio/mpeg")

    response = editor.post(reverse(ADD_URL), {"title": "Episode 1", "file": upload})

    assert response.status_code == 200
    assert "larger than the limit" in response.context["form"].errors["file"][0]
    assert not AudioFile.objects.exists()


def test_a_good_file_is_saved_with_its_metadata_and_uploader(editor, admin_user, audio_dir):
    data = (audio_dir / "tone.mp3").read_bytes()
    upload = SimpleUploadedFile("Episode One.mp3", data, "audio/mpeg")

    response = editor.post(reverse(ADD_URL), {"title": "", "file": upload})

    assert response.status_code == 302
    audio = AudioFile.objects.get()
    assert audio.title == "Episode One"  # from the file name when left blank
    assert audio.uploaded_by == admin_user
    assert (audio.mime_type, audio.extension, audio.sample_rate, audio.channels) == (
        "audio/mpeg",
        "mp3",
        44100,
        1,
    )
    assert 2900 <= audio.duration_ms <= 3100
    assert audio.size == len(data)
    assert audio.file.read() == data
    assert stored_files() == [settings.MEDIA_ROOT / audio.file.name]


def test_replacing_the_file_re_reads_it_and_removes_the_old_one(
    editor, admin_user, audio_dir, django_capture_on_commit_callbacks
):
    audio = AudioFileFactory(path=audio_dir / "tone.mp3", title="Tone", user=admin_user)
    old_path = settings.MEDIA_ROOT / audio.file.name
    upload = SimpleUploadedFile("tone.flac", (audio_dir / "stereo48k.flac").read_bytes())

    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(
            reverse("wagtailsnippets_episodes_audiofile:edit", args=[audio.pk]),
            {"title": "Tone", "file": upload},
        )

    assert response.status_code == 302
    audio.refresh_from_db()
    assert (audio.extension, audio.channels, audio.duration_ms) == ("flac", 2, 2000)
    assert not old_path.exists()
    assert stored_files() == [settings.MEDIA_ROOT / audio.file.name]


def test_editing_only_the_title_keeps_the_file(editor, admin_user, audio_dir):
    audio = AudioFileFactory(path=audio_dir / "tone.mp3", title="Tone")
    name, sha256 = audio.file.name, audio.sha256

    response = editor.post(
        reverse("wagtailsnippets_episodes_audiofile:edit", args=[audio.pk]), {"title": "Renamed"}
    )

    assert response.status_code == 302
    audio.refresh_from_db()
    assert (audio.title, audio.file.name, audio.sha256) == ("Renamed", name, sha256)
    assert (settings.MEDIA_ROOT / name).exists()


def test_an_episode_published_in_the_admin_serves_its_audio(client, admin_user, home_page, audio_dir):
    show = ShowPageFactory(parent=home_page)
    audio = AudioFileFactory(path=audio_dir / "tone.mp3")
    assert client.get(audio.url).status_code == 404  # no page uses it yet
    client.force_login(admin_user)
    assert client.get(audio.url).status_code == 200  # but editors hear it, to choose it
    add_url = reverse("wagtailadmin_pages:add", args=["episodes", "episodepage", show.pk])

    response = client.post(
        add_url,
        episode_form_data(
            title="Deciding together",
            slug="deciding-together",
            audio=audio.pk,
            summary="Two people talk about deciding together.",
            show_notes="<p>With a GP and a patient leader.</p>",
            publication_date="2025-03-01 09:00",
            publish=True,
        ),
    )

    assert response.status_code == 302, response.context["form"].errors if response.context else response
    episode = EpisodePage.objects.get(slug="deciding-together")
    assert episode.live
    assert episode.get_parent().specific == show
    assert episode.audio == audio
    client.logout()
    served = client.get(audio.url)
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == (audio_dir / "tone.mp3").read_bytes()
