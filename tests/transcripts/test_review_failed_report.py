"""The report of failed transcriptions lists them, exports them, and tries one again."""

import pytest
from django.urls import reverse

from episodes.factories import AudioFileFactory
from tests.transcripts.review_helpers import transcript_of

pytestmark = pytest.mark.django_db


def test_the_failed_report_lists_failed_transcriptions_and_tries_one_again(
    admin_client, episode, audio_dir, django_capture_on_commit_callbacks
):
    failed = transcript_of(episode.audio, status="failed", attempts=3, error="EngineError: Cannot read tone")
    transcript_of(AudioFileFactory(path=audio_dir / "tone.ogg", title="Fine tone"))
    report_url = reverse("transcripts_reports:failed")

    html = admin_client.get(report_url).content.decode()
    assert "EngineError: Cannot read tone" in html and "Fine tone" not in html
    assert reverse("wagtailadmin_pages:edit", args=[episode.pk]) in html  # the episode using the audio
    assert "Failed transcriptions" in admin_client.get(reverse("wagtailadmin_home")).content.decode()
    csv = admin_client.get(report_url, {"export": "csv"})
    assert b"EngineError: Cannot read tone" in b"".join(csv.streaming_content)

    with django_capture_on_commit_callbacks() as queued:
        response = admin_client.post(
            reverse("transcripts_admin:rerun", args=[failed.pk]), {"next": report_url}
        )

    assert response.status_code == 302 and response.url == report_url
    assert len(queued) == 1  # the run is enqueued once the request commits
    failed.refresh_from_db()
    assert (failed.status, failed.error) == ("queued", "")
