"""Editors see each transcript's status: on the episode's edit page and in the Transcripts listing."""

import pytest
from django.urls import reverse

from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from transcripts.models import Segment, Transcript

pytestmark = pytest.mark.django_db


@pytest.fixture
def episode(home_page, audio_dir):
    show = ShowPageFactory(parent=home_page)
    return EpisodePageFactory(parent=show, audio=AudioFileFactory(path=audio_dir / "tone.mp3", title="Tone"))


def edit_page(admin_client, episode):
    return admin_client.get(reverse("wagtailadmin_pages:edit", args=[episode.pk])).content.decode()


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"status": "queued"}, "<strong>queued</strong>, waiting for a worker"),
        ({"status": "running", "progress": 0.4}, 'value="0.4"'),
        (
            {"status": "failed", "attempts": 2, "error": "EngineError: Cannot read tone.mp3 as audio"},
            "after\n    2 attempts: EngineError: Cannot read tone.mp3 as audio",
        ),
    ],
)
def test_the_episode_edit_page_shows_the_transcript_status(admin_client, episode, fields, expected):
    Transcript.objects.create(audio=episode.audio, **fields)
    assert expected in edit_page(admin_client, episode)


def test_a_finished_transcript_says_how_many_segments(admin_client, episode):
    transcript = Transcript.objects.create(audio=episode.audio, status="done", language="en", edited=True)
    Segment.objects.create(transcript=transcript, index=0, start_ms=0, end_ms=900, text="Hello.")
    html = edit_page(admin_client, episode)
    assert "<strong>done</strong>, corrected by an editor" in html
    assert "1 segment (en)" in html


def test_no_transcript_yet(admin_client, episode):
    assert "The transcript will be queued when the audio is saved." in edit_page(admin_client, episode)


def test_the_transcripts_listing_filters_by_status(admin_client, episode, audio_dir):
    other = AudioFileFactory(path=audio_dir / "tone.ogg", title="Other tone")
    Transcript.objects.create(audio=episode.audio, status="failed", error="Broken")
    Transcript.objects.create(audio=other, status="done")

    html = admin_client.get(reverse("transcripts_admin:index"), {"status": "failed"}).content.decode()

    assert "Tone" in html and "Broken" in html
    assert "Other tone" not in html


def test_transcripts_cannot_be_typed_in_by_hand(admin_client):
    assert admin_client.get(reverse("transcripts_admin:add")).status_code in (302, 403)
