"""The Content Security Policy in a real browser: the episode page and the embed player work under it and
Chromium reports no violation (a blocked script, style, image, audio or caption track); another site may
frame the player."""

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from episodes.models import EpisodePage
from tests.e2e.content import player_episode

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Records every violation the browser reports, from before the page's own scripts run (in every frame).
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture
def episode(home_page, clip):
    return player_episode(home_page, clip)


@dataclass(frozen=True)
class OtherSite:
    url: str  # its page, which frames ``embed`` and the episode page
    embed: str


@pytest.fixture
def other_site(live_server, episode) -> Iterator[OtherSite]:
    """A blog post on another site that frames the player and the episode page: 127.0.0.1, where the live
    server is localhost (another origin and site). It has a server of its own rather than a page made up
    by Playwright, which Chromium counts as from the internet and so does not let frame this machine's
    pages (Local Network Access)."""
    embed = live_server.url + embed_path()
    body = (
        "<!DOCTYPE html><title>A blog post</title>"
        f'<iframe id="player" src="{embed}" title="Player" width="640" height="200"></iframe>'
        f'<iframe id="page" src="{live_server.url}{episode.url}" title="Episode page"></iframe>'
    ).encode()

    class BlogPost(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):
            pass  # the test's output is not the place for its access log

    server = ThreadingHTTPServer(("127.0.0.1", 0), BlogPost)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield OtherSite(url=f"http://127.0.0.1:{server.server_port}/post/", embed=embed)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def embed_path() -> str:
    return reverse("episodes:embed", kwargs={"pk": EpisodePage.objects.get().pk})


def wait_for_audio(target, predicate: str) -> None:
    """Until ``predicate`` (a function of the player's audio element) is true in ``target`` (a page or a
    frame). Polled from here: ``wait_for_function`` polls with ``eval`` in the page, which the policy (no
    'unsafe-eval') blocks, and would record a violation of its own."""
    audio = target.locator("[data-player] audio")
    deadline = time.monotonic() + 10
    while not audio.evaluate(predicate):
        assert time.monotonic() < deadline, f"never true: {predicate}"
        target.wait_for_timeout(100)


def play_through_first_line(page):
    page.locator(".player-controls").get_by_role("button", name="Play").click()
    expect(page.locator("[data-transcript] p.is-current")).to_have_attribute(
        "data-start-ms", "3000", timeout=10_000
    )


@pytest.mark.parametrize("kind", ["page", "embed"])
def test_the_player_works_under_the_policy_without_violations(page, live_server, episode, kind):
    """Bad: a violation such as ``script-src-elem`` for an inline script, ``style-src-attr`` for a style
    attribute, or ``media-src`` for the audio; or the player's controls never appearing (script blocked)."""
    url = episode.url if kind == "page" else embed_path()
    page.add_init_script(RECORD_VIOLATIONS)

    response = page.goto(live_server.url + url)

    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert ("frame-ancestors 'none'" if kind == "page" else "frame-ancestors *") in policy
    if kind == "page":
        play_through_first_line(page)
    else:
        # The controls are put in by player.js: they prove the script ran under the policy.
        page.locator(".player-controls").get_by_role("button", name="Play").click()
        wait_for_audio(page, "audio => audio.currentTime > 0.5")
    wait_for_audio(page, "audio => audio.readyState >= 2")
    assert page.evaluate("window.cspViolations") == []
    assert not page.errors


def test_another_site_may_frame_the_player_and_play_it(page, other_site):
    """The player in an iframe on another site, beside an iframe of the episode page. Bad: the player
    refused (frame-ancestors 'none' or X-Frame-Options DENY leave an error page without its controls), a
    violation in it, or the episode page framed too (then this test could not tell a refusal)."""
    page.add_init_script(RECORD_VIOLATIONS)
    page.route(other_site.url, lambda route: route.continue_())  # the context lets only the site through

    page.goto(other_site.url)

    page.frame_locator("#player").locator(".player-controls").get_by_role("button", name="Play").click()
    player = page.frame(url=other_site.embed)
    wait_for_audio(player, "audio => audio.currentTime > 0.5")
    assert player.evaluate("window.cspViolations") == []
    assert page.evaluate("window.cspViolations") == []
    assert not page.errors
    assert page.locator("#page").element_handle().content_frame().url.startswith("chrome-error:")
