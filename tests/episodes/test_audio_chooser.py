"""Uploading audio from the chooser on an episode's edit page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from episodes.models import AudioFile

pytestmark = pytest.mark.django_db

CREATE_URL = "wagtailsnippetchoosers_episodes_audiofile:create"


def test_the_chooser_offers_an_upload_tab(admin_client):
    response = admin_client.get(reverse("wagtailsnippetchoosers_episodes_audiofile:choose"))
    html = response.json()["html"]
    assert 'enctype="multipart/form-data"' in html
    assert "Upload" in html


def test_upload_from_the_chooser_is_checked_chosen_and_credited(admin_client, admin_user, audio_dir):
    upload = SimpleUploadedFile("interview.mp3", (audio_dir / "tone.mp3").read_bytes())

    response = admin_client.post(reverse(CREATE_URL), {"title": "", "file": upload})

    data = response.json()
    assert data["step"] == "chosen"
    audio = AudioFile.objects.get()
    assert data["result"]["id"] == str(audio.pk)
    assert audio.title == "interview"
    assert audio.uploaded_by == admin_user
    assert audio.mime_type == "audio/mpeg"
    assert 2900 <= audio.duration_ms <= 3200


def test_a_web_page_named_mp3_is_refused_in_the_chooser(admin_client):
    upload = SimpleUploadedFile("episode.mp3", b"<!DOCTYPE html><html><body>Hi</body></html>")

    response = admin_client.post(reverse(CREATE_URL), {"title": "x", "file": upload})

    data = response.json()
    assert data["step"] == "reshow_creation_form"
    assert "This file is not audio" in data["htmlFragment"]
    assert not AudioFile.objects.exists()
