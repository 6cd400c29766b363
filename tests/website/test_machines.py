"""What machines read: canonical URLs, meta and Open Graph tags, schema.org JSON-LD, sitemap, robots.txt."""

import json
import re
from datetime import datetime
from html.parser import HTMLParser

import pytest
import wagtail_factories
from defusedxml import ElementTree
from django.test import RequestFactory
from django.utils import timezone
from wagtail.models import PageViewRestriction

import episodes.models.shows as episode_pages
from concepts.factories import ConceptIndexPageFactory, ConceptPageFactory
from episodes.factories import (
    AudioFileFactory,
    EpisodePageFactory,
    InterviewIndexPageFactory,
    InterviewPageFactory,
    PersonFactory,
    ShowPageFactory,
)
from episodes.models import EpisodePage, EpisodePerson, InterviewPerson, ShowHost
from transcripts.models import Segment, Transcript
from website import seo

pytestmark = pytest.mark.django_db

HOSTILE = '"><script>alert(1)</script>'
SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


class Head(HTMLParser):
    """The machine-readable parts of a page: meta tags, links and JSON-LD scripts (attribute values come
    out unescaped, as a crawler reads them)."""

    def __init__(self, html: str):
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.links: list[dict[str, str]] = []
        self.json_ld: list[str] = []
        self._in_ld = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and ("property" in attrs or "name" in attrs):
            key = attrs.get("property") or attrs["name"]
            self.meta.setdefault(key, []).append(attrs.get("content", ""))
        elif tag == "link":
            self.links.append(attrs)
        elif tag == "script" and attrs.get("type") == "application/ld+json":
            self._in_ld = True
            self.json_ld.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_ld = False

    def handle_data(self, data):
        if self._in_ld:
            self.json_ld[-1] += data

    def one(self, key: str) -> str:
        values = self.meta.get(key, [])
        assert len(values) == 1, f"{key}: {values}"
        return values[0]

    def link(self, rel: str, type: str | None = None) -> dict[str, str] | None:
        found = [link for link in self.links if link.get("rel") == rel and link.get("type") == type]
        assert len(found) <= 1, found
        return found[0] if found else None

    def schema(self, schema_type: str) -> dict:
        found = [data for data in map(json.loads, self.json_ld) if data.get("@type") == schema_type]
        assert len(found) == 1, self.json_ld
        assert found[0]["@context"] == "https://schema.org"
        return found[0]


def head_of(client, url: str) -> Head:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return Head(response.content.decode())


def is_absolute(url: str) -> bool:
    return re.match(r"^https?://[^/]+/", url) is not None


@pytest.fixture
def artwork():
    return wagtail_factories.ImageFactory(title="Show artwork", description="A microphone between two chairs")


@pytest.fixture
def show(home_page, artwork):
    return ShowPageFactory(parent=home_page, title="The Power of Coproduction", artwork=artwork)


@pytest.fixture
def audio(audio_dir):
    return AudioFileFactory(path=audio_dir / "tone.mp3")


@pytest.fixture
def episode(show, audio):
    return EpisodePageFactory(
        parent=show,
        title="Deciding together",
        summary="Two people talk about deciding together.",
        audio=audio,
        episode_number=3,
        season=1,
        publication_date=timezone.make_aware(datetime(2026, 2, 1, 10, 0)),
    )


def transcribe(audio, lines):
    transcript = Transcript.objects.create(
        audio=audio, status=Transcript.DONE, audio_sha256=audio.sha256, language="en"
    )
    Segment.objects.bulk_create(
        Segment(transcript=transcript, index=i, start_ms=i * 5000, end_ms=i * 5000 + 4000, text=line)
        for i, line in enumerate(lines)
    )
    return transcript


# ------------------------------------------------------------------------------------------- meta tags


def test_episode_head_has_canonical_description_open_graph_audio_and_player(client, episode, audio):
    head = head_of(client, episode.url)
    url = episode.get_full_url()

    assert head.link("canonical")["href"] == url
    assert head.one("description") == "Two people talk about deciding together."
    assert head.one("og:type") == "website"
    assert head.one("og:title") == "Deciding together"
    assert head.one("og:description") == "Two people talk about deciding together."
    assert head.one("og:url") == url
    assert head.one("og:site_name")
    image = head.one("og:image")
    assert is_absolute(image) and "/images/" in image
    assert int(head.one("og:image:width")) <= 1200 and int(head.one("og:image:height")) <= 1200
    assert head.one("og:image:alt") == "A microphone between two chairs"
    assert head.one("og:audio") == "http://localhost" + audio.url
    assert head.one("og:audio:type") == "audio/mpeg"
    assert head.one("twitter:card") == "player"
    assert head.one("twitter:player") == f"http://localhost/embed/episodes/{episode.pk}/"
    assert head.one("twitter:player:width").isdigit() and head.one("twitter:player:height").isdigit()
    oembed = head.link("alternate", "application/json+oembed")
    assert oembed["href"].startswith("http://localhost/oembed/?url=http%3A%2F%2Flocalhost%2F")
    assert oembed["href"].endswith("&format=json")


def test_search_description_wins_over_the_summary(client, episode):
    episode.search_description = "Written for search engines."
    episode.save_revision().publish()

    head = head_of(client, episode.url)

    assert head.one("description") == "Written for search engines."
    assert head.one("og:description") == "Written for search engines."


def test_an_episode_without_audio_offers_no_audio_player_or_oembed(client, show):
    episode = EpisodePageFactory(parent=show)

    head = head_of(client, episode.url)

    assert "og:audio" not in head.meta
    assert "twitter:player" not in head.meta
    assert head.one("twitter:card") == "summary_large_image"  # the show's artwork stands in
    assert head.link("alternate", "application/json+oembed") is None


def test_twitter_card_is_summary_without_any_image(client, home_page):
    show = ShowPageFactory(parent=home_page)

    head = head_of(client, show.url)

    assert head.one("twitter:card") == "summary"
    assert "og:image" not in head.meta


def test_show_and_home_descriptions_come_from_their_own_text(client, home_page, show):
    home_page.intro = "<p>Health made <b>together</b> &amp; well.</p><p>Listen in.</p>"
    home_page.featured_show = show
    home_page.save_revision().publish()

    home = head_of(client, "/")
    show_head = head_of(client, show.url)

    assert home.one("description") == "Health made together & well. Listen in."
    assert is_absolute(home.one("og:image"))  # the featured show's artwork
    assert show_head.one("description") == "Conversations about making health together."
    assert show_head.one("twitter:card") == "summary_large_image"


def test_long_descriptions_are_cut_on_a_word():
    text = "word " * 100
    cut = seo.plain_text(text)
    assert len(cut) <= seo.DESCRIPTION_CHARS
    assert cut.endswith("word…")


def test_a_hostile_title_is_escaped_in_every_tag_and_in_json_ld(client, home_page):
    """Input: a title that closes an attribute and opens a script. Error it guards against: markup
    injection through the title, description or JSON-LD."""
    show = ShowPageFactory(parent=home_page, title=HOSTILE, description=HOSTILE, author=HOSTILE)
    episode = EpisodePageFactory(parent=show, title=HOSTILE, summary=HOSTILE)

    for page in (show, episode):
        html = client.get(page.url).content.decode()
        assert "<script>alert(1)" not in html
        head = Head(html)
        assert head.one("og:title") == HOSTILE
        assert head.one("description") == HOSTILE
        schema = json.loads(head.json_ld[0])
        assert schema["name"] == HOSTILE and schema["description"] == HOSTILE
        assert "\\u003Cscript\\u003E" in head.json_ld[0]


def test_json_ld_cannot_close_its_script_element():
    text = seo.json_ld({"name": "</script><script>alert(1)</script> & more"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"name": "</script><script>alert(1)</script> & more"}


def test_canonical_drops_moment_and_tracking_parameters(client, episode):
    head = head_of(client, episode.url + "?t=1:30&utm_source=newsletter")
    assert head.link("canonical")["href"] == episode.get_full_url()
    assert head.one("og:url") == episode.get_full_url()


def test_canonical_keeps_the_page_number_of_a_listing_past_its_first_page(client, show, monkeypatch):
    monkeypatch.setattr(episode_pages, "EPISODES_PER_PAGE", 1)
    for _ in range(3):
        EpisodePageFactory(parent=show)
    url = show.get_full_url()

    assert head_of(client, show.url + "?page=2").link("canonical")["href"] == url + "?page=2"
    assert head_of(client, show.url + "?page=1").link("canonical")["href"] == url
    assert head_of(client, show.url + "?page=nonsense").link("canonical")["href"] == url


def test_the_preview_of_a_new_episode_has_its_tags_with_the_requests_address(show, audio):
    """A page that is not saved yet has no URL of its own: no canonical, other URLs from the request."""
    page = EpisodePage(title="Not saved yet", slug="not-saved-yet", summary="Coming soon.", audio=audio)
    page.depth = show.depth + 1
    page.path = page._get_path(show.path, page.depth, 1)

    response = page.make_preview_request()

    assert response.status_code == 200
    head = Head(response.content.decode())
    assert head.link("canonical") is None
    assert head.one("og:title") == "Not saved yet"
    assert head.one("og:audio") == "http://localhost" + audio.url
    assert head.link("alternate", "application/json+oembed") is None
    assert head.schema("PodcastEpisode")["partOfSeries"]["url"] == show.get_full_url()


def test_a_view_without_a_page_still_renders_its_head(client, home_page):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    head = Head(response.content.decode())
    assert head.one("og:site_name")
    assert head.link("canonical") is None


# ---------------------------------------------------------------------------------------------- JSON-LD


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


# ----------------------------------------------------------------------------------- sitemap and robots


def sitemap_entries(client) -> dict[str, str | None]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ElementTree.fromstring(response.content)
    return {
        url.findtext("s:loc", namespaces=SITEMAP_NS): url.findtext("s:lastmod", namespaces=SITEMAP_NS)
        for url in root.findall("s:url", SITEMAP_NS)
    }


def test_sitemap_lists_live_public_pages_with_lastmod(client, home_page, show, episode):
    episode.save_revision().publish()
    episode.refresh_from_db()
    entries = sitemap_entries(client)

    assert home_page.get_full_url() in entries
    assert show.get_full_url() in entries
    assert entries[episode.get_full_url()] == episode.last_published_at.date().isoformat()


def test_sitemap_leaves_out_drafts_private_pages_and_their_children(client, home_page, show):
    draft = EpisodePageFactory(parent=show, live=False)
    private_episode = EpisodePageFactory(parent=show)
    PageViewRestriction.objects.create(page=private_episode, restriction_type=PageViewRestriction.LOGIN)
    private_show = ShowPageFactory(parent=home_page)
    PageViewRestriction.objects.create(
        page=private_show, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )
    child_of_private = EpisodePageFactory(parent=private_show)

    entries = sitemap_entries(client)

    assert show.get_full_url() in entries
    for page in (draft, private_episode, private_show, child_of_private):
        assert page.get_full_url() not in entries


def test_robots_txt_keeps_crawlers_out_of_the_admins_and_names_the_sitemap(client):
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert "Disallow: /admin/" in lines
    assert "Disallow: /django-admin/" in lines
    assert "Disallow: /" not in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines


def test_robots_txt_names_the_sitemap_on_the_requested_host(client, settings):
    settings.ALLOWED_HOSTS = ["podcast.example.org"]
    response = client.get("/robots.txt", HTTP_HOST="podcast.example.org", secure=True)
    assert "Sitemap: https://podcast.example.org/sitemap.xml" in response.content.decode().splitlines()


def test_canonical_url_ignores_a_paginator_on_its_first_page(episode):
    from django.core.paginator import Paginator
    from django.template import Context

    request = RequestFactory().get("/")
    first = Paginator([1, 2, 3], 1).get_page(1)
    third = Paginator([1, 2, 3], 1).get_page(3)

    assert seo.canonical_url(episode, request, Context({"items": first})) == episode.get_full_url(request)
    assert seo.canonical_url(episode, request, Context({"items": third})).endswith("?page=3")
