"""Linking follows changes by itself: finished transcripts, published concepts and interviews; and the
transcription glossary learns the concepts' names."""

import pytest

from concepts.models import Mention
from episodes.factories import InterviewIndexPageFactory, InterviewPageFactory
from transcripts.transcribing import glossary_prompt, transcript_changed, vocabulary

from .conftest import transcribe

pytestmark = pytest.mark.django_db


def test_a_changed_transcript_is_linked_after_commit(
    episode, audio, coproduction, django_capture_on_commit_callbacks
):
    transcript = transcribe(audio)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        transcript_changed(transcript)
    assert not Mention.objects.exists()  # nothing before the commit

    for callback in callbacks:
        callback()  # the tests' task backend runs the linking task at once

    assert Mention.objects.filter(page=episode, concept=coproduction).count() == 2


def test_publishing_a_concept_with_a_new_alias_links_it(
    episode, audio, sdm, django_capture_on_commit_callbacks
):
    transcribe(audio, ["We chose together: a joint decision."])
    sdm.other_names = "SDM\njoint decision"
    with django_capture_on_commit_callbacks(execute=True):
        sdm.save_revision().publish()

    assert list(Mention.objects.values_list("concept_id", "quote")) == [
        (sdm.pk, "We chose together: a joint decision.")
    ]


def test_publishing_an_interview_links_its_text(home_page, coproduction, django_capture_on_commit_callbacks):
    interview = InterviewPageFactory(parent=InterviewIndexPageFactory(parent=home_page))
    with django_capture_on_commit_callbacks(execute=True):
        interview.save_revision().publish()

    assert Mention.objects.filter(page=interview, concept=coproduction).exists()


def test_publishing_an_episode_links_its_audio_transcript_to_it(
    show, audio, coproduction, django_capture_on_commit_callbacks
):
    from episodes.factories import EpisodePageFactory

    transcribe(audio)
    episode = EpisodePageFactory(parent=show, audio=audio, live=False)
    assert not Mention.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        episode.save_revision().publish()

    assert Mention.objects.filter(page=episode).count() == 2


def test_the_glossary_prompt_carries_concept_terms_and_aliases(coproduction, sdm, concept_index, settings):
    from concepts.factories import ConceptPageFactory

    settings.TRANSCRIPTION_VOCABULARY = []
    ConceptPageFactory(parent=concept_index, title="Draft idea", live=False)

    terms = vocabulary()
    assert {"Coproduction", "co-production", "coproduce", "Shared decision-making", "SDM"} <= set(terms)
    assert "Draft idea" not in terms
    assert "SDM" in glossary_prompt()
