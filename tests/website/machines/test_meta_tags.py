"""What machines read in a page's head: the canonical URL, the description, Open Graph and Twitter tags, and
their escaping."""

import json

import pytest
from django.test import RequestFactory

import episodes.models.shows as episode_pages
from episodes.factories import EpisodePageFactory, ShowPageFactory
from episodes.models import EpisodePage
from tests.website.machines.head import Head, head_of, is_absolute
from website import seo

pytestmark = pytest.mark.django_db

HOSTILE = '"><script>alert(1)</script>'


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


def test_canonical_url_ignores_a_paginator_on_its_first_page(episode):
    from django.core.paginator import Paginator
    from django.template import Context

    request = RequestFactory().get("/")
    first = Paginator([1, 2, 3], 1).get_page(1)
    third = Paginator([1, 2, 3], 1).get_page(3)

    assert seo.canonical_url(episode, request, Context({"items": first})) == episode.get_full_url(request)
    assert seo.canonical_url(episode, request, Context({"items": third})).endswith("?page=3")
