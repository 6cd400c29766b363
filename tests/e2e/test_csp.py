"""The Content Security Policy in a real browser: the episode page and the embed player work under it and
Chromium reports no violation (a blocked script, style, image, audio or caption track)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from episodes.models import EpisodePage
from tests.e2e.content import player_episode

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Records every violation the browser reports, from before the page's own scripts run.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture
def episode(home_page, clip):
    return player_episode(home_page, clip)


def play_through_first_line(page):
    page.locator(".player-controls").get_by_role("button", name="Play").click()
    expect(page.locator("[data-transcript] p.is-current")).to_have_attribute(
        "data-start-ms", "3000", timeout=10_000
    )


@pytest.mark.parametrize("kind", ["page", "embed"])
def test_the_player_works_under_the_policy_without_violations(page, live_server, episode, kind):
    """Bad: a violation such as ``script-src-elem`` for an inline script, ``style-src-attr`` for a style
    attribute, or ``media-src`` for the audio; or the player's controls never appearing (script blocked)."""
    url = episode.url
    if kind == "embed":
        url = reverse("episodes:embed", kwargs={"pk": EpisodePage.objects.get().pk})
    page.add_init_script(RECORD_VIOLATIONS)

    response = page.goto(live_server.url + url)

    policy = response.headers["content-security-policy"]
    assert ("script-src 'self'" in policy) if kind == "page" else (policy == "frame-ancestors *")
    if kind == "page":
        play_through_first_line(page)
    else:
        page.locator("[data-player] audio").evaluate("audio => audio.play()")
        page.wait_for_function("document.querySelector('[data-player] audio').currentTime > 0.5")
    page.wait_for_function("document.querySelector('[data-player] audio').readyState >= 2")
    assert page.evaluate("window.cspViolations") == []
    assert not page.errors
