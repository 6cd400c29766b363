"""Editors name a transcript's speakers across all its segments, suggested the episode's people."""

import pytest
from django.urls import reverse

from episodes.factories import PersonFactory
from episodes.models import EpisodePerson
from tests.transcripts.review_helpers import transcript_of
from transcripts.models import Transcript

pytestmark = pytest.mark.django_db


def test_speakers_are_named_across_the_transcript(admin_client, admin_user, episode):
    transcript = transcript_of(episode.audio, count=5)
    person = PersonFactory(name="Amara Okafor")
    EpisodePerson.objects.create(page=episode, person=person)
    url = reverse("transcripts_admin:speakers", args=[transcript.pk])

    page = admin_client.get(url).content.decode()
    assert '<option value="Amara Okafor">' in page  # the episode's people are suggested
    assert "SPEAKER 1 (3 segments)" in page
    response = admin_client.post(url, {"old": "SPEAKER 1", "new": " Amara   Okafor "}, follow=True)

    assert "SPEAKER 1 is now Amara Okafor in 3 segments." in response.content.decode()
    assert list(transcript.segments.order_by("index").values_list("speaker", flat=True)) == [
        "Amara Okafor",
        "SPEAKER 2",
        "Amara Okafor",
        "SPEAKER 2",
        "Amara Okafor",
    ]
    (revision,) = transcript.revisions.all()
    assert revision.user == admin_user and revision.segments[0]["speaker"] == "SPEAKER 1"
    assert Transcript.objects.get(pk=transcript.pk).edited


def test_a_speaker_must_be_one_the_transcript_has(admin_client, episode):
    transcript = transcript_of(episode.audio)
    url = reverse("transcripts_admin:speakers", args=[transcript.pk])

    response = admin_client.post(url, {"old": "NOBODY", "new": "Amara"})

    assert "Select a valid choice." in response.content.decode()
    assert not transcript.revisions.exists()
