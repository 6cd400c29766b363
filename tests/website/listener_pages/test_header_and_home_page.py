"""What a listener sees in the site's header and on the home page: the main navigation and search, the
shows, the latest episodes and interviews (live, public content only) and the featured show."""

from datetime import date

import pytest
import wagtail_factories

from concepts.factories import ConceptIndexPageFactory
from episodes.factories import EpisodePageFactory, InterviewPageFactory, ShowPageFactory
from tests.website.listener_pages.content import private, weeks
from tests.website.listener_pages.outline import assert_well_formed, outline

pytestmark = pytest.mark.django_db

# The header


def test_main_nav_links_home_live_sections_and_search(client, home_page, show, interview_index):
    """The header's nav lists Home, the live public shows, interviews and concepts, and a search form;
    a draft show and a private show are left out; the current section is marked."""
    ConceptIndexPageFactory(parent=home_page, title="Concepts", slug="concepts")
    ShowPageFactory(parent=home_page, title="Draft show", live=False)
    private(ShowPageFactory(parent=home_page, title="Members-only show"))
    episode = EpisodePageFactory(parent=show, title="Deciding together")

    response = client.get(episode.url)
    page = outline(response)
    html = response.content.decode()
    nav = html[html.index('<nav aria-label="Main"') : html.index("</nav>")]
    labels = [text for text in ("Home", "The Power of Coproduction", "Interviews", "Concepts") if text in nav]
    assert labels == ["Home", "The Power of Coproduction", "Interviews", "Concepts"]
    assert [nav.index(label) for label in labels] == sorted(nav.index(label) for label in labels)
    assert "Draft show" not in nav and "Members-only show" not in nav
    assert '<a href="/coproduction/" aria-current="true">' in nav
    assert page.find("form", role="search", action="/search/")
    assert page.find("input", type="search", name="q")
    assert page.find("label", **{"for": "nav-search-q"})

    show_nav = client.get(show.url).content.decode()
    assert '<a href="/coproduction/" aria-current="page">' in show_nav


# The home page


def test_home_page_lists_shows_latest_episodes_and_interviews_live_and_public_only(
    client, home_page, show, interview_index
):
    """Latest episodes across shows, newest first; drafts, private episodes and the episodes of a private
    show are never listed; interviews likewise."""
    other = ShowPageFactory(parent=home_page, title="Second Opinions", description="Another show.")
    EpisodePageFactory(parent=show, title="Oldest", publication_date=weeks(1))
    EpisodePageFactory(parent=other, title="Newest", publication_date=weeks(3))
    EpisodePageFactory(parent=show, title="Middle", publication_date=weeks(2))
    EpisodePageFactory(parent=show, title="Draft episode", live=False, publication_date=weeks(4))
    private(EpisodePageFactory(parent=show, title="Private episode", publication_date=weeks(5)))
    hidden_show = private(ShowPageFactory(parent=home_page, title="Hidden show"))
    EpisodePageFactory(parent=hidden_show, title="Episode of a hidden show", publication_date=weeks(6))
    InterviewPageFactory(parent=interview_index, title="Safety is a conversation", date=date(2025, 2, 17))
    InterviewPageFactory(parent=interview_index, title="Draft interview", live=False)
    private(InterviewPageFactory(parent=interview_index, title="Private interview"))

    response = client.get(home_page.url)
    page = outline(response)
    html = response.content.decode()

    assert page.heading_texts(2)[:2] == ["The Power of Coproduction", "Second Opinions"]
    assert "Conversations about making health together." in html  # the show's description
    assert page.heading_texts(3)[:3] == ["Newest", "Middle", "Oldest"]
    for title in ("Draft episode", "Private episode", "Episode of a hidden show", "Hidden show"):
        assert title not in html
    assert "Safety is a conversation" in html
    assert "Draft interview" not in html and "Private interview" not in html
    # With two shows, each episode says which show it is from.
    assert "· Second Opinions" in html
    assert page.find("a", href="/search/")
    assert_well_formed(page)


def test_home_page_shows_the_featured_show_first_with_artwork_and_its_subscribe_box(client, home_page, show):
    """The featured show comes first even when it is not the first child, with its artwork."""
    featured = ShowPageFactory(
        parent=home_page, title="Featured show", artwork=wagtail_factories.ImageFactory()
    )
    home_page.featured_show = featured
    home_page.save_revision().publish()

    page = outline(client.get(home_page.url))

    assert page.heading_texts(2)[0] == "Featured show"
    assert page.find("img", alt="", **{"class": "artwork"})
    (field,) = page.find("input", id=f"feed-url-{featured.pk}")
    assert field["value"] == f"http://localhost/feeds/{featured.pk}.xml"


def test_home_page_without_shows_still_renders(client, home_page):
    """A fresh site (no show, no interviews): the page renders with its search link and no empty lists."""
    page = outline(client.get(home_page.url))
    assert "Latest episodes" not in page.heading_texts(2)
    assert page.find("a", href="/search/")
