"""Editors name a transcript's speakers once (issue 16, item 3): each label with a sample line and a Play
button, mapped to one of the episode's people or a typed name; every line follows, and the voice print goes
with the name so that a re-run names the voice alike (that run is in test_speakers.py)."""

import json

import pytest
from django.urls import reverse

from episodes.factories import PersonFactory
from episodes.models import EpisodePerson
from tests.transcripts.review_helpers import transcript_of
from transcripts import editing
from transcripts.models import Transcript

pytestmark = pytest.mark.django_db

VOICE_1, VOICE_2 = [0.1] * 256, [0.2] * 256
VOICES = {"SPEAKER 1": [VOICE_1], "SPEAKER 2": [VOICE_2]}


def names_post(labels, **rows):
    """The form's data: ``rows`` as person_0="Amara Okafor", name_1="Ben" and so on."""
    return {"labels": json.dumps(labels), **rows}


def speakers_of(transcript):
    return list(transcript.segments.order_by("index").values_list("speaker", flat=True))


def test_the_page_lists_each_label_with_a_sample_line_to_play_and_the_episodes_people(admin_client, episode):
    transcript = transcript_of(episode.audio, count=5)
    transcript.segments.filter(index=2).update(text="The longest line of the first voice.", end_ms=120)
    EpisodePerson.objects.create(page=episode, person=PersonFactory(name="Amara Okafor"))
    url = reverse("transcripts_admin:speakers", args=[transcript.pk])

    page = admin_client.get(url).content.decode()

    assert "SPEAKER 1" in page and "3 lines" in page and "2 lines" in page
    assert "<q>The longest line of the first voice.</q>" in page  # the longest line is the sample
    assert 'name="sample-0-start" value="0:00:00.080"' in page  # what Play plays
    assert page.count("data-play-segment>") == 2  # a Play button per label
    assert '<option value="Amara Okafor">Amara Okafor</option>' in page  # the select of the episode's people
    assert 'list="speaker-names"' in page  # or a typed name, with suggestions


def test_each_label_is_named_once_and_every_line_follows(admin_client, admin_user, episode):
    transcript = transcript_of(episode.audio, count=5)
    Transcript.objects.filter(pk=transcript.pk).update(voices=VOICES)
    EpisodePerson.objects.create(page=episode, person=PersonFactory(name="Amara Okafor"))
    url = reverse("transcripts_admin:speakers", args=[transcript.pk])

    response = admin_client.post(
        url,
        names_post(["SPEAKER 1", "SPEAKER 2"], person_0="Amara Okafor", name_1="  Ben   Adeyemi "),
        follow=True,
    )

    message = "SPEAKER 1 is now Amara Okafor, SPEAKER 2 is now Ben Adeyemi (5 segments)"
    assert message in response.content.decode()
    assert speakers_of(transcript) == ["Amara Okafor", "Ben Adeyemi"] * 2 + ["Amara Okafor"]
    transcript.refresh_from_db()
    # The voices go with their names, for a re-run to name them alike.
    assert transcript.voices == {"Amara Okafor": [VOICE_1], "Ben Adeyemi": [VOICE_2]}
    assert transcript.edited
    (revision,) = transcript.revisions.all()
    assert revision.user == admin_user and revision.segments[0]["speaker"] == "SPEAKER 1"


def test_a_typed_name_wins_over_the_select_and_a_kept_label_stays(admin_client, episode):
    transcript = transcript_of(episode.audio, count=4)
    EpisodePerson.objects.create(page=episode, person=PersonFactory(name="Amara Okafor"))
    url = reverse("transcripts_admin:speakers", args=[transcript.pk])

    data = names_post(["SPEAKER 1", "SPEAKER 2"], person_1="Amara Okafor", name_1="Dr Okafor")
    admin_client.post(url, data)

    assert speakers_of(transcript) == ["SPEAKER 1", "Dr Okafor"] * 2


def test_two_labels_given_one_name_merge_and_swapping_names_keeps_each_voice(admin_user, episode):
    transcript = transcript_of(episode.audio, count=4)
    Transcript.objects.filter(pk=transcript.pk).update(voices=VOICES)

    editing.name_speakers(transcript, {"SPEAKER 1": "SPEAKER 2", "SPEAKER 2": "SPEAKER 1"}, admin_user)
    transcript.refresh_from_db()
    assert speakers_of(transcript) == ["SPEAKER 2", "SPEAKER 1"] * 2
    assert transcript.voices == {"SPEAKER 2": [VOICE_1], "SPEAKER 1": [VOICE_2]}

    editing.name_speakers(transcript, {"SPEAKER 1": "Amara", "SPEAKER 2": "Amara"}, admin_user)
    transcript.refresh_from_db()
    assert set(speakers_of(transcript)) == {"Amara"}
    assert transcript.voices == {"Amara": [VOICE_2, VOICE_1]}


def test_labels_that_changed_since_the_page_was_opened_rename_nothing(admin_client, episode):
    transcript = transcript_of(episode.audio)
    url = reverse("transcripts_admin:speakers", args=[transcript.pk])

    response = admin_client.post(url, names_post(["Speaker 1", "Speaker 2"], name_0="Amara"))

    assert "The speakers changed since you opened this page" in response.content.decode()
    assert speakers_of(transcript) == ["SPEAKER 1", "SPEAKER 2", "SPEAKER 1"]
    assert not transcript.revisions.exists()


def test_no_new_name_changes_nothing(admin_client, episode):
    transcript = transcript_of(episode.audio)
    url = reverse("transcripts_admin:speakers", args=[transcript.pk])

    response = admin_client.post(url, names_post(["SPEAKER 1", "SPEAKER 2"], name_0="SPEAKER 1"))

    assert "Nothing had changed" in response.content.decode()
    assert not transcript.revisions.exists()


def test_a_transcript_without_speakers_says_why(admin_client, episode):
    transcript = transcript_of(episode.audio)
    transcript.segments.update(speaker="")
    note = "Speakers cannot be found: the resemblyzer package is not installed; or TRANSCRIPT_SPEAKERS=False."
    Transcript.objects.filter(pk=transcript.pk).update(speakers_note=note)

    page = admin_client.get(reverse("transcripts_admin:speakers", args=[transcript.pk])).content.decode()

    assert "No line names its speaker yet." in page
    assert "the resemblyzer package is not installed" in page
    segments = admin_client.get(reverse("transcripts_admin:segments", args=[transcript.pk])).content.decode()
    assert f"Speakers: {note}" in segments  # every review screen says it


def test_transcribe_again_says_which_names_a_rerun_keeps(admin_client, episode):
    transcript = transcript_of(episode.audio)
    Transcript.objects.filter(pk=transcript.pk).update(
        voices={"Amara Okafor": [VOICE_1], "Speaker 2": [VOICE_2]}
    )

    page = admin_client.get(reverse("transcripts_admin:rerun", args=[transcript.pk])).content.decode()

    assert "Speakers named so far (Amara Okafor) keep their names" in page
