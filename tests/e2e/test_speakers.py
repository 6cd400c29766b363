"""Who speaks, in the follow-along transcript in Chromium: the name at each change of speaker, kept beside a
line the search filter finds in the middle of a turn, and no serious accessibility violation (axe-core)."""

import pytest
from django.db import transaction
from playwright.sync_api import expect

from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from tests.e2e.browser import axe_violations, describe
from transcripts.editing import Captions, import_captions

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Over the nine-second clip: a guest's turn of two lines, a label nobody has named, a line without a name.
LINES = [
    (0, 2000, "Thank you for having me.", "Dr Amara Okafor"),
    (2000, 4000, "Every option goes on the table.", "Dr Amara Okafor"),
    (4000, 6500, "And who writes the plan?", "SPEAKER 2"),
    (6500, 9000, "Music plays.", ""),
]


@pytest.fixture
def episode_url(home_page, clip):
    with transaction.atomic():
        show = ShowPageFactory(parent=home_page, slug="coproduction")
        audio = AudioFileFactory(path=clip, title="Who writes the plan")
        segments = [{"start_ms": s, "end_ms": e, "text": t, "speaker": who} for s, e, t, who in LINES]
        import_captions(audio, Captions("vtt", segments, 0), name="c.vtt", user=None, language="en")
        episode = EpisodePageFactory(parent=show, audio=audio, title="Who writes the plan", slug="plan")
    return episode.url


def test_the_transcript_names_each_turns_speaker_and_keeps_it_beside_a_found_line(page, episode_url):
    """Three turns named "Dr Amara Okafor", "SPEAKER 2" and nobody; filtering for the guest's second line
    leaves her turn shown with her name and hides the other turns whole. axe finds nothing serious, with
    the transcript enhanced and filtered."""
    page.goto(episode_url)
    box = page.locator("[data-transcript]")
    expect(box).to_have_class("transcript is-enhanced")
    expect(box.locator(".transcript-speaker")).to_have_text(["Dr Amara Okafor", "SPEAKER 2"])
    expect(box.locator(".transcript-turn")).to_have_count(3)

    violations = axe_violations(page)
    assert not violations, describe(violations)

    page.get_by_label("Search the transcript").fill("table")
    expect(page.locator("[data-transcript-count]")).to_have_text("1 line matches")
    shown = box.locator(".transcript-turn:visible")
    expect(shown).to_have_count(1)
    expect(shown.locator(".transcript-speaker")).to_have_text("Dr Amara Okafor")
    expect(shown.locator("p[data-start-ms]:visible")).to_have_count(1)

    violations = axe_violations(page)
    assert not violations, describe(violations)
    assert not page.errors
