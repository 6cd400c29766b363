"""Completing a show's move (issue 19): the old feed is checked for a redirect or itunes:new-feed-url by
fetching it from the local test server, on demand and with a timeout, and the show's edit view lists what is
left to do."""

import pytest
from django.urls import reverse

from episodes.factories import ShowPageFactory
from episodes.models import ShowPage
from episodes.moving import check_old_feed, checklist

pytestmark = pytest.mark.django_db

NEW = "https://podcast.example.org/feeds/7.xml"
OLD_FEED = """<?xml version="1.0"?><rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>Old</title>{tag}<item><guid>1</guid></item></channel></rss>"""


def old_feed(new_feed_url: str) -> bytes:
    return OLD_FEED.format(tag=f"<itunes:new-feed-url>{new_feed_url}</itunes:new-feed-url>").encode()


@pytest.mark.parametrize(
    ("setup", "redirected", "said"),
    [
        (lambda s: s.redirects.update({"/old.xml": (301, NEW)}), True, "redirects permanently (HTTP 301)"),
        (
            lambda s: s.redirects.update({"/old.xml": (301, "/step.xml"), "/step.xml": (308, NEW)}),
            True,
            "redirects permanently",
        ),
        (lambda s: s.redirects.update({"/old.xml": (302, NEW)}), False, "temporarily (HTTP 302)"),
        (lambda s: s.add("/old.xml", old_feed(NEW)), True, "names this show's feed in itunes:new-feed-url"),
        (
            lambda s: s.add("/old.xml", old_feed("https://elsewhere.example/f.xml")),
            False,
            "names another feed",
        ),
        (lambda s: s.add("/old.xml", OLD_FEED.format(tag="").encode()), False, "is still served"),
        (lambda s: None, False, "answers HTTP 404"),
    ],
    ids=["301", "301 then 308", "302", "new-feed-url", "other new-feed-url", "no sign", "404"],
)
def test_the_old_feed_is_checked(server, setup, redirected, said):
    setup(server)

    result = check_old_feed(server.url("/old.xml"), NEW)

    assert result.redirected is redirected and said in result.message


def test_a_silent_old_host_times_out(server):
    server.add("/old.xml", b"<rss/>")
    server.delays["/old.xml"] = 1.0

    result = check_old_feed(server.url("/old.xml"), NEW, timeout=0.2)

    assert result.redirected is None and "did not answer within 0.2 s" in result.message


def test_the_checklist_on_the_show_and_its_check_button(server, home_page, admin_client):
    show = ShowPageFactory(parent=home_page, old_feed_url=server.url("/old.xml"))
    server.redirects["/old.xml"] = (301, show.feed_url())
    edit = reverse("wagtailadmin_pages:edit", args=[show.pk])

    page = admin_client.get(edit).content.decode()
    assert "Check the old feed now" in page and 'data-step="Old feed redirected" data-done="unknown"' in page
    assert server.gets("/old.xml") == 0  # never fetched on a page view

    response = admin_client.post(reverse("episodes_check_old_feed", args=[show.pk]), follow=True)

    assert server.gets("/old.xml") == 1
    assert "redirects permanently (HTTP 301) here" in response.content.decode()
    show = ShowPage.objects.get(pk=show.pk)
    assert show.old_feed_redirected is True and show.old_feed_checked_at is not None
    steps = {step.label: step for step in checklist(show)}
    assert steps["Old feed redirected"].done is True
    assert steps["Feed imported"].done is False  # no episodes yet
    assert steps["Directory checks passed"].done is False  # no artwork, no category
    assert 'data-step="Old feed redirected" data-done="yes"' in admin_client.get(edit).content.decode()
