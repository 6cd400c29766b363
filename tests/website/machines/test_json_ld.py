"""What machines read in a page's schema.org JSON-LD: podcast series and episodes, articles, defined terms
and the website's search action."""

from datetime import datetime

import pytest

from concepts.factories import ConceptIndexPageFactory, ConceptPageFactory
from episodes.factories import InterviewIndexPageFactory, InterviewPageFactory, PersonFactory
from episodes.models import EpisodePerson, InterviewPerson, ShowHost
from tests.website.machines.head import head_of, is_absolute
from transcripts.models import Segment, Transcript
from website import seo

pytestmark = pytest.mark.django_db


def transcribe(audio, lines):
    transcript = Transcript.objects.create(
        audio=audio, status=Transcript.DONE, audio_sha256=audio.sha256, language="en"
    )
    Segment.objects.bulk_create(
        Segment(transcript=transcript, index=i, start_ms=i * 5000, end_ms=i * 5000 + 4000, text=line)
        for i, line in enumerate(lines)
    )
    return transcript


def test_show_json_ld_is_a_podcast_series(client, show):
    host = PersonFactory(name="Amara Osei", link="https://example.org/amara")
    ShowHost.objects.create(page=show, person=host)

    data = head_of(client, show.url).schema("PodcastSeries")

    assert data["name"] == show.title
    assert data["description"] == show.description
    assert data["url"] == show.get_full_url()
    assert is_absolute(data["image"])
    assert data["webFeed"] == f"http://localhost/feeds/{show.pk}.xml"
    assert data["author"] == {"@type": "Organization", "name": "Coproduction Collective"}
    assert data["actor"] == [{"@type": "Person", "name": "Amara Osei", "description": "Patient leader",
                              "url": "https://example.org/amara"}]  # fmt: skip


def test_episode_json_ld_is_a_podcast_episode_with_its_audio_and_transcript(client, episode, audio, show):
    EpisodePerson.objects.create(page=episode, person=PersonFactory(name="Amara Osei"), role="guest")
    EpisodePerson.objects.create(page=episode, person=PersonFactory(name="Sam Producer"), role="producer")
    transcribe(audio, ["Welcome to the show.", "We decide <together>."])

    data = head_of(client, episode.url).schema("PodcastEpisode")

    assert data["name"] == "Deciding together"
    assert data["url"] == episode.get_full_url()
    assert datetime.fromisoformat(data["datePublished"]) == episode.publication_date
    assert data["episodeNumber"] == 3
    assert data["partOfSeason"] == {"@type": "PodcastSeason", "seasonNumber": 1}
    series = data["partOfSeries"]
    assert series["@type"] == "PodcastSeries" and series["url"] == show.get_full_url()
    assert data["timeRequired"] == data["duration"] == "PT3S"
    media = data["associatedMedia"]
    assert media["@type"] == "AudioObject"
    assert media["contentUrl"] == "http://localhost" + audio.url
    assert media["encodingFormat"] == "audio/mpeg"
    assert media["duration"] == "PT3S"
    assert media["transcript"] == "Welcome to the show.\nWe decide <together>."
    assert [person["name"] for person in data["actor"]] == ["Amara Osei"]
    assert [person["name"] for person in data["contributor"]] == ["Sam Producer"]
    assert all(person["@type"] == "Person" for person in data["actor"] + data["contributor"])


def test_a_long_transcript_is_left_out_of_json_ld(client, episode, audio):
    transcribe(audio, ["A sentence that goes on for a while about coproduction."] * 500)

    data = head_of(client, episode.url).schema("PodcastEpisode")

    assert "transcript" not in data["associatedMedia"]
    assert data["associatedMedia"]["contentUrl"].endswith(audio.url)


def test_interview_json_ld_is_an_article(client, home_page, show):
    index = InterviewIndexPageFactory(parent=home_page)
    interview = InterviewPageFactory(
        parent=index, title="Learning from families", show=show, date="2026-03-04"
    )
    InterviewPerson.objects.create(
        page=interview, person=PersonFactory(name="Ines Asker"), role="interviewer"
    )

    head = head_of(client, interview.url)
    data = head.schema("Article")

    assert head.one("og:type") == "article"
    assert head.one("article:published_time") == "2026-03-04"
    assert data["headline"] == "Learning from families"
    assert data["datePublished"] == "2026-03-04"
    assert data["author"] == [{"@type": "Person", "name": "Ines Asker", "description": "Patient leader"}]
    assert data["publisher"]["@type"] == "Organization"
    assert data["isPartOf"]["@type"] == "PodcastSeries"
    assert data["description"] == "A written conversation."


def test_concept_json_ld_is_a_defined_term_in_the_glossary(client, home_page):
    glossary = ConceptIndexPageFactory(parent=home_page)
    concept = ConceptPageFactory(parent=glossary, title="Shared decision making", other_names="SDM")

    head = head_of(client, concept.url)
    data = head.schema("DefinedTerm")

    assert head.one("og:type") == "article"
    assert head.one("description") == concept.definition
    assert data["name"] == "Shared decision making"
    assert data["description"] == concept.definition
    assert data["alternateName"] == ["SDM"]
    assert data["inDefinedTermSet"] == {
        "@type": "DefinedTermSet",
        "name": glossary.title,
        "url": glossary.get_full_url(),
    }
    assert head_of(client, glossary.url).schema("DefinedTermSet")["url"] == glossary.get_full_url()


def test_home_json_ld_is_a_website_with_a_search_action(client, home_page):
    data = head_of(client, "/").schema("WebSite")

    assert data["url"] == home_page.get_full_url()
    action = data["potentialAction"]
    assert action["@type"] == "SearchAction"
    assert action["target"]["urlTemplate"] == "http://localhost/search/?q={search_term_string}"
    assert action["query-input"] == "required name=search_term_string"


def test_iso_durations():
    assert seo.iso_duration(0) == "PT0S"
    assert seo.iso_duration(3_723_400) == "PT1H2M3S"
    assert seo.iso_duration(60_000) == "PT1M0S"
