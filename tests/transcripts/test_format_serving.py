"""Transcript files served to listeners by the view, and listed in the podcast feed.

AudioFiles are created without committing, so the on-commit transcription never runs here: each test makes
the Transcript and Segment rows it needs itself.
"""

import io

import pytest
import webvtt
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from lxml import etree
from wagtail.models import PageViewRestriction

from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from episodes.feeds import build_feed
from episodes.models import ShowPage
from tests.transcripts.transcript_samples import SHORT
from transcripts.formats import FORMATS
from transcripts.models import Segment, Transcript

PODCAST_NS = "https://podcastindex.org/namespace/1.0"


# ------------------------------------------------------------------------------------------------ views


@pytest.fixture
def show(home_page):
    show = ShowPageFactory(parent=home_page)
    show.save_revision().publish()
    return ShowPage.objects.get(pk=show.pk)


def transcribed_episode(show, audio_dir, segments=SHORT, status=Transcript.DONE):
    audio = AudioFileFactory(path=audio_dir / "tone.mp3")
    episode = EpisodePageFactory(parent=show, audio=audio)
    transcript = Transcript.objects.create(
        audio=audio, status=status, audio_sha256=audio.sha256, language="en"
    )
    Segment.objects.bulk_create(Segment(transcript=transcript, index=n, **s) for n, s in enumerate(segments))
    return episode, transcript


def file_url(transcript, ext):
    return reverse("transcripts:file", kwargs={"pk": transcript.pk, "extension": ext})


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("ext", "content_type"),
    [
        ("vtt", "text/vtt; charset=utf-8"),
        ("srt", "application/x-subrip"),
        ("json", "application/json"),
        ("html", "text/html; charset=utf-8"),
        ("txt", "text/plain; charset=utf-8"),
    ],
)
def test_view_serves_each_format_with_cors_and_public_caching(client, show, audio_dir, ext, content_type):
    _, transcript = transcribed_episode(show, audio_dir)

    response = client.get(file_url(transcript, ext))

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response.content.decode() == FORMATS[ext][1](SHORT, language="en")


@pytest.mark.django_db
def test_view_answers_304_to_a_matching_etag_and_changes_etag_with_the_text(client, show, audio_dir):
    _, transcript = transcribed_episode(show, audio_dir)
    url = file_url(transcript, "vtt")
    etag = client.get(url)["ETag"]

    not_modified = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["Access-Control-Allow-Origin"] == "*"

    transcript.segments.filter(index=0).update(text="Welcome back to the show.")
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert (
        webvtt.from_buffer(io.StringIO(changed.content.decode())).captions[0].text
        == "Welcome back to the show."
    )


@pytest.mark.django_db
def test_view_hides_the_transcript_of_an_unpublished_episode(client, show, audio_dir):
    episode, transcript = transcribed_episode(show, audio_dir)
    assert client.get(file_url(transcript, "vtt")).status_code == 200

    episode.unpublish()

    assert client.get(file_url(transcript, "vtt")).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Transcript.QUEUED, Transcript.RUNNING, Transcript.FAILED])
def test_view_serves_only_finished_transcripts(client, show, audio_dir, status):
    _, transcript = transcribed_episode(show, audio_dir, status=status)
    assert client.get(file_url(transcript, "vtt")).status_code == 404


@pytest.mark.django_db
def test_view_hides_a_transcript_of_replaced_audio(client, show, audio_dir):
    _, transcript = transcribed_episode(show, audio_dir)
    Transcript.objects.filter(pk=transcript.pk).update(audio_sha256="0" * 64)
    assert client.get(file_url(transcript, "vtt")).status_code == 404


@pytest.mark.django_db
def test_view_keeps_a_restricted_episodes_transcript_private(client, show, audio_dir, django_user_model):
    episode, transcript = transcribed_episode(show, audio_dir)
    PageViewRestriction.objects.create(page=episode, restriction_type="password", password="secret")
    url = file_url(transcript, "vtt")
    assert client.get(url).status_code == 404

    client.force_login(django_user_model.objects.create_superuser("editor", "e@example.org", "pw"))
    response = client.get(url)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"


# ------------------------------------------------------------------------------------------------- feed


def transcript_tags(content):
    return etree.fromstring(content).findall(f".//item/{{{PODCAST_NS}}}transcript")


@pytest.mark.django_db
def test_feed_lists_each_transcript_format_of_a_finished_transcript(client, show, audio_dir):
    _, transcript = transcribed_episode(show, audio_dir)
    transcribed_episode(show, audio_dir, status=Transcript.RUNNING)

    tags = transcript_tags(build_feed(show))

    root = "http://localhost"
    assert [(t.get("url"), t.get("type"), t.get("language"), t.get("rel")) for t in tags] == [
        (f"{root}/transcripts/{transcript.pk}.vtt", "text/vtt", "en", "captions"),
        (f"{root}/transcripts/{transcript.pk}.srt", "application/x-subrip", "en", "captions"),
        (f"{root}/transcripts/{transcript.pk}.json", "application/json", "en", None),
        (f"{root}/transcripts/{transcript.pk}.html", "text/html", "en", None),
    ]
    for tag in tags:  # each link answers with what it says it is
        response = client.get(tag.get("url").removeprefix(root))
        assert response.status_code == 200
        assert response["Content-Type"].split(";")[0] == tag.get("type")


@pytest.mark.django_db
def test_feed_transcript_links_cost_the_same_queries_for_2_and_6_episodes(home_page, audio_dir):
    counts = {}
    for count in (2, 6):
        show = ShowPageFactory(parent=home_page)
        for _ in range(count):
            transcribed_episode(show, audio_dir, segments=SHORT[:1])
        show = ShowPage.objects.get(pk=show.pk)
        build_feed(show)  # warm Wagtail's site-root cache, as a running site has it
        with CaptureQueriesContext(connection) as captured:
            content = build_feed(show)
        assert len(transcript_tags(content)) == 4 * count
        counts[count] = len(captured)
    assert counts[2] == counts[6], counts
