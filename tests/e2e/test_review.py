"""The segment editor in Chromium: uncertain words are marked (not by colour alone) and "Next uncertain word"
takes the editor from one to the next, with the word selected in its line; axe finds nothing serious."""

import re

import pytest
from playwright.sync_api import expect

from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from tests.e2e.browser import axe_violations, describe
from transcripts.models import Transcript

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct horse battery staple"
LINES = [
    ("Shared decision making.", [0.95, 0.9, 0.99]),
    ("It means deciding together.", [0.9, 0.8, 0.31, 0.99]),
    ("Ask about teach back, always.", [0.97, 0.92, 0.12, 0.45, 0.9]),
]


@pytest.fixture
def transcript(home_page, clip):
    show = ShowPageFactory(parent=home_page)
    episode = EpisodePageFactory(parent=show, audio=AudioFileFactory(path=clip, title="Clip"))
    audio = episode.audio
    # Uploaded in a transactional test, the tone was transcribed already (to nothing): its lines are given.
    Transcript.objects.filter(audio=audio).delete()
    transcript = Transcript.objects.create(audio=audio, status="done", audio_sha256=audio.sha256)
    for index, (text, probabilities) in enumerate(LINES):
        start = index * 1000
        words = [
            [start + i * 200, start + i * 200 + 150, said, probability]
            for i, (said, probability) in enumerate(zip(text.split(), probabilities, strict=True))
        ]
        transcript.segments.create(index=index, start_ms=start, end_ms=start + 900, text=text, words=words)
    return transcript


@pytest.fixture
def signed_in(page, django_user_model):
    django_user_model.objects.create_superuser("editor", "editor@example.org", PASSWORD)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    return page


def text_box(page, number: int):
    return page.get_by_role("textbox", name=re.compile(rf"^Text of segment {number}\b"))


def at(page, number: int, word: str) -> None:
    """The focus is in segment ``number``'s text, with ``word`` selected."""
    expect(text_box(page, number)).to_be_focused()
    selection = (
        "() => { const e = document.activeElement; return e.value.slice(e.selectionStart, e.selectionEnd); }"
    )
    assert page.evaluate(selection) == word


def test_uncertain_words_are_marked_and_next_uncertain_word_walks_through_them(signed_in, transcript):
    page = signed_in
    page.goto(f"/admin/transcripts/{transcript.pk}/segments/")

    marks = page.locator("mark.transcript-uncertain")
    expect(marks).to_have_count(3)
    expect(marks.nth(0)).to_have_attribute("title", "uncertain: 31%")
    expect(marks.nth(0)).to_contain_text("deciding")
    # Not by colour alone: a dotted underline, and the percentage in words for screen readers.
    assert marks.nth(0).evaluate("m => getComputedStyle(m).textDecorationStyle") == "dotted"
    expect(text_box(page, 2)).to_have_accessible_description(re.compile(r"deciding \(uncertain: 31%\)"))
    expect(page.locator("#uncertain-help")).to_contain_text("3 uncertain words on this page")

    violations = axe_violations(page)
    assert not violations, describe(violations)

    # Play (beside each line) plays the line from its start.
    page.get_by_role("button", name="Play segment 2").click()
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-transcript-audio]');"
        " return !a.paused && a.currentTime >= 1; }"
    )

    button = page.get_by_role("button", name="Next uncertain word")
    button.click()
    at(page, 2, "deciding")
    expect(page.locator("#uncertain-help")).to_contain_text('"deciding" (uncertain: 31%), segment 2')
    button.click()
    at(page, 3, "teach")
    button.click()
    at(page, 3, "back,")
    button.click()  # round again
    at(page, 2, "deciding")

    # From wherever the editor is: after a click into segment 3, the next one is there.
    text_box(page, 3).click()
    button.click()
    at(page, 3, "teach")

    # The word typed over is no longer uncertain once saved, and the other words keep their times.
    page.keyboard.type("teach-back")
    page.get_by_role("button", name="Save this page of segments").click()
    expect(page.locator(".messages")).to_contain_text("1 segment corrected")
    expect(marks).to_have_count(2)
    words = transcript.segments.get(index=2).words
    assert [w[2] for w in words] == ["Ask", "about", "teach-back", "back,", "always."]
    assert words[2][3] is None and words[3] == [2600, 2750, "back,", 0.45]
    assert not page.errors
