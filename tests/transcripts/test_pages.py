"""Episode and interview pages offer their audio's transcript: captions on the player, text, downloads."""

import pytest

from episodes.factories import (
    AudioFileFactory,
    EpisodePageFactory,
    InterviewIndexPageFactory,
    InterviewPageFactory,
    ShowPageFactory,
)
from transcripts.models import Segment, Transcript

pytestmark = pytest.mark.django_db


@pytest.fixture
def audio(audio_dir):
    return AudioFileFactory(path=audio_dir / "tone.mp3")


def transcribe(audio, **fields):
    transcript = Transcript.objects.create(
        audio=audio, status="done", audio_sha256=audio.sha256, language="en", **fields
    )
    Segment.objects.create(
        transcript=transcript, index=0, start_ms=0, end_ms=1500, text="We decide <together>."
    )
    return transcript


def test_an_episode_page_has_captions_text_and_downloads(client, home_page, audio):
    episode = EpisodePageFactory(parent=ShowPageFactory(parent=home_page), audio=audio)
    transcript = transcribe(audio)

    html = client.get(episode.url).content.decode()

    assert f'<track kind="captions" src="/transcripts/{transcript.pk}.vtt" srclang="en"' in html
    assert '<h2 id="transcript-heading">Transcript</h2>' in html
    assert "We decide &lt;together&gt;." in html
    for extension in ("vtt", "srt", "txt", "json"):
        assert f'href="/transcripts/{transcript.pk}.{extension}"' in html


def test_no_transcript_section_until_it_is_done_and_current(client, home_page, audio):
    episode = EpisodePageFactory(parent=ShowPageFactory(parent=home_page), audio=audio)
    transcript = transcribe(audio)
    Transcript.objects.filter(pk=transcript.pk).update(status="running")
    assert "transcript-heading" not in client.get(episode.url).content.decode()

    Transcript.objects.filter(pk=transcript.pk).update(status="done", audio_sha256="0" * 64)  # old audio
    html = client.get(episode.url).content.decode()
    assert "transcript-heading" not in html and "<track" not in html


def test_an_interview_with_audio_shows_its_transcript(client, home_page, audio):
    interview = InterviewPageFactory(parent=InterviewIndexPageFactory(parent=home_page), audio=audio)
    transcribe(audio, edited=True)

    html = client.get(interview.url).content.decode()

    assert "Made automatically and checked by an editor." in html
    assert "We decide &lt;together&gt;." in html
