"""The episode page's waveform in Chromium: drawn from the rendition's peaks under a player that plays the
rendition, with the episode's chapters as marks that seek there, a slider for the keyboard, no serious
accessibility violation, and nothing of it without JavaScript.

The episode is the player tests' nine-second tone (tests/e2e/content.py); saving its audio made the
rendition and its waveform, with real ffmpeg, as an upload does."""

import pytest
from django.db import transaction
from playwright.sync_api import expect

from episodes.models import AudioRendition, Chapter, EpisodePage
from tests.e2e.browser import axe_violations, describe, new_context
from tests.e2e.content import player_episode

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SEEK_TOLERANCE = 0.3
CHAPTERS = [(0, "Welcome"), (3000, "Deciding together"), (6000, "Thanks")]
AUDIO = "document.querySelector('[data-player] audio')"


@pytest.fixture
def episode(home_page, clip):
    made = player_episode(home_page, clip)
    with transaction.atomic():
        page = EpisodePage.objects.get(url_path__endswith="/deciding/")
        for start_ms, title in CHAPTERS:
            Chapter.objects.create(page=page, start_ms=start_ms, title=title)
    rendition = page.audio.renditions.get()
    assert rendition.status == AudioRendition.DONE and rendition.waveform, rendition.error
    return made, rendition


def wait_for_metadata(page):
    page.wait_for_function(f"{AUDIO}.readyState >= 1")


def seeked(page):
    """A promise in the page of where the next seek lands (read then: a playing audio moves on at once)."""
    page.evaluate(
        f"""() => {{
            const audio = {AUDIO};
            window.seekedAt = new Promise((resolve) =>
                audio.addEventListener('seeked', () => resolve(audio.currentTime), {{once: true}}));
        }}"""
    )


def test_the_waveform_is_drawn_and_a_chapter_mark_plays_from_the_chapter(page, episode):
    made, rendition = episode
    page.goto(made.url)
    waveform = page.locator(".waveform")

    expect(waveform.get_by_role("slider", name="Position in the episode")).to_be_visible()
    assert page.locator(".waveform-bars rect").count() > 100  # one bar per peak group, not a placeholder
    heights = page.eval_on_selector_all(
        ".waveform-bars rect", "bars => bars.map(b => +b.getAttribute('height'))"
    )
    assert max(heights) > 90  # the tone is loud throughout: tall bars, scaled to the top
    assert page.evaluate(f"{AUDIO}.currentSrc").endswith(rendition.url)  # the rendition, not the master
    assert page.locator(".waveform-tick").count() == len(CHAPTERS)
    wait_for_metadata(page)
    seeked(page)

    waveform.get_by_role("button", name="Play chapter Deciding together, at 0:03").click()

    assert page.evaluate("window.seekedAt") == pytest.approx(3, abs=SEEK_TOLERANCE)
    expect(page.locator(".player-controls").get_by_role("button", name="Pause")).to_be_visible()
    # The played part grows with the audio, and the transcript follows it as it does for any seek.
    page.wait_for_function("+document.querySelector('#waveform-played rect').getAttribute('width') > 0")
    expect(page.locator("[data-transcript] p.is-current")).to_have_attribute("data-start-ms", "3000")
    assert not page.errors


def test_the_waveform_is_a_slider_for_the_keyboard(page, episode):
    made, _ = episode
    page.emulate_media(reduced_motion="reduce")  # no animation then: the position moves as the audio does
    page.goto(made.url)
    slider = page.get_by_role("slider", name="Position in the episode")
    wait_for_metadata(page)

    slider.focus()
    seeked(page)
    page.keyboard.press("ArrowRight")

    assert page.evaluate("window.seekedAt") == pytest.approx(5, abs=SEEK_TOLERANCE)
    expect(slider).to_have_attribute("aria-valuetext", "0:05 of 0:09")
    page.keyboard.press("Home")
    expect(slider).to_have_attribute("aria-valuenow", "0")
    assert page.evaluate(f"{AUDIO}.paused")  # moving along the waveform does not start the audio

    box = slider.bounding_box()
    seeked(page)
    page.mouse.click(box["x"] + box["width"] * 2 / 3, box["y"] + box["height"] / 2)
    assert page.evaluate("window.seekedAt") == pytest.approx(6, abs=SEEK_TOLERANCE)
    assert not page.errors


def test_the_page_with_its_waveform_has_no_serious_accessibility_violation(page, episode):
    made, _ = episode
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(made.url)
        expect(page.get_by_role("slider", name="Position in the episode")).to_be_visible()
        page.locator(".waveform-chapters button").last.focus()  # its title shows

        violations = axe_violations(page)

        assert not violations, f"at {width} px:\n{describe(violations)}"
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling


def test_without_javascript_the_page_has_the_plain_player_and_no_waveform(browser, live_server, episode):
    made, rendition = episode
    context = new_context(browser, live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(made.url)

        audio = page.locator("figure[data-player] audio[controls]")
        expect(audio).to_have_count(1)
        assert audio.get_attribute("src") == rendition.url
        expect(page.locator(".waveform")).to_have_count(0)
        expect(page.locator(".player-controls")).to_have_count(0)
        expect(page.get_by_role("link", name="Download")).to_have_attribute("href", rendition.url)
    finally:
        context.close()
