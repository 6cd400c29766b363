"""The segment editor marks the words the engine was unsure of, and a correction keeps the timings of the
words the editor left alone. (The browser test of the marking and of "Next uncertain word": tests/e2e.)"""

import re

import pytest

from tests.transcripts.review_helpers import segments_url
from tests.transcripts.test_review_segment_editor import form_data
from transcripts.models import Transcript

pytestmark = pytest.mark.django_db

WORDS = [
    [0, 400, "Shared", 0.95],
    [450, 900, "decision", 0.31],
    [950, 1500, "making", 0.88],
    [1600, 2000, "means", 0.7],
    [2100, 2800, "deciding", 0.42],
    [2900, 3600, "together.", 0.99],
]


@pytest.fixture
def transcript(episode):
    audio = episode.audio
    transcript = Transcript.objects.create(audio=audio, status="done", audio_sha256=audio.sha256)
    text = " ".join(w[2] for w in WORDS)
    transcript.segments.create(index=0, start_ms=0, end_ms=3600, text=text, words=WORDS)
    sure = [[3700, 4000, "Sure.", 0.9]]
    transcript.segments.create(index=1, start_ms=3700, end_ms=4000, text="Sure.", words=sure)
    return transcript


def marks(html: str) -> list[str]:
    return re.findall(r'<mark class="transcript-uncertain"[^>]*title="([^"]+)">([^<]+)<', html)


def test_uncertain_words_are_marked_with_their_probability_not_by_colour_alone(admin_client, transcript):
    html = admin_client.get(segments_url(transcript)).content.decode()
    assert marks(html) == [("uncertain: 31%", "decision"), ("uncertain: 42%", "deciding")]
    # Screen readers hear it too: in the mark, and as the description of the line's text box.
    assert 'decision<span class="w-sr-only"> (uncertain: 31%)</span></mark>' in html
    assert re.search(r'<textarea[^>]*aria-describedby="form-0-words"', html)
    assert 'id="form-0-words"' in html and 'id="form-1-words"' not in html  # "Sure." is certain
    assert re.search(r"<button[^>]*data-next-uncertain[^>]*>\s*Next uncertain word", html)
    assert "2 uncertain words on this page" in html


def test_the_threshold_is_a_setting(admin_client, transcript, settings):
    settings.TRANSCRIPT_UNCERTAIN_BELOW = 0.8
    html = admin_client.get(segments_url(transcript)).content.decode()
    assert [word for _, word in marks(html)] == ["decision", "means", "deciding"]
    assert "less than 80% sure" in html
    settings.TRANSCRIPT_UNCERTAIN_BELOW = 0.2
    html = admin_client.get(segments_url(transcript)).content.decode()
    assert marks(html) == [] and not re.search(r"<button[^>]*data-next-uncertain", html)
    assert "No uncertain words on this page." in html


def test_a_correction_keeps_the_timings_of_the_words_left_alone(admin_client, transcript):
    page = admin_client.get(segments_url(transcript))
    data = form_data(page)
    data["form-0-text"] = "Shared decision making means choosing together."
    admin_client.post(segments_url(transcript), data)
    words = transcript.segments.get(index=0).words
    assert words == [*WORDS[:4], [2100, 2800, "choosing", None], WORDS[5]]
    # The editor's word is no longer uncertain; "decision", left alone, still is.
    html = admin_client.get(segments_url(transcript)).content.decode()
    assert [word for _, word in marks(html)] == ["decision"]
