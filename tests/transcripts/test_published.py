"""Which transcript a visitor may see, on every surface that shows one (issue 13).

The case: an editor corrects a finished transcript, then the audio file is replaced (new content, new
sha256). The editor's corrections are kept (a re-run is not queued for them), so the transcript stays
DONE, but it is of the old audio: no public surface may show it, link its lines to moments in the new
audio, or advertise it. Each test first sees the transcript on its surface, then replaces the file.
Search runs on SQLite (FTS5) and on PostgreSQL (its own full-text query) with DATABASE_URL.
"""

import json
import re

import pytest
from django.core.files import File
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from concepts.factories import ConceptIndexPageFactory, ConceptPageFactory
from concepts.linking import link_transcript
from concepts.models import LearningPathPage, LearningPathStep, Mention
from episodes.factories import (
    AudioFileFactory,
    EpisodePageFactory,
    InterviewIndexPageFactory,
    InterviewPageFactory,
    ShowPageFactory,
)
from episodes.feeds import build_feed
from episodes.models import EpisodePage
from episodes.uploads import AudioFileUploadForm
from search.indexing import index_transcript
from search.postgres import uses_postgres_fts
from search.sqlite import uses_sqlite_fts
from transcripts.formats import FORMATS
from transcripts.models import Segment, Transcript

pytestmark = pytest.mark.django_db

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
# Said only in the corrected transcript: a search for it finds that transcript's lines and nothing else.
WORD = "wombat"
LINES = [
    "Welcome to the show.",
    f"Coproduction with a {WORD} takes patience.",
    f"The {WORD} decides where the burrow goes.",
]


@pytest.fixture(autouse=True)
def _full_text_backend(db):
    """As in tests/search: the database backend chooses FTS5 once the test database has its tables."""
    from modelsearch.backends import database

    database.USE_SQLITE_FTS = None
    yield
    database.USE_SQLITE_FTS = None


def corrected_transcript(audio) -> Transcript:
    """A finished transcript of ``audio`` that an editor has corrected, linked and indexed as the
    transcription task leaves one."""
    transcript = Transcript.objects.create(
        audio=audio,
        status=Transcript.DONE,
        audio_sha256=audio.sha256,
        language="en",
        progress=1,
        edited=True,
        edited_at=timezone.now(),
    )
    Segment.objects.bulk_create(
        Segment(transcript=transcript, index=i, start_ms=i * 20_000, end_ms=i * 20_000 + 5000, text=line)
        for i, line in enumerate(LINES)
    )
    index_transcript(transcript.pk)
    link_transcript(transcript.pk)
    return transcript


@pytest.fixture
def site(home_page, audio_dir):
    show = ShowPageFactory(parent=home_page, title="The Power of Coproduction")
    audio = AudioFileFactory(path=audio_dir / "tone.mp3", title="Burrows")
    episode = EpisodePageFactory(parent=show, audio=audio, title="Burrows and decisions")
    interviews = InterviewIndexPageFactory(parent=home_page)
    interview = InterviewPageFactory(parent=interviews, audio=audio, title="A written conversation")
    concepts = ConceptIndexPageFactory(parent=home_page)
    concept = ConceptPageFactory(parent=concepts, title="Coproduction", slug="coproduction-concept")
    transcript = corrected_transcript(audio)
    return {
        "show": show,
        "audio": audio,
        "episode": episode,
        "interview": interview,
        "concepts": concepts,
        "concept": concept,
        "transcript": transcript,
        "audio_dir": audio_dir,
    }


def replace_file(audio, path, capture):
    """Give ``audio`` new content as the admin's edit form does, running what saving queues after commit
    (``request_transcription``, which leaves an editor's corrections alone)."""
    with path.open("rb") as fh, capture(execute=True):
        form = AudioFileUploadForm(
            data={"title": audio.title}, files={"file": File(fh, name=path.name)}, instance=audio
        )
        assert form.is_valid(), form.errors
        form.save()
    audio.refresh_from_db()


@pytest.fixture(params=["replaced", "held"])
def replace(request, site, django_capture_on_commit_callbacks):
    """Takes the site's transcript out of sight, in one of two ways: "replaced" replaces the audio file, so
    the corrected transcript is of the old content; "held" holds it for review as a run does when an
    English-only model heard speech that is not English (issue 16), telling what depends on it."""

    def hold():
        from transcripts.transcribing import transcript_changed

        with django_capture_on_commit_callbacks(execute=True):
            Transcript.objects.filter(pk=site["transcript"].pk).update(
                held=True, held_reason="The speech may not be English."
            )
            transcript_changed(Transcript.objects.get(pk=site["transcript"].pk))
        assert not Transcript.objects.current().filter(pk=site["transcript"].pk).exists()

    def run():
        old_sha256 = site["audio"].sha256
        replace_file(site["audio"], site["audio_dir"] / "tone.flac", django_capture_on_commit_callbacks)
        transcript = Transcript.objects.get(pk=site["transcript"].pk)
        assert site["audio"].sha256 != old_sha256
        assert (transcript.status, transcript.edited, transcript.audio_sha256) == (
            Transcript.DONE,
            True,
            old_sha256,
        )

    return hold if request.param == "held" else run


def html_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


# ------------------------------------------------------------------------------------- the definition


def test_published_is_current_and_on_a_public_page(site, replace):
    transcript = site["transcript"]
    assert list(Transcript.objects.published()) == [transcript]
    assert Segment.objects.published().count() == len(LINES)

    replace()

    assert not Transcript.objects.current().exists()
    assert not Transcript.objects.published().exists()
    assert not Segment.objects.published().exists()
    assert Transcript.objects.shown_with(site["audio"]) is None


def test_a_current_transcript_is_unpublished_with_its_last_public_page(site):
    site["episode"].unpublish()
    assert Transcript.objects.published().exists()  # the interview still plays it

    site["interview"].unpublish()

    assert Transcript.objects.current().exists()
    assert not Transcript.objects.published().exists()


# ------------------------------------------------------------------------------------------- surfaces


@pytest.mark.parametrize("page", ["episode", "interview"])
def test_the_page_no_longer_shows_it(client, site, replace, page):
    url = site[page].url
    assert WORD in html_of(client, url)

    replace()

    html = html_of(client, url)
    assert WORD not in html
    assert "transcript-heading" not in html and "<track" not in html
    assert f"/transcripts/{site['transcript'].pk}." not in html


def test_the_embedded_player_has_no_captions_from_it(client, site, replace):
    url = reverse("episodes:embed", args=[site["episode"].pk])
    assert "<track" in html_of(client, url)

    replace()

    assert "<track" not in html_of(client, url)


@pytest.mark.parametrize("extension", sorted(FORMATS))
def test_its_files_answer_404(client, site, replace, extension):
    url = reverse("transcripts:file", args=[site["transcript"].pk, extension])
    assert client.get(url).status_code == 200

    replace()

    assert client.get(url).status_code == 404


def test_the_feed_has_no_podcast_transcript_for_it(site, replace):
    def transcript_urls():
        tags = etree.fromstring(build_feed(site["show"])).findall(f".//item/{{{PODCAST_NS}}}transcript")
        return [tag.get("url") for tag in tags]

    assert any(f"/transcripts/{site['transcript'].pk}." in url for url in transcript_urls())

    replace()

    assert transcript_urls() == []


def test_the_feed_view_has_no_podcast_transcript_for_it(client, site, replace):
    url = reverse("episodes:feed", args=[site["show"].pk])
    assert "podcast:transcript" in client.get(url).content.decode()

    replace()  # saving the audio refreshes the feed's cache

    assert "podcast:transcript" not in client.get(url).content.decode()


SEARCHES = [
    pytest.param({}, id="all"),
    pytest.param({"type": "moments"}, id="moments"),
    pytest.param({"type": "moments", "concept": "concept"}, id="moments of a concept"),
]


def search_params(site, params: dict) -> dict:
    # The database's own search of lines (search/postgres.py or search/sqlite.py), as a real site has it.
    assert uses_postgres_fts() or uses_sqlite_fts()
    params = {"q": WORD, **params}
    if "concept" in params:
        params["concept"] = site["concept"].pk
    return params


@pytest.mark.parametrize("params", SEARCHES)
def test_search_html_does_not_return_its_lines(client, site, replace, params):
    params = search_params(site, params)
    moment = f'href="{site["episode"].url}?t=20"'
    assert moment in html_of(client, "/search/?" + "&".join(f"{k}={v}" for k, v in params.items()))

    replace()

    response = client.get("/search/", params)
    assert response.status_code == 200
    html = response.content.decode()
    assert "?t=" not in html
    assert "takes patience" not in html and "burrow goes" not in html


@pytest.mark.parametrize("params", SEARCHES)
def test_search_json_does_not_return_its_lines(client, site, replace, params):
    params = {**search_params(site, params), "format": "json"}

    def moments():
        data = json.loads(client.get("/search/", params).content)
        return [hit for group in data["groups"] if group["type"] == "moments" for hit in group["results"]]

    assert 20 in [hit["start_seconds"] for hit in moments()]

    replace()

    assert moments() == []


def test_the_concept_page_shows_none_of_its_mentions(client, site, replace):
    concept = site["concept"]
    assert Mention.objects.visible().filter(concept=concept).exists()
    assert f"{WORD} takes patience" in html_of(client, concept.url)
    assert "Discussed in 2 episodes or interviews." in html_of(client, site["concepts"].url)

    replace()

    assert not Mention.objects.visible().filter(concept=concept).exists()
    html = html_of(client, concept.url)
    assert WORD not in html
    assert "No episode discusses this concept yet." in html
    # The glossary counts no page for it either.
    assert "Not yet discussed in an episode." in html_of(client, site["concepts"].url)


def test_the_episode_page_lists_no_concept_from_it(client, site, replace):
    from concepts.models.mentions import concepts_on_page

    def discussed():
        episode = EpisodePage.objects.get(pk=site["episode"].pk)  # as a request serves it
        return concepts_on_page(episode, Transcript.objects.shown_with(episode.audio))

    assert [concept.pk for concept, _ in discussed()] == [site["concept"].pk]

    replace()

    assert discussed() == []
    assert WORD not in html_of(client, site["episode"].url)


def test_a_learning_path_quotes_nothing_from_it(client, site, replace):
    path = LearningPathPage(title="Burrows: a seminar", slug="seminar")
    site["concepts"].add_child(instance=path)
    LearningPathStep.objects.create(
        page=path, sort_order=0, target=site["episode"], start_ms=20_000, end_ms=45_000, note="Listen."
    )
    assert f"Coproduction with a {WORD} takes patience." in html_of(client, path.url)

    replace()

    html = html_of(client, path.url)
    assert WORD not in html
    assert f'href="{site["episode"].url}?t=20"' in html  # the step itself stays, without a quote


def test_json_ld_and_the_sitemap_do_not_advertise_it(client, site, replace):
    def audio_object():
        html = html_of(client, site["episode"].url)
        scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
        episode = next(d for d in map(json.loads, scripts) if d.get("@type") == "PodcastEpisode")
        return episode["associatedMedia"]

    assert WORD in audio_object()["transcript"]

    replace()

    assert "transcript" not in audio_object()
    sitemap = html_of(client, reverse("sitemap"))
    assert "/transcripts/" not in sitemap and WORD not in sitemap
