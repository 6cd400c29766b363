"""What the editor sees: the delivery status on the episode's edit page and in the Audio listing, and
*Try again* for a failed rendition."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from episodes.delivery.preparing import request_delivery, run_delivery
from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from episodes.models import AudioRendition

pytestmark = pytest.mark.django_db


@pytest.fixture
def episode(home_page, masters):
    show = ShowPageFactory(parent=home_page)
    audio = AudioFileFactory(path=masters["quiet_stereo_wav"], title="Quiet")
    return EpisodePageFactory(parent=show, audio=audio)


def edit_page(admin_client, episode) -> str:
    response = admin_client.get(reverse("wagtailadmin_pages:edit", args=[episode.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_edit_page_tells_a_waiting_wav_from_a_ready_rendition(admin_client, episode):
    request_delivery(episode.audio, enqueue=False)
    html = edit_page(admin_client, episode)
    assert "<strong>queued</strong>" in html
    assert "with this audio stays out of the feed" in html and "WAV file" in html

    rendition = run_delivery(episode.audio.renditions.get().pk)

    html = edit_page(admin_client, episode)
    assert "<strong>ready</strong>, MP3 128 kbit/s" in html
    # loudness before -> after, as measured (-34 LUFS, 18 dB under the target, brought to it)
    assert re.search(
        r"loudness\s+-3[345]\.\d → -1[567]\.\d LUFS, true peak\s+-\d+\.\d → -[01]\.\d dBTP", html
    )
    assert rendition.loudness_after is not None
    assert "with this audio stays out of the feed" not in html


def test_a_failed_rendition_shows_its_reason_and_can_be_tried_again(
    admin_client, episode, django_capture_on_commit_callbacks
):
    master = settings.MEDIA_ROOT / episode.audio.file.name
    good = master.read_bytes()
    master.write_bytes(b"")
    failed = run_delivery(request_delivery(episode.audio, enqueue=False).pk)

    html = edit_page(admin_client, episode)
    assert "<strong>failed</strong>" in html and "The master file is empty" in html
    retry_url = reverse("episodes_delivery_retry", args=[episode.audio.pk])
    assert retry_url in html
    assert admin_client.get(retry_url).status_code == 200

    master.write_bytes(good)  # the operators restored the file
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(retry_url, {"next": "/admin/"})

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert not AudioRendition.objects.filter(pk=failed.pk).exists()
    assert episode.audio.renditions.get().status == AudioRendition.DONE


def test_the_audio_listing_has_a_delivery_column_without_a_query_per_row(
    admin_client, episode, masters, django_assert_max_num_queries
):
    run_delivery(request_delivery(episode.audio, enqueue=False).pk)
    for n in range(5):
        AudioFileFactory(path=masters["quiet_mono_flac"], title=f"Other {n}")
    url = reverse("wagtailsnippets_episodes_audiofile:list")
    admin_client.get(url)  # warm up (sessions, content types)

    with django_assert_max_num_queries(30) as queries:
        html = admin_client.get(url).content.decode()

    assert "For listeners" in html and "Ready (MP3, 128 kbit/s)" in html
    assert html.count("Not prepared") == 5
    assert sum("episodes_audiorendition" in q["sql"] for q in queries.captured_queries) <= 1
