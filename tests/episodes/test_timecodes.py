"""The one way a time is read from an editor and written for people: episodes.timecodes, and the editor
fields that use it."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset

from episodes.factories import EpisodePageFactory, ShowPageFactory
from episodes.models import Chapter
from episodes.timecodes import TimecodeError, format_timecode, parse_timecode
from tests.episodes.admin_forms import episode_form_data
from transcripts.forms import TimeField

SAME_MOMENT = ["1:02.5", "62.5", "0:01:02.500", "1:02,5", " 1:02.50 ", "01:02.5", "62,500"]


@pytest.mark.parametrize("text", SAME_MOMENT)
def test_every_way_of_writing_a_moment_reads_the_same(text):
    assert parse_timecode(text) == 62_500


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("0", 0),
        ("75", 75_000),
        ("125.25", 125_250),
        ("2:03", 123_000),
        ("75:00", 4_500_000),
        ("1:02:03", 3_723_000),
        ("1:02:03.004", 3_723_004),
        ("10:00:00", 36_000_000),
        ("1:02.", 62_000),
    ],
)
def test_seconds_minutes_and_hours(text, ms):
    assert parse_timecode(text) == ms


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1:7x", "1:7x is not a time. Write it as 1:02.5, 62.5 or 0:01:02.500."),
        ("abc", "abc is not a time. Write it as 1:02.5, 62.5 or 0:01:02.500."),
        ("-5", "-5 is not a time. Write it as 1:02.5, 62.5 or 0:01:02.500."),
        (".5", ".5 is not a time. Write it as 1:02.5, 62.5 or 0:01:02.500."),
        ("1::02", "1::02 is not a time. Write it as 1:02.5, 62.5 or 0:01:02.500."),
        ("1:02:03:04", "1:02:03:04 is not a time. Write it as 1:02.5, 62.5 or 0:01:02.500."),
        ("1.5:00", "1.5:00 is not a time. Write it as 1:02.5, 62.5 or 0:01:02.500."),
        ("1:02.5.1", "1:02.5.1 is not a time. Write it as 1:02.5, 62.5 or 0:01:02.500."),
        ("١:٠٢", "١:٠٢ is not a time. Write it as 1:02.5, 62.5 or 0:01:02.500."),
        ("1:75", "1:75 has 75 seconds: with minutes, write under 60 seconds."),
        ("1:60:00", "1:60:00 has 60 minutes: with hours, write under 60 minutes."),
        ("1.2345", "1.2345 has more than three decimals: times go to the millisecond."),
        ("", "Enter a time, such as 1:02.5, 62.5 or 0:01:02.500."),
        ("  ", "Enter a time, such as 1:02.5, 62.5 or 0:01:02.500."),
    ],
)
def test_a_bad_time_says_what_is_wrong(text, message):
    with pytest.raises(TimecodeError) as caught:
        parse_timecode(text)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("ms", "seconds", "auto", "milliseconds"),
    [
        (0, "0:00", "0:00", "0:00:00.000"),
        (10_468, "0:10", "0:10.468", "0:00:10.468"),
        (62_500, "1:02", "1:02.500", "0:01:02.500"),
        (3_599_999, "59:59", "59:59.999", "0:59:59.999"),
        (3_725_900, "1:02:05", "1:02:05.900", "1:02:05.900"),
        (36_000_000, "10:00:00", "10:00:00", "10:00:00.000"),
    ],
)
def test_formats(ms, seconds, auto, milliseconds):
    assert format_timecode(ms) == seconds
    assert format_timecode(ms, precision="auto") == auto
    assert format_timecode(ms, precision="milliseconds", hours=True) == milliseconds


def test_hours_on_request_and_none_is_empty():
    assert format_timecode(62_000, hours=True) == "0:01:02"
    assert format_timecode(None) == ""


EDITOR_STYLES = [
    {"precision": "auto"},
    {"precision": "auto", "hours": True},
    {"precision": "milliseconds", "hours": True},
]


@pytest.mark.parametrize("ms", [0, 1, 999, 62_500, 3_599_999, 3_723_004, 360_000_001])
@pytest.mark.parametrize("style", EDITOR_STYLES)
def test_what_the_editors_show_reads_back(ms, style):
    assert parse_timecode(format_timecode(ms, **style)) == ms


def test_the_segment_editor_and_the_chapter_field_read_the_same():
    chapter_field = Chapter._meta.get_field("start_ms").formfield()
    for text in SAME_MOMENT:
        assert chapter_field.clean(text) == TimeField().clean(text) == 62_500
    with pytest.raises(ValidationError) as caught:
        chapter_field.clean("1:75")
    assert caught.value.messages == ["1:75 has 75 seconds: with minutes, write under 60 seconds."]


def test_the_chapter_field_shows_what_the_editor_typed():
    chapter_field = Chapter._meta.get_field("start_ms").formfield()
    assert chapter_field.prepare_value(62_500) == "1:02.500"
    assert chapter_field.prepare_value(83_000) == "1:23"


@pytest.mark.django_db
@pytest.mark.parametrize("text", SAME_MOMENT[:4])
def test_an_editor_saves_a_chapter_start_in_any_form(admin_client, home_page, text):
    show = ShowPageFactory(parent=home_page)
    episode = EpisodePageFactory(parent=show, title="Hello")
    chapter = {"start_ms": text, "title": "The middle", "url": "", "image": ""}
    data = episode_form_data(title="Hello", slug=episode.slug, chapters=inline_formset([chapter]))

    response = admin_client.post(reverse("wagtailadmin_pages:edit", args=[episode.pk]), data)

    assert response.status_code == 302, response.context["form"].errors if response.context else response
    episode.refresh_from_db()
    revision = episode.get_latest_revision_as_object()
    assert [(c.start_ms, c.title) for c in revision.chapters.all()] == [(62_500, "The middle")]
