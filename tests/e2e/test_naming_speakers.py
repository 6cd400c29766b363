"""Naming speakers in Chromium (issue 16, item 3): each label with a sample line whose Play button plays it,
one named from the episode's people and one typed; every line follows; axe finds nothing serious."""

import re

import pytest
from playwright.sync_api import expect

from episodes.factories import AudioFileFactory, EpisodePageFactory, PersonFactory, ShowPageFactory
from episodes.models import EpisodePerson
from tests.e2e.browser import axe_violations, describe
from tests.e2e.test_review import signed_in  # noqa: F401 (a fixture)
from transcripts.models import Transcript

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LINES = [
    ("Speaker 1", "Welcome back to the programme."),
    ("Speaker 2", "Thank you for having me on the show today."),
    ("Speaker 1", "What changed first?"),
    ("Speaker 2", "The letters."),
]


@pytest.fixture
def transcript(home_page, clip):
    episode = EpisodePageFactory(
        parent=ShowPageFactory(parent=home_page), audio=AudioFileFactory(path=clip, title="Clip")
    )
    EpisodePerson.objects.create(page=episode, person=PersonFactory(name="Amara Okafor"), role="host")
    audio = episode.audio
    # Uploaded in a transactional test, the tone was transcribed already (to nothing): its lines are given.
    Transcript.objects.filter(audio=audio).delete()
    transcript = Transcript.objects.create(audio=audio, status="done", audio_sha256=audio.sha256)
    for index, (speaker, text) in enumerate(LINES):
        start = index * 2000
        transcript.segments.create(
            index=index, start_ms=start, end_ms=start + 1800, text=text, speaker=speaker, words=[]
        )
    return transcript


def test_an_editor_names_each_speaker_once_and_every_line_follows(signed_in, transcript):  # noqa: F811
    page = signed_in
    page.goto(f"/admin/transcripts/{transcript.pk}/speakers/")

    rows = page.locator("tr[data-speaker]")
    expect(rows).to_have_count(2)
    # The longest line of each voice is its sample.
    expect(rows.nth(1)).to_contain_text("Thank you for having me on the show today.")
    violations = axe_violations(page)
    assert not violations, describe(violations)

    # Play plays the sample line: Speaker 2's starts at 2 s.
    page.get_by_role("button", name="Play a line of Speaker 2").click()
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-transcript-audio]');"
        " return !a.paused && a.currentTime >= 2; }"
    )

    page.get_by_label("Who is Speaker 1?").select_option("Amara Okafor")
    page.get_by_label("Or type a name for Speaker 2").fill("Ben Adeyemi")
    page.get_by_role("button", name="Save names").click()

    expect(
        page.get_by_text(re.compile(r"Speaker 1 is now Amara Okafor, Speaker 2 is now Ben Adeyemi"))
    ).to_be_visible()
    assert list(transcript.segments.order_by("index").values_list("speaker", flat=True)) == [
        "Amara Okafor",
        "Ben Adeyemi",
        "Amara Okafor",
        "Ben Adeyemi",
    ]
    # The page lists the names now, ready for another change (checked again without Wagtail's message,
    # whose fade-in axe catches half-way as low contrast).
    page.reload()
    expect(page.locator("tr[data-speaker]")).to_have_count(2)
    expect(page.locator("tr[data-speaker='Amara Okafor']")).to_be_visible()
    violations = axe_violations(page)
    assert not violations, describe(violations)
