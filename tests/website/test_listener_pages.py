"""What a listener sees on the home page, a show page, the interview index and an interview page, and the
site's header: live, public content only, seasons, pagination, the subscribe box, headings and landmarks,
and query counts that do not grow with the number of episodes."""

from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
import wagtail_factories
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from concepts.factories import ConceptIndexPageFactory
from episodes.factories import (
    AudioFileFactory,
    EpisodePageFactory,
    InterviewIndexPageFactory,
    InterviewPageFactory,
    PersonFactory,
    ShowPageFactory,
)
from episodes.models import InterviewPerson, ShowHost
from episodes.models.shows import EPISODES_PER_PAGE

pytestmark = pytest.mark.django_db

START = datetime(2025, 1, 6, 7, 0, tzinfo=UTC)


def weeks(n: int) -> datetime:
    return START + timedelta(weeks=n)


def private(page):
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    return page


class Outline(HTMLParser):
    """The headings (level, text), landmark elements, ids and links of a page."""

    def __init__(self):
        super().__init__()
        self.headings: list[list] = []
        self.tags: list[tuple[str, dict]] = []
        self.ids: list[str] = []
        self._heading: list | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if attrs.get("id"):
            self.ids.append(attrs["id"])
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self._heading = [int(tag[1]), ""]
            self.headings.append(self._heading)

    def handle_endtag(self, tag):
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self._heading = None

    def handle_data(self, data):
        if self._heading is not None:
            self._heading[1] += data.strip()

    def find(self, tag, **attrs) -> list[dict]:
        """Elements with these attribute values (None: an attribute without a value, like ``hidden``)."""
        return [a for t, a in self.tags if t == tag and all(k in a and a[k] == v for k, v in attrs.items())]

    def heading_texts(self, level: int) -> list[str]:
        return [text for lvl, text in self.headings if lvl == level]


def outline_of(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


def outline(response) -> Outline:
    assert response.status_code == 200
    parser = Outline()
    parser.feed(response.content.decode())
    return parser


def assert_well_formed(page: Outline):
    """One h1, first; no heading level skipped on the way down; the four landmarks; no duplicate ids."""
    levels = [level for level, _text in page.headings]
    assert levels and levels[0] == 1 and levels.count(1) == 1, levels
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, f"heading level skipped: {levels}"
    for landmark in ("header", "main", "footer"):
        assert page.find(landmark), f"no <{landmark}>"
    assert page.find("nav", **{"aria-label": "Main"})
    assert len(page.ids) == len(set(page.ids)), "duplicate ids"


@pytest.fixture
def show(home_page):
    show = ShowPageFactory(parent=home_page, title="The Power of Coproduction", slug="coproduction")
    host = PersonFactory(name="Amara Okafor")
    ShowHost.objects.create(page=show, person=host)
    return show


@pytest.fixture
def interview_index(home_page):
    return InterviewIndexPageFactory(parent=home_page, title="Interviews", slug="interviews")


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


# Interviews


def test_interview_index_lists_live_public_interviews_as_articles(client, interview_index):
    """Newest first, each an article with its title, date, intro and people; drafts and private
    interviews are never listed."""
    guest = PersonFactory(name="Ruth Castellano")
    older = InterviewPageFactory(parent=interview_index, title="Older talk", date=date(2025, 1, 2))
    newer = InterviewPageFactory(
        parent=interview_index, title="Newer talk", date=date(2025, 3, 4), intro="About <speaking up>."
    )
    InterviewPerson.objects.create(page=newer, person=guest, role="guest")
    InterviewPageFactory(parent=interview_index, title="Draft talk", live=False)
    private(InterviewPageFactory(parent=interview_index, title="Private talk"))

    response = client.get(interview_index.url)
    page = outline(response)
    html = response.content.decode()

    assert page.heading_texts(2) == ["Newer talk", "Older talk"]
    assert len(page.find("article", **{"class": "interview-item"})) == 2
    assert '<time datetime="2025-03-04">4 March 2025</time>' in html
    assert "About &lt;speaking up&gt;." in html
    assert "Ruth Castellano (guest)" in html
    assert "Draft talk" not in html and "Private talk" not in html
    assert older.url in html
    assert_well_formed(page)


def test_interview_index_queries_do_not_grow_with_the_number_of_interviews(client, interview_index):
    """2 interviews or 12, each with two people: the same number of queries."""
    people = [PersonFactory(), PersonFactory()]

    def add(count):
        for _ in range(count):
            interview = InterviewPageFactory(parent=interview_index)
            for person in people:
                InterviewPerson.objects.create(page=interview, person=person)

    add(2)
    client.get(interview_index.url)
    with CaptureQueriesContext(connection) as few:
        client.get(interview_index.url)
    add(10)
    with CaptureQueriesContext(connection) as many:
        client.get(interview_index.url)

    assert len(few) == len(many), (len(few), len(many))


@pytest.mark.parametrize("value", ["abc", "-1", "99999", "1e9"])
def test_interview_index_survives_hostile_page_numbers(client, interview_index, value):
    InterviewPageFactory(parent=interview_index, title="Only interview")
    assert "Only interview" in outline(client.get(interview_index.url, {"page": value})).heading_texts(2)


def test_interview_page_reads_as_an_article_with_numbered_pull_quotes(client, interview_index, show):
    """Title, date, intro, questions and answers; each pull quote has an anchor and a link to it."""
    ruth = PersonFactory(name="Ruth Castellano")
    interview = InterviewPageFactory(
        parent=interview_index,
        title="Safety Is a Conversation",
        date=date(2025, 2, 17),
        intro="Inviting families to speak up.",
        show=show,
        body=[
            ("question", {"text": "Why ask families?"}),
            ("answer", {"speaker": ruth, "text": "<p>They notice first.</p>"}),
            ("pull_quote", {"quote": "That is an observation, not a feeling.", "attribution": "Ruth"}),
            ("paragraph", "<p>Later that year…</p>"),
            ("pull_quote", {"quote": "A question is not a fuss.", "attribution": ""}),
        ],
    )
    InterviewPerson.objects.create(page=interview, person=ruth, role="guest")

    response = client.get(interview.url)
    page = outline(response)
    html = response.content.decode()

    assert page.find("article", **{"class": "interview"})
    assert page.heading_texts(1) == ["Safety Is a Conversation"]
    assert '<time datetime="2025-02-17">17 February 2025</time>' in html
    assert "Inviting families to speak up." in html
    assert '<p class="question">Why ask families?</p>' in html
    assert "Ruth Castellano:" in html and "They notice first." in html
    assert page.find("figure", id="quote-1") and page.find("figure", id="quote-2")
    assert page.find("a", href="#quote-1", **{"class": "share-link"})
    assert page.find("a", href="#quote-2", **{"class": "share-link"})
    assert html.index("observation, not a feeling") < html.index('href="#quote-1"')
    assert page.find("a", href=show.url)
    assert_well_formed(page)


def test_a_pull_quote_with_a_time_links_to_its_moment(client, interview_index):
    """A pull quote given a time (typed 1:05 by the editor, kept as 65,000 ms) links to ``?t=65``."""
    from episodes.blocks import PullQuoteBlock

    block = PullQuoteBlock()
    value = block.clean(block.to_python({"quote": "Ask me.", "attribution": "", "time": "1:05"}))
    assert value["time"] == 65_000
    interview = InterviewPageFactory(
        parent=interview_index, body=[("pull_quote", {"quote": "Ask me.", "attribution": "", "time": 65_000})]
    )
    html = client.get(interview.url).content.decode()
    assert [link["href"] for link in outline_of(html).find("a", **{"class": "share-link"})] == ["?t=65"]
    assert ">Listen from 1:05</a>" in html


def test_a_pull_quote_time_that_is_not_a_time_is_refused():
    """Typing "soon" in a pull quote's time gives the field's error, not a broken link."""
    from django.core.exceptions import ValidationError

    from episodes.blocks import PullQuoteBlock

    block = PullQuoteBlock()
    with pytest.raises(ValidationError):
        block.clean(block.to_python({"quote": "Ask me.", "attribution": "", "time": "soon"}))


def test_interview_page_with_audio_has_the_player_and_transcript_place(client, interview_index, audio_dir):
    """With audio, the page has an <audio> element playing it (from the player include)."""
    audio = AudioFileFactory(path=audio_dir / "tone.mp3")
    interview = InterviewPageFactory(parent=interview_index, audio=audio)

    page = outline(client.get(interview.url))

    assert page.find("audio", src=audio.url)
