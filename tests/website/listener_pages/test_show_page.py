"""What a listener sees on a show page: seasons, pagination that survives any page number, the subscribe
box and its app links, and query counts that do not grow with the number of episodes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from episodes.factories import AudioFileFactory, EpisodePageFactory, PersonFactory, ShowPageFactory
from episodes.models import ShowHost
from episodes.models.shows import EPISODES_PER_PAGE
from tests.website.listener_pages.content import weeks
from tests.website.listener_pages.outline import assert_well_formed, outline

pytestmark = pytest.mark.django_db

# The show page


def test_show_page_groups_episodes_by_season_newest_season_first(client, show):
    """Season 2 before season 1, newest first within a season; episodes without a season last, under
    'Other episodes'; the hosts and the feed link are there."""
    EpisodePageFactory(parent=show, title="S1E1", season=1, publication_date=weeks(1))
    EpisodePageFactory(parent=show, title="S1E2", season=1, publication_date=weeks(2))
    EpisodePageFactory(parent=show, title="S2E1", season=2, publication_date=weeks(3))
    EpisodePageFactory(parent=show, title="Unnumbered", publication_date=weeks(4))
    EpisodePageFactory(parent=show, title="Draft", season=2, live=False)

    page = outline(client.get(show.url))

    assert page.heading_texts(3) == ["Season 2", "Season 1", "Other episodes"]
    assert page.heading_texts(4) == ["S2E1", "S1E2", "S1E1", "Unnumbered"]
    assert "Hosts" in page.heading_texts(2) and "Amara Okafor" in client.get(show.url).content.decode()
    assert page.find("a", href=f"http://localhost/feeds/{show.pk}.xml")
    assert_well_formed(page)


def test_serial_show_lists_first_season_first(client, show):
    show.show_type = show.SERIAL
    show.save_revision().publish()
    EpisodePageFactory(parent=show, title="Part two", season=2, publication_date=weeks(3))
    EpisodePageFactory(parent=show, title="Part one", season=1, publication_date=weeks(1))

    page = outline(client.get(show.url))

    assert page.heading_texts(3) == ["Season 1", "Season 2"]


def test_show_without_seasons_lists_episodes_directly_under_the_episodes_heading(client, show):
    EpisodePageFactory(parent=show, title="First", publication_date=weeks(1))
    EpisodePageFactory(parent=show, title="Second", publication_date=weeks(2))

    page = outline(client.get(show.url))

    assert "Other episodes" not in page.heading_texts(3)
    assert page.heading_texts(3) == ["Second", "First"]
    assert_well_formed(page)


def make_episodes(show, count: int, **fields):
    for n in range(count):
        EpisodePageFactory(parent=show, title=f"Number {n + 1:03d}", publication_date=weeks(n), **fields)


def test_show_page_is_paginated(client, show):
    """45 episodes: 20, 20 and 5 on pages 1 to 3, with previous/next links and the current page marked."""
    make_episodes(show, 45)

    first = outline(client.get(show.url))
    third = outline(client.get(show.url, {"page": 3}))

    assert len(first.heading_texts(3)) == EPISODES_PER_PAGE
    assert first.heading_texts(3)[0] == "Number 045"
    assert third.heading_texts(3) == [f"Number {n:03d}" for n in range(5, 0, -1)]
    assert first.find("a", href="?page=2", rel="next")
    assert third.find("a", href="?page=2", rel="prev")
    assert third.find("a", href="?page=3", **{"aria-current": "page"})
    assert first.find("nav", **{"aria-label": "Episode pages"})


@pytest.mark.parametrize(
    ("value", "expected_first"),
    [
        ("abc", "Number 025"),  # not a number: the first page
        ("1e9", "Number 025"),  # not an integer: the first page
        ("", "Number 025"),
        ("9" * 5000, "Number 025"),  # too many digits for int(): the first page
        ("-1", "Number 005"),  # out of range: the last page
        ("0", "Number 005"),
        ("99999", "Number 005"),
    ],
)
def test_hostile_page_numbers_never_error(client, show, value, expected_first):
    """?page= that is not a page number gives 200 with a page of episodes (never 404 or 500)."""
    make_episodes(show, 25)

    page = outline(client.get(show.url, {"page": value}))

    assert page.heading_texts(3)[0] == expected_first


def test_show_page_queries_do_not_grow_with_the_number_of_episodes(client, home_page, audio_dir):
    """A show with 5 episodes and one with 40 (with audio and seasons) cost the same number of queries."""
    audio = AudioFileFactory(path=audio_dir / "tone.mp3")
    small = ShowPageFactory(parent=home_page)
    large = ShowPageFactory(parent=home_page)
    for show, count in ((small, 5), (large, 40)):
        ShowHost.objects.create(page=show, person=PersonFactory())
        make_episodes(show, count, audio=audio, season=1)
    client.get(small.url)  # fill the caches that do not depend on the page (site, content types)

    counts = []
    for show in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(show.url).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1], counts


# The subscribe box


def test_subscribe_box_has_the_feed_address_an_rss_link_and_a_copy_button_for_scripts(client, show):
    """The feed address in a read-only field with a label, an 'RSS feed' link, the copy button hidden
    until the script shows it, a live region, and the script itself."""
    page = outline(client.get(show.url))

    feed = f"http://localhost/feeds/{show.pk}.xml"
    (field,) = page.find("input", id=f"feed-url-{show.pk}")
    assert field["value"] == feed and "readonly" in field
    assert page.find("label", **{"for": f"feed-url-{show.pk}"})
    (button,) = page.find("button", **{"data-copy": f"feed-url-{show.pk}"})
    assert "hidden" in button and button["type"] == "button"
    assert page.find("p", role="status", **{"data-copy-status": None})
    assert page.find("a", href=feed, type="application/rss+xml")
    assert page.find("script", src="/static/js/subscribe.js", defer=None)
    # No app was linked: no app links.
    for app in ("Apple Podcasts", "Spotify", "Pocket Casts", "Overcast", "YouTube"):
        assert app not in client.get(show.url).content.decode()


def test_app_links_appear_only_when_set_and_are_escaped(client, show):
    """Set Spotify and YouTube only: those two links, in order; a URL with quotes and markup stays inside
    its attribute; a javascript: value (possible only in code) is never a link."""
    show.spotify_url = 'https://open.spotify.com/show/abc"><script>alert(1)</script>'
    show.youtube_url = "https://www.youtube.com/@coproduction"
    show.save_revision().publish()
    # Validation refuses this one (see the next test): only code that skips it can store it.
    type(show).objects.filter(pk=show.pk).update(overcast_url="javascript:alert(1)")

    html = client.get(show.url).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert 'href="https://open.spotify.com/show/abc&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert '<a href="https://www.youtube.com/@coproduction" rel="noopener">YouTube</a>' in html
    assert html.index(">Spotify</a>") < html.index(">YouTube</a>")
    assert "javascript:" not in html and "Overcast" not in html
    assert "Apple Podcasts" not in html and "Pocket Casts" not in html


def test_app_link_fields_reject_non_web_addresses_in_the_admin_form(show):
    """The editor's form refuses 'javascript:alert(1)' as an app link (URLField validation)."""
    form_class = type(show).get_edit_handler().get_form_class()
    form = form_class(instance=show, data={"spotify_url": "javascript:alert(1)"}, for_user=None)
    form.is_valid()
    assert "spotify_url" in form.errors
