"""The episode player in Chromium, against the player contract: the current transcript line follows the
audio, a line's time seeks there, and ``?t=`` or ``#t=`` opens the page at a moment.

The episode's audio is a nine-second tone whose transcript has three lines of three seconds each
(tests/e2e/content.py), so every time the tests look for is known exactly."""

import pytest
from playwright.sync_api import expect

from tests.e2e.content import player_episode

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Seconds of slack in a seek's landing point: a media element seeks to a frame, not to the millisecond.
SEEK_TOLERANCE = 0.3


@pytest.fixture
def episode(home_page, clip):
    return player_episode(home_page, clip)


def current_line(page):
    """The transcript's current lines; the contract allows exactly one."""
    return page.locator("[data-transcript] p.is-current")


def line(page, start_ms: int):
    return page.locator(f'[data-transcript] p[data-start-ms="{start_ms}"]')


def test_the_highlighted_line_follows_the_audio_as_it_plays(page, episode):
    """Play from the start: the first line is current and, once three seconds have played, the second
    (marked for assistive technology too, with aria-current). A highlight that stays on the first line,
    or two current lines at once, fails."""
    (first, _, _), (second, _, _) = episode.lines[:2]
    page.goto(episode.url)
    play = page.locator(".player-controls").get_by_role("button", name="Play")

    play.click()

    expect(page.locator(".player-controls").get_by_role("button", name="Pause")).to_be_visible()
    expect(current_line(page)).to_have_count(1)
    expect(current_line(page)).to_have_attribute("data-start-ms", str(first))
    expect(current_line(page)).to_have_attribute("aria-current", "true")
    # The second line starts three seconds in; allow for a slow machine.
    expect(current_line(page)).to_have_attribute("data-start-ms", str(second), timeout=10_000)
    expect(current_line(page)).to_have_count(1)
    assert page.evaluate("document.querySelector('[data-player] audio').currentTime") >= second / 1000
    assert not page.errors


def test_a_lines_time_seeks_the_audio_there_and_highlights_it(page, episode):
    """A click on the last line's time button moves the audio to that line's start (within 0.3 s, read
    when the seek completes), makes the line current and plays."""
    start, _, _ = episode.lines[2]
    page.goto(episode.url)
    page.wait_for_function("document.querySelector('[data-player] audio').readyState >= 1")
    # Where the seek lands, read when it completes (playing moves the time on at once afterwards).
    page.evaluate(
        """() => {
            const audio = document.querySelector('[data-player] audio');
            window.seekedAt = new Promise((resolve) =>
                audio.addEventListener('seeked', () => resolve(audio.currentTime), {once: true}));
        }"""
    )

    line(page, start).locator("button.seek").click()

    assert page.evaluate("window.seekedAt") == pytest.approx(start / 1000, abs=SEEK_TOLERANCE)
    expect(current_line(page)).to_have_count(1)
    expect(current_line(page)).to_have_attribute("data-start-ms", str(start))
    expect(page.locator(".player-controls").get_by_role("button", name="Pause")).to_be_visible()
    assert not page.errors


@pytest.mark.parametrize("moment", ["?t=4", "#t=0:04"])
def test_a_link_to_a_moment_opens_the_page_there(page, episode, moment):
    """``?t=4`` and ``#t=0:04`` open the episode with the audio at four seconds once its metadata has
    loaded, the line playing then (3 to 6 s) highlighted, and the audio waiting for a press of play. An
    address the player ignores would leave the audio at 0 and the highlight elsewhere."""
    start, end, _ = episode.lines[1]
    assert start <= 4000 < end

    page.goto(episode.url + moment)
    page.wait_for_function("document.querySelector('[data-player] audio').readyState >= 1")

    audio = page.evaluate(
        "(() => { const a = document.querySelector('[data-player] audio');"
        " return {time: a.currentTime, paused: a.paused}; })()"
    )
    assert audio["time"] == pytest.approx(4, abs=SEEK_TOLERANCE)
    assert audio["paused"]
    expect(current_line(page)).to_have_count(1)
    expect(current_line(page)).to_have_attribute("data-start-ms", str(start))
    assert not page.errors
