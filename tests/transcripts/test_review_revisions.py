"""Editors list a transcript's revisions and restore one."""

import pytest
from django.urls import reverse

from tests.transcripts.review_helpers import CORRECTIONS, corrected, rows, upload
from transcripts.models import TranscriptRevision

pytestmark = pytest.mark.django_db


def test_restoring_a_revision_brings_the_corrections_back(admin_client, admin_user, episode):
    transcript = corrected(episode.audio)
    vtt = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nA transcript made elsewhere.\n"
    admin_client.post(
        reverse("transcripts_admin:import", args=[episode.audio.pk]), {"file": upload("other.vtt", vtt)}
    )
    (kept,) = transcript.revisions.all()
    assert kept.reason == TranscriptRevision.IMPORT

    listing = admin_client.get(reverse("transcripts_admin:revisions", args=[transcript.pk])).content.decode()
    assert "Before an import" in listing
    shown = admin_client.get(reverse("transcripts_admin:revision", args=[transcript.pk, kept.pk]))
    assert "Corrected by an editor." in shown.content.decode() and "0:00:01.200" in shown.content.decode()
    admin_client.post(reverse("transcripts_admin:revision", args=[transcript.pk, kept.pk]))

    assert rows(transcript) == CORRECTIONS
    newest = transcript.revisions.first()
    assert newest.reason == TranscriptRevision.RESTORE
    assert newest.segments[0]["text"] == "A transcript made elsewhere."
    transcript.refresh_from_db()
    assert (transcript.status, transcript.edited, transcript.edited_by) == ("done", True, admin_user)
