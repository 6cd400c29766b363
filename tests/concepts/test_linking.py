"""concepts.linking: mentions found in transcripts and interview text, kept in step, idempotent."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from concepts.linking import link_concept, link_page_text, link_transcript
from concepts.models import Mention
from episodes.factories import InterviewIndexPageFactory, InterviewPageFactory
from transcripts.models import Segment, Transcript

from .conftest import transcribe

pytestmark = pytest.mark.django_db


def mentions(**filters):
    return sorted(
        Mention.objects.filter(**filters).values_list(
            "concept__title", "page_id", "start_ms", "quote", "hidden"
        )
    )


def test_a_transcript_is_linked_to_every_concept_it_mentions(episode, audio, coproduction, sdm):
    transcript = transcribe(audio)

    assert link_transcript(transcript.pk) == 3

    assert mentions() == [
        ("Coproduction", episode.pk, 10_000, "Today we talk about coproduction in the clinic.", False),
        ("Coproduction", episode.pk, 30_000, "We are coproducing the plan with the family.", False),
        (
            "Shared decision-making",
            episode.pk,
            20_000,
            "Shared decision making starts with the options.",
            False,
        ),
    ]


def test_linking_again_changes_nothing(episode, audio, coproduction, sdm):
    transcript = transcribe(audio)
    link_transcript(transcript.pk)
    before = list(Mention.objects.order_by("pk").values_list("pk", "found_at"))

    with CaptureQueriesContext(connection) as queries:
        link_transcript(transcript.pk)

    assert list(Mention.objects.order_by("pk").values_list("pk", "found_at")) == before
    assert not [q for q in queries.captured_queries if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]


def test_an_edited_segment_is_relinked_without_duplicates(episode, audio, coproduction, sdm):
    transcript = transcribe(audio)
    link_transcript(transcript.pk)
    Segment.objects.filter(transcript=transcript, index=1).update(text="Today we talk about the clinic.")
    Segment.objects.filter(transcript=transcript, index=4).update(text="Thanks for listening to SDM talk.")

    link_transcript(transcript.pk)

    assert mentions() == [
        ("Coproduction", episode.pk, 30_000, "We are coproducing the plan with the family.", False),
        (
            "Shared decision-making",
            episode.pk,
            20_000,
            "Shared decision making starts with the options.",
            False,
        ),
        ("Shared decision-making", episode.pk, 40_000, "Thanks for listening to SDM talk.", False),
    ]


def test_a_hidden_mention_stays_hidden_when_linking_runs_again(episode, audio, coproduction, sdm):
    transcript = transcribe(audio)
    link_transcript(transcript.pk)
    wrong = Mention.objects.get(concept=coproduction, start_ms=30_000)
    Mention.objects.filter(pk=wrong.pk).update(hidden=True)

    link_transcript(transcript.pk)
    link_concept(coproduction.pk)
    # The segment's text is corrected but still mentions the concept: still hidden.
    Segment.objects.filter(pk=wrong.segment_id).update(text="We are coproducing the plan with Ann.")
    link_transcript(transcript.pk)

    wrong.refresh_from_db()
    assert wrong.hidden
    assert wrong.quote == "We are coproducing the plan with Ann."
    assert Mention.objects.filter(concept=coproduction).count() == 2


def test_a_transcript_that_is_not_finished_keeps_its_mentions(episode, audio, coproduction):
    transcript = transcribe(audio)
    link_transcript(transcript.pk)
    Transcript.objects.filter(pk=transcript.pk).update(status=Transcript.RUNNING)

    assert link_transcript(transcript.pk) == 0
    assert Mention.objects.count() == 2


def test_audio_used_by_an_episode_and_an_interview_is_linked_for_both(
    home_page, episode, audio, coproduction
):
    interview = InterviewPageFactory(parent=InterviewIndexPageFactory(parent=home_page), audio=audio, body=[])
    link_transcript(transcribe(audio).pk)

    assert set(Mention.objects.values_list("page_id", flat=True)) == {episode.pk, interview.pk}
    assert Mention.objects.filter(page=interview).count() == 2


def test_a_changed_alias_is_linked_across_the_catalogue(episode, audio, coproduction, sdm):
    transcript = transcribe(audio, ["Decisions made jointly are better.", "Joint decisions again."])
    link_transcript(transcript.pk)
    assert not Mention.objects.exists()

    sdm.other_names = "SDM\njoint decision"
    sdm.save()
    assert link_concept(sdm.pk) == 1
    assert mentions() == [("Shared decision-making", episode.pk, 10_000, "Joint decisions again.", False)]

    sdm.other_names = "SDM"
    sdm.save()
    assert link_concept(sdm.pk) == 0
    assert not Mention.objects.exists()


def test_link_concept_only_reads_segments_that_contain_its_names(episode, audio, coproduction):
    filler = [f"Line {n} about the weather." for n in range(300)]
    transcribe(audio, filler + ["Coproduction at last."])

    with CaptureQueriesContext(connection) as queries:
        link_concept(coproduction.pk)

    select = next(q["sql"] for q in queries.captured_queries if "transcripts_segment" in q["sql"])
    assert "LIKE" in select.upper()
    assert mentions() == [("Coproduction", episode.pk, 3_000_000, "Coproduction at last.", False)]


def test_interview_text_is_linked_by_block_with_the_sentence_quoted(home_page, coproduction, sdm):
    interview = InterviewPageFactory(
        parent=InterviewIndexPageFactory(parent=home_page),
        body=[
            ("question", {"text": "How did it start? What does coproduction mean to you?"}),
            ("answer", {"text": "<p>It means <b>shared decision-making</b>. Also coproduction.</p>"}),
            ("pull_quote", {"quote": "Nothing about us without us.", "attribution": "A patient"}),
        ],
    )

    assert link_page_text(interview.pk) == 3
    assert mentions(page=interview) == [
        ("Coproduction", interview.pk, None, "Also coproduction.", False),
        ("Coproduction", interview.pk, None, "What does coproduction mean to you?", False),
        ("Shared decision-making", interview.pk, None, "It means shared decision-making.", False),
    ]
    assert link_page_text(interview.pk) == 3  # idempotent
