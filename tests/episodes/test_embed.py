"""Sharing an episode elsewhere: the embeddable player page and the oEmbed endpoint."""

import re
from urllib.parse import urlencode

import pytest
import wagtail_factories
from django.conf import settings as django_settings
from wagtail.models import PageViewRestriction

from episodes.embed import EMBED_HEIGHT, EMBED_WIDTH, moment
from episodes.factories import (
    AudioFileFactory,
    EpisodePageFactory,
    InterviewIndexPageFactory,
    InterviewPageFactory,
    ShowPageFactory,
)

pytestmark = pytest.mark.django_db

HOSTILE = '"><script>alert(1)</script>'


@pytest.fixture
def show(home_page):
    return ShowPageFactory(
        parent=home_page,
        title="The Power of Coproduction",
        # Square, as podcast artwork is; larger than the share rendition, which scales it to 1200.
        artwork=wagtail_factories.ImageFactory(file__width=1400, file__height=1400),
    )


@pytest.fixture
def audio(audio_dir):
    return AudioFileFactory(path=audio_dir / "tone.mp3")


@pytest.fixture
def episode(show, audio):
    return EpisodePageFactory(parent=show, title="Deciding together", audio=audio)


def embed_path(page) -> str:
    return f"/embed/episodes/{page.pk}/"


def oembed(client, **params):
    return client.get("/oembed/?" + urlencode(params))


def directives(header: str) -> dict[str, list[str]]:
    """``"a x y; b z"`` as ``{"a": ["x", "y"], "b": ["z"]}``."""
    return {name: values for name, *values in (part.split() for part in header.split(";"))}


def embed_policy() -> dict[str, list[str]]:
    """The site's policy as configured, with other sites allowed to frame the player."""
    configured = django_settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    return {**{name: list(values) for name, values in configured.items()}, "frame-ancestors": ["*"]}


# ----------------------------------------------------------------------------------------- player page


def test_the_player_page_may_be_framed_by_any_site(client, episode, audio):
    response = client.get(embed_path(episode))

    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    html = response.content.decode()
    assert f'src="{audio.url}' in html
    assert "<title>Deciding together · The Power of Coproduction</title>" in html
    assert f'<a href="{episode.get_full_url()}" target="_blank" rel="noopener">Open the episode' in html
    assert '<meta name="robots" content="noindex">' in html
    assert 'class="site-header"' not in html  # standalone, not the site's layout


def test_the_player_page_keeps_the_site_policy_and_lets_any_site_frame_it(client, episode):
    """Bad: only ``frame-ancestors *`` (the player's script, styles and audio held to nothing), or the
    site's ``frame-ancestors 'none'`` (other sites' iframes stay blank)."""
    policy = directives(client.get(embed_path(episode))["Content-Security-Policy"])

    assert policy == embed_policy()
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["media-src"][0] == "'self'"
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["*"]


def test_a_cached_player_page_keeps_its_policy(client, settings, episode):
    """The page cache stores the header with the page: a hit must not turn into the site's
    ``frame-ancestors 'none'`` nor lose the rest of the policy."""
    settings.PAGE_CACHE_SECONDS = 300
    client.get(embed_path(episode))

    hit = client.get(embed_path(episode))

    assert hit["X-Cache"] == "hit"
    assert directives(hit["Content-Security-Policy"]) == embed_policy()
    assert "X-Frame-Options" not in hit


def test_every_other_page_still_refuses_frames(client, episode):
    for url in (episode.url, "/", "/oembed/?url=x"):
        assert client.get(url)["X-Frame-Options"] == "DENY", url


def test_the_player_page_passes_a_moment_on_to_the_episode_link(client, episode):
    html = client.get(embed_path(episode) + "?t=0:02").content.decode()
    assert f'href="{episode.get_full_url()}?t=2"' in html


def test_the_player_page_ignores_a_moment_that_is_not_a_time(client, episode):
    """Input: ``?t=`` with markup. Error it guards against: the value reaching the page's links."""
    html = client.get(embed_path(episode) + "?t=" + HOSTILE).content.decode()
    assert f'href="{episode.get_full_url()}" target="_blank"' in html
    assert "alert(1)" not in html


def test_a_hostile_title_is_escaped_on_the_player_page(client, show, audio):
    episode = EpisodePageFactory(parent=show, title=HOSTILE, audio=audio)
    html = client.get(embed_path(episode)).content.decode()
    assert "<script>alert(1)" not in html
    assert "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_player_page_is_404_for_drafts_private_episodes_and_episodes_without_audio(
    client, home_page, show, audio
):
    """Inputs: a draft, a login-restricted episode, an episode in a password-protected show, an episode
    without audio, an interview's id, an unknown id. Error: 404 for each, never the player."""
    draft = EpisodePageFactory(parent=show, audio=audio, live=False)
    private = EpisodePageFactory(parent=show, audio=audio)
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    secret_show = ShowPageFactory(parent=home_page)
    PageViewRestriction.objects.create(
        page=secret_show, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )
    in_secret_show = EpisodePageFactory(parent=secret_show, audio=audio)
    silent = EpisodePageFactory(parent=show)
    interview = InterviewPageFactory(parent=InterviewIndexPageFactory(parent=home_page), audio=audio)

    for page in (draft, private, in_secret_show, silent, interview):
        assert client.get(embed_path(page)).status_code == 404, page
    assert client.get("/embed/episodes/999999/").status_code == 404


def test_the_player_page_answers_only_get_and_head(client, episode):
    assert client.post(embed_path(episode)).status_code == 405


# ---------------------------------------------------------------------------------------------- oEmbed


def test_oembed_describes_the_player_as_rich_json(client, episode, show):
    response = oembed(client, url=episode.get_full_url(), format="json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    data = response.json()
    assert data["version"] == "1.0"
    assert data["type"] == "rich"
    assert data["title"] == "Deciding together"
    assert data["author_name"] == show.author
    assert data["author_url"] == show.get_full_url()
    assert data["provider_name"]
    assert data["provider_url"] == "http://localhost/"
    assert (data["width"], data["height"]) == (EMBED_WIDTH, EMBED_HEIGHT)
    assert data["html"] == (
        f'<iframe src="http://localhost/embed/episodes/{episode.pk}/" '
        'title="Deciding together · The Power of Coproduction" '
        f'width="{EMBED_WIDTH}" height="{EMBED_HEIGHT}" loading="lazy" '
        'style="border: 0; max-width: 100%;"></iframe>'
    )
    assert re.match(r"^http://localhost/media/images/.+", data["thumbnail_url"])
    assert data["thumbnail_width"] == data["thumbnail_height"] == 1200


def test_oembed_json_is_the_default_format_and_xml_is_not_implemented(client, episode):
    assert oembed(client, url=episode.get_full_url()).status_code == 200
    response = oembed(client, url=episode.get_full_url(), format="xml")
    assert response.status_code == 501


def test_oembed_honours_maxwidth_and_maxheight(client, episode):
    data = oembed(client, url=episode.get_full_url(), maxwidth=320, maxheight=150).json()

    assert (data["width"], data["height"]) == (320, 150)
    assert 'width="320" height="150"' in data["html"]
    assert "thumbnail_url" not in data  # the 1200-pixel thumbnail would exceed the maximum


def test_oembed_never_grows_past_the_players_size(client, episode):
    data = oembed(client, url=episode.get_full_url(), maxwidth=5000, maxheight=5000).json()
    assert (data["width"], data["height"]) == (EMBED_WIDTH, EMBED_HEIGHT)


def test_oembed_rejects_sizes_that_are_not_positive_numbers(client, episode):
    """Inputs: maxwidth "wide", maxheight 0. Error: 400, not a guessed size."""
    assert oembed(client, url=episode.get_full_url(), maxwidth="wide").status_code == 400
    assert oembed(client, url=episode.get_full_url(), maxheight=0).status_code == 400


def test_oembed_needs_a_url(client):
    assert oembed(client, format="json").status_code == 400


def test_oembed_accepts_the_url_on_the_requested_host_and_keeps_its_moment(client, episode):
    data = oembed(client, url=f"http://testserver{episode.url}?t=2").json()
    assert f'src="http://localhost/embed/episodes/{episode.pk}/?t=2"' in data["html"]


def test_oembed_escapes_a_hostile_title_in_its_html(client, show, audio):
    episode = EpisodePageFactory(parent=show, title=HOSTILE, audio=audio)
    data = oembed(client, url=episode.get_full_url()).json()
    assert data["title"] == HOSTILE
    assert "<script>" not in data["html"]
    assert (
        'title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt; · The Power of Coproduction"' in data["html"]
    )


def test_oembed_is_404_for_anything_but_a_public_episode_of_this_site(
    client, home_page, show, episode, audio
):
    """Inputs: another host, a non-web scheme, a path with no page, the show page, an interview, a draft,
    a private episode, an episode without audio, garbage. Error: 404 for each."""
    audio = episode.audio
    draft = EpisodePageFactory(parent=show, audio=audio, live=False)
    private = EpisodePageFactory(parent=show, audio=audio)
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)
    silent = EpisodePageFactory(parent=show)
    interview = InterviewPageFactory(parent=InterviewIndexPageFactory(parent=home_page), audio=audio)

    urls = [
        f"https://evil.example{episode.url}",
        f"ftp://localhost{episode.url}",
        "http://localhost/no/such/page/",
        show.get_full_url(),
        interview.get_full_url(),
        draft.get_full_url(),
        private.get_full_url(),
        silent.get_full_url(),
        "http://[not a url",
    ]
    for url in urls:
        assert oembed(client, url=url).status_code == 404, url


def test_moments_are_passed_on_as_whole_seconds_within_the_audio():
    """Inputs: the player's formats, then markup, words, a moment past the end, one under a second, a
    long string. Error it guards against: passing on what the player cannot read."""
    for value, seconds in [("90", "90"), ("90.5", "90"), ("1:30", "90"), ("1:02:03", "3723"), ("2m", "120")]:
        assert moment(value) == seconds
    assert moment("1h2m3s", duration_ms=4_000_000) == "3723"
    for value in ("", "abc", "1:30x", "<b>", "0.5", "1" * 20, None):
        assert moment(value) == ""
    assert moment("90", duration_ms=60_000) == ""
