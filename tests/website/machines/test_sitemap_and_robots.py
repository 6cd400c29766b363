"""What crawlers read first: the sitemap (live, public pages only) and robots.txt."""

import pytest
from defusedxml import ElementTree
from wagtail.models import PageViewRestriction

from episodes.factories import EpisodePageFactory, ShowPageFactory

pytestmark = pytest.mark.django_db

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


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
