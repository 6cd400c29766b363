"""Concept pages, the glossary index and the episode's 'Concepts discussed', as visitors see them."""

import pytest
from wagtail.models import PageViewRestriction
from wagtail.test.utils import WagtailPageTestCase

from concepts.factories import ConceptPageFactory
from concepts.linking import link_transcript
from concepts.models import ConceptIndexPage, ConceptPage, ManualMention, Mention, RelatedConcept
from episodes.factories import AudioFileFactory, EpisodePageFactory
from episodes.models import EpisodePage, ShowPage
from website.models import HomePage

from .conftest import transcribe

pytestmark = pytest.mark.django_db


class TestTreeRules(WagtailPageTestCase):
    def test_concepts_live_under_their_index_under_home(self):
        self.assertCanCreateAt(HomePage, ConceptIndexPage)
        self.assertCanCreateAt(ConceptIndexPage, ConceptPage)
        self.assertCanNotCreateAt(HomePage, ConceptPage)
        self.assertCanNotCreateAt(ShowPage, ConceptPage)
        self.assertCanNotCreateAt(ConceptPage, EpisodePage)


def test_the_concept_page_lists_moments_by_episode_with_links_to_the_time(
    client, episode, audio, coproduction
):
    link_transcript(transcribe(audio).pk)

    html = client.get(coproduction.url).content.decode()

    assert '<h2 id="moments-heading">Where it is discussed</h2>' in html
    assert f'<a href="{episode.url}">Planning a discharge together</a>' in html
    assert f'href="{episode.url}?t=10"' in html and f'href="{episode.url}?t=30"' in html
    assert "<q>Today we talk about coproduction in the clinic.</q>" in html
    assert html.index("?t=10") < html.index("?t=30")


def test_hidden_draft_and_private_moments_never_show(client, show, episode, audio, audio_dir, coproduction):
    link_transcript(transcribe(audio).pk)
    Mention.objects.filter(start_ms=30_000).update(hidden=True)
    draft_audio = AudioFileFactory(path=audio_dir / "tone.ogg")
    draft = EpisodePageFactory(parent=show, audio=draft_audio, live=False, title="Draft episode")
    private_audio = AudioFileFactory(path=audio_dir / "tone.flac")
    private = EpisodePageFactory(parent=show, audio=private_audio, title="Members only")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    link_transcript(transcribe(draft_audio).pk)
    link_transcript(transcribe(private_audio).pk)
    assert Mention.objects.filter(page__in=[draft, private]).count() == 4  # found, but not shown

    html = client.get(coproduction.url).content.decode()

    assert "?t=10" in html
    assert "?t=30" not in html
    assert "Draft episode" not in html and draft.url not in html
    assert "Members only" not in html
    index = client.get(coproduction.get_parent().url).content.decode()
    assert "Discussed in 1 episode or interview." in index


def test_the_index_is_a_to_z_with_definitions_and_counts(
    client, concept_index, episode, audio, coproduction, sdm
):
    ConceptPageFactory(parent=concept_index, title="Teach-back", definition="Checking understanding.")
    link_transcript(transcribe(audio).pk)

    html = client.get(concept_index.url).content.decode()

    assert html.index('id="letter-C"') < html.index('id="letter-S"') < html.index('id="letter-T"')
    assert '<a href="#letter-S">S</a>' in html
    assert "Choosing a treatment together" in html
    assert html.count("Discussed in 1 episode or interview.") == 2
    assert "Not yet discussed in an episode." in html


def test_a_moment_linked_by_hand_counts_and_shows(client, concept_index, episode, coproduction):
    concept = ConceptPageFactory(parent=concept_index, title="Mutual respect", definition="Each listens.")
    ManualMention.objects.create(page=concept, target=episode, start_ms=95_000, note="Ann on being heard.")

    html = client.get(concept.url).content.decode()
    assert f'href="{episode.url}?t=95"' in html and "<q>Ann on being heard.</q>" in html
    assert "Discussed in 1 episode" in client.get(concept_index.url).content.decode()


def test_related_concepts_show_on_both_pages(client, coproduction, sdm):
    RelatedConcept.objects.create(page=coproduction, concept=sdm)

    assert f'<a href="{sdm.url}">Shared decision-making</a>' in client.get(coproduction.url).content.decode()
    assert f'<a href="{coproduction.url}">Coproduction</a>' in client.get(sdm.url).content.decode()


def test_the_episode_page_lists_its_concepts_with_their_first_moment(
    client, episode, audio, coproduction, sdm
):
    link_transcript(transcribe(audio).pk)
    ConceptPageFactory(parent=coproduction.get_parent(), title="Unpublished idea", live=False)

    html = client.get(episode.url).content.decode()

    assert '<h2 id="concepts-heading">Concepts discussed</h2>' in html
    assert f'<a href="{coproduction.url}">Coproduction</a>' in html
    assert f'href="{episode.url}?t=10"' in html  # the first of its two moments
    assert f'href="{episode.url}?t=20"' in html  # shared decision-making
    assert "Unpublished idea" not in html


def test_the_concept_page_query_count_does_not_grow_with_its_moments(
    client, django_assert_max_num_queries, show, audio_dir, coproduction
):
    for _n in range(2):
        audio = AudioFileFactory(path=audio_dir / "tone.mp3")
        EpisodePageFactory(parent=show, audio=audio)
        link_transcript(transcribe(audio).pk)
    client.get(coproduction.url)  # warm the site and page caches
    with django_assert_max_num_queries(40) as few:
        client.get(coproduction.url)
    for _n in range(6):
        audio = AudioFileFactory(path=audio_dir / "tone.mp3")
        EpisodePageFactory(parent=show, audio=audio)
        link_transcript(transcribe(audio).pk)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(coproduction.url)
