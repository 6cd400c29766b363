"""website/routing.py finds the page Wagtail's own walk down the tree finds, in two queries: for every kind
of path (the home page, a show, an episode, a path past a page, a page that does not exist, an unpublished
page, an episode before its publication date, a second site's page), and, with the page cache on, the
remembered site and header links are retired by the changes that alter them."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Page, Site

from episodes.factories import EpisodePageFactory, ShowPageFactory
from website.routing import find_route

pytestmark = pytest.mark.django_db


def routed(path: str, host: str = "localhost"):
    """(ours, Wagtail's): the page each finds for ``path`` on ``host``, or None."""
    ours = find_route(RequestFactory(HTTP_HOST=host).get(path), path)
    theirs = Page.route_for_request(RequestFactory(HTTP_HOST=host).get(path), path)
    return (ours.page if ours else None), (theirs.page if theirs else None)


@pytest.fixture
def tree(home_page):
    show = ShowPageFactory(parent=home_page, slug="together")
    episode = EpisodePageFactory(parent=show, slug="deciding")
    future = EpisodePageFactory(parent=show, slug="next-week", publication_date=timezone.now() + timedelta(7))
    draft = EpisodePageFactory(parent=show, slug="draft")
    draft.unpublish()
    return {"show": show, "episode": episode, "future": future, "draft": draft}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "home"),
        ("/together/", "show"),
        ("/together/deciding/", "episode"),
        ("/together/deciding/more/", None),  # past an episode: nothing there
        ("/together/nothing/", None),
        ("/elsewhere/", None),
        ("/together/next-week/", None),  # live, but not out yet
        ("/together/draft/", None),  # unpublished
    ],
)
def test_the_same_page_as_wagtails_walk(tree, home_page, path, expected):
    ours, theirs = routed(path)
    want = {"home": home_page, None: None, **tree}[expected]
    assert ours == theirs == want
    if ours is not None:
        assert type(ours) is type(theirs) is type(want.specific)  # the specific page, as Wagtail gives


def test_a_second_sites_pages_on_its_own_host(tree, home_page):
    other_root = ShowPageFactory(parent=home_page.get_parent(), slug="other-home", title="Other site")
    Site.objects.create(hostname="other.example.org", port=80, root_page=other_root)
    child = EpisodePageFactory(parent=other_root, slug="hello")

    assert routed("/hello/", "other.example.org") == (child, child)
    assert routed("/together/", "other.example.org") == (None, None)  # the default site's, not this one's
    assert routed("/together/", "localhost") == (tree["show"], tree["show"])


def test_two_queries_instead_of_wagtails_six(tree, settings):
    settings.PAGE_CACHE_SECONDS = 300  # the site remembered, as in production
    path = "/together/deciding/"
    find_route(RequestFactory().get(path), path)  # the site is remembered on first use
    with CaptureQueriesContext(connection) as ours:
        find_route(RequestFactory().get(path), path)
    with CaptureQueriesContext(connection) as theirs:
        Page.route_for_request(RequestFactory().get(path), path)
    assert len(ours.captured_queries) == 2, [q["sql"] for q in ours.captured_queries]
    assert len(theirs.captured_queries) == 6


def test_remembered_site_and_links_follow_a_new_show_and_a_renamed_host(
    tree, client, settings, django_capture_on_commit_callbacks
):
    """With the page cache on, a request for a new query string is rendered: after a new show is published
    its link is in the header, and after the site's host changes the old host finds no site."""
    settings.PAGE_CACHE_SECONDS = 300
    cache.clear()
    page = client.get("/together/deciding/?a=1")
    assert page.status_code == 200
    assert b"Second show" not in page.content

    with django_capture_on_commit_callbacks(execute=True):  # purges run after the commit
        ShowPageFactory(parent=tree["show"].get_parent(), slug="second", title="Second show")
    page = client.get("/together/deciding/?a=2")
    assert b"Second show" in page.content  # a show's publish purges everything: the links are read again

    site = Site.objects.get(is_default_site=True)
    site.hostname, site.is_default_site = "podcast.example.org", False
    with django_capture_on_commit_callbacks(execute=True):
        site.save()
    settings.ALLOWED_HOSTS = ["localhost", "testserver", "podcast.example.org"]
    assert client.get("/together/deciding/?a=3").status_code == 404  # no site answers for testserver now
    assert client.get("/together/deciding/?a=4", HTTP_HOST="podcast.example.org").status_code == 200
