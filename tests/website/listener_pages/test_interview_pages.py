"""What a listener sees on the interview index and an interview page: live, public interviews only, pull
quotes with their anchors and moments, the player, and query counts that do not grow with the number of
interviews."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from episodes.factories import AudioFileFactory, InterviewPageFactory, PersonFactory
from episodes.models import InterviewPerson
from tests.website.listener_pages.content import private
from tests.website.listener_pages.outline import assert_well_formed, outline, outline_of

pytestmark = pytest.mark.django_db

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
