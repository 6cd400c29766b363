"""Editors correct a transcript's segments in the admin: text, times and speakers, fifty segments a page,
kept in order of their start, never saved over someone else's changes.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from episodes.factories import AudioFileFactory
from episodes.models import ShowPage
from episodes.timecodes import format_timecode
from tests.transcripts.review_helpers import rows, segments_url, transcript_of
from transcripts.models import Transcript, TranscriptRevision

pytestmark = pytest.mark.django_db


def form_data(response) -> dict:
    """What the browser would post back from the segment editor, as the page shows it."""
    formset = response.context["formset"]
    data = {"token": response.context["token"]}
    for name in formset.management_form.fields:
        data[formset.management_form.add_prefix(name)] = formset.management_form[name].value()
    for form in formset.forms:
        for name in ("id", "start", "end", "speaker", "text"):
            bound = form[name]
            data[form.add_prefix(name)] = bound.field.prepare_value(bound.value())
    return data


def test_an_editor_corrects_text_times_and_speakers(admin_client, admin_user, episode, changed_transcripts):
    transcript = transcript_of(episode.audio)
    before = rows(transcript)
    ShowPage.objects.update(feed_changed_at=None)

    page = admin_client.get(segments_url(transcript))
    assert page.status_code == 200
    assert 'value="0:00:00.040"' in page.content.decode()  # times shown as h:mm:ss.mmm
    data = form_data(page)
    data["form-0-text"] = "Shared decision making."
    data["form-1-start"] = "0.05"  # seconds alone
    data["form-1-end"] = "0:01.5"  # minutes and seconds
    data["form-2-speaker"] = "Amara Okafor"
    response = admin_client.post(segments_url(transcript), data, follow=True)

    assert "3 segments corrected" in response.content.decode()
    after = {s.index: s for s in transcript.segments.all()}
    assert after[0].text == "Shared decision making."
    assert (after[1].start_ms, after[1].end_ms) == (50, 1500)
    assert after[2].speaker == "Amara Okafor"
    # The words follow the text (tests/transcripts/test_words.py): the new ones in the old one's time.
    assert after[0].words == [[0, 8, "Shared", None], [8, 20, "decision", None], [20, 30, "making.", None]]
    assert after[2].words == before[2]["words"]  # a new speaker leaves the words as they were
    (revision,) = transcript.revisions.all()
    assert (revision.reason, revision.user, revision.segments) == (
        TranscriptRevision.EDIT,
        admin_user,
        before,
    )
    transcript.refresh_from_db()
    assert transcript.edited and transcript.edited_by == admin_user and transcript.edited_at
    assert ShowPage.objects.get(pk=episode.get_parent().pk).feed_changed_at is not None
    assert changed_transcripts == [transcript]


def test_only_the_segments_that_changed_are_written(admin_client, episode):
    transcript = transcript_of(episode.audio, count=5)
    data = form_data(admin_client.get(segments_url(transcript)))
    data["form-3-text"] = "Only this one."

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.post(segments_url(transcript), data, follow=True)

    assert "1 segment corrected" in response.content.decode()
    (update,) = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "transcripts_segment"')]
    written = re.search(r"WHERE .*\bIN \(([^)]*)\)", update).group(1)
    assert {int(pk) for pk in written.split(",")} == {transcript.segments.get(index=3).pk}


def test_saving_an_unchanged_page_writes_nothing(admin_client, episode):
    transcript = transcript_of(episode.audio)
    data = form_data(admin_client.get(segments_url(transcript)))

    response = admin_client.post(segments_url(transcript), data, follow=True)

    assert "Nothing had changed." in response.content.decode()
    assert not transcript.revisions.exists()
    assert not Transcript.objects.get(pk=transcript.pk).edited


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("form-0-start", "1:7x", "1:7x is not a time. Write it as 1:02.5, 62.5 or 0:01:02.500."),
        ("form-1-end", "0.01", "Ends before it starts (0:00:00.040)."),
        ("form-2-end", "0:00:09", "Ends after the end of the audio (0:00:04."),
        ("form-2-start", "1:00:00", "Starts after the end of the audio (0:00:04."),
        ("form-1-text", "  ", "A segment needs text. To remove the segment, tick Delete."),
    ],
)
def test_an_invalid_value_is_shown_by_its_field_and_nothing_is_saved(
    admin_client, episode, field, value, message
):
    transcript = transcript_of(episode.audio)
    before = rows(transcript)
    data = form_data(admin_client.get(segments_url(transcript)))
    data["form-0-text"] = "A correction that must wait for the others."
    data[field] = value

    response = admin_client.post(segments_url(transcript), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert 'aria-invalid="true"' in html
    assert "A correction that must wait for the others." in html  # the editor's input is still there
    assert rows(transcript) == before
    assert not transcript.revisions.exists()
    assert not Transcript.objects.get(pk=transcript.pk).edited


def test_segments_are_kept_in_order_of_their_start_and_can_be_deleted(admin_client, episode):
    transcript = transcript_of(episode.audio, count=4)
    data = form_data(admin_client.get(segments_url(transcript)))
    # Line 0 moves after Line 2 (80 ms), overlapping it and Line 3 (120 ms); Line 1 goes.
    data["form-0-start"], data["form-0-end"] = "0.1", "0.2"
    data["form-1-DELETE"] = "on"

    admin_client.post(segments_url(transcript), data)

    assert list(transcript.segments.order_by("index").values_list("index", "text")) == [
        (0, "Line 2."),
        (1, "Line 0."),
        (2, "Line 3."),
    ]


def test_a_page_that_changed_since_it_was_opened_is_not_saved_over(admin_client, episode):
    transcript = transcript_of(episode.audio)
    data = form_data(admin_client.get(segments_url(transcript)))
    transcript.segments.filter(index=1).update(text="Corrected meanwhile by someone else.")
    data["form-0-text"] = "My own correction."

    response = admin_client.post(segments_url(transcript), data)

    html = response.content.decode()
    assert "the segments on this page changed since you opened it" in html
    assert "My own correction." in html
    assert transcript.segments.get(index=0).text == "Line 0."
    assert transcript.segments.get(index=1).text == "Corrected meanwhile by someone else."


def test_the_editor_shows_fifty_segments_a_page_in_as_many_queries_for_a_long_transcript(
    admin_client, episode, audio_dir
):
    short = transcript_of(episode.audio, count=60)
    long = transcript_of(AudioFileFactory(path=audio_dir / "tone.ogg", title="Long"), count=600)

    def queries(transcript, page):
        admin_client.get(segments_url(transcript, page))  # warm caches (session, user, site)
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(segments_url(transcript, page))
        assert response.status_code == 200
        return response, len(captured)

    first_short, short_count = queries(short, 1)
    first_long, long_count = queries(long, 1)
    last_short, last_count = queries(short, 2)
    assert short_count == long_count == last_count
    assert len(first_long.context["formset"].forms) == 50
    assert "Page 1 of 12" in first_long.content.decode()
    assert len(last_short.context["formset"].forms) == 10
    assert "Line 59." in last_short.content.decode()


def test_times_are_shown_with_hours_and_milliseconds():
    assert [format_timecode(ms, precision="milliseconds", hours=True) for ms in (0, 62_500, 3_723_004)] == [
        "0:00:00.000",
        "0:01:02.500",
        "1:02:03.004",
    ]
