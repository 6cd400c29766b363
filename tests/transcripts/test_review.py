"""Editors review transcripts in the admin: correct segments, name speakers, re-run (keeping their
corrections), restore revisions, import WebVTT or SRT, and find failed transcriptions in a report.

Segments are made directly in the database, except where a real run is the point: then Whisper (tiny.en)
transcribes the spoken test audio, as in test_transcribing.
"""

import os
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail import hooks

from episodes.factories import AudioFileFactory, EpisodePageFactory, PersonFactory, ShowPageFactory
from episodes.models import AudioFile, EpisodePerson, ShowPage
from episodes.timecodes import format_timecode
from tests.audio import speech
from transcripts import transcribing
from transcripts.engines import EngineError
from transcripts.models import Segment, Transcript, TranscriptRevision
from transcripts.transcribing import request_transcription, run_transcription

pytestmark = pytest.mark.django_db

CORRECTIONS = [
    {"start_ms": 0, "end_ms": 1200, "text": "Corrected by an editor.", "speaker": "Ann", "words": []},
    {"start_ms": 1200, "end_ms": 2600, "text": "Names spelt right.", "speaker": "Ben", "words": []},
]


@pytest.fixture
def show(home_page):
    return ShowPageFactory(parent=home_page)


@pytest.fixture
def episode(show, audio_dir):
    """An episode whose audio is the 3-second tone."""
    return EpisodePageFactory(parent=show, audio=AudioFileFactory(path=audio_dir / "tone.mp3", title="Tone"))


@pytest.fixture
def spoken(audio_dir):
    """Audio of real speech, not yet transcribed (made outside any on-commit capture)."""
    return AudioFileFactory(path=audio_dir / "speech.mp3", title="Speech")


def transcript_of(audio, count=3, **fields) -> Transcript:
    """A finished transcript of ``audio`` with ``count`` segments 40 ms apart, speakers alternating."""
    fields = {"status": "done", "audio_sha256": audio.sha256, "language": "en", **fields}
    transcript = Transcript.objects.create(audio=audio, **fields)
    Segment.objects.bulk_create(
        Segment(
            transcript=transcript,
            index=i,
            start_ms=i * 40,
            end_ms=i * 40 + 30,
            text=f"Line {i}.",
            speaker="SPEAKER 1" if i % 2 == 0 else "SPEAKER 2",
            words=[[i * 40, i * 40 + 30, f"Line {i}.", 0.9]],
        )
        for i in range(count)
    )
    return transcript


def corrected(audio) -> Transcript:
    transcript = Transcript.objects.create(audio=audio, status="done", audio_sha256=audio.sha256, edited=True)
    for index, values in enumerate(CORRECTIONS):
        transcript.segments.create(index=index, **values)
    return transcript


def rows(transcript) -> list[dict]:
    return list(
        transcript.segments.order_by("index").values("start_ms", "end_ms", "text", "speaker", "words")
    )


def segments_url(transcript, page=None):
    url = reverse("transcripts_admin:segments", args=[transcript.pk])
    return f"{url}?p={page}" if page else url


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


def upload(name: str, content: bytes | str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content)


@pytest.fixture
def changed_transcripts():
    """The transcripts that ``transcript_changed`` hooks were told about."""
    told = []
    with hooks.register_temporarily("transcript_changed", told.append):
        yield told


# ------------------------------------------------------------------------------------------ segment editor


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
    assert after[0].words == before[0]["words"]  # word timings are kept for the formats to judge
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


def test_speakers_are_named_across_the_transcript(admin_client, admin_user, episode):
    transcript = transcript_of(episode.audio, count=5)
    person = PersonFactory(name="Amara Okafor")
    EpisodePerson.objects.create(page=episode, person=person)
    url = reverse("transcripts_admin:speakers", args=[transcript.pk])

    page = admin_client.get(url).content.decode()
    assert '<option value="Amara Okafor">' in page  # the episode's people are suggested
    assert "SPEAKER 1 (3 segments)" in page
    response = admin_client.post(url, {"old": "SPEAKER 1", "new": " Amara   Okafor "}, follow=True)

    assert "SPEAKER 1 is now Amara Okafor in 3 segments." in response.content.decode()
    assert list(transcript.segments.order_by("index").values_list("speaker", flat=True)) == [
        "Amara Okafor",
        "SPEAKER 2",
        "Amara Okafor",
        "SPEAKER 2",
        "Amara Okafor",
    ]
    (revision,) = transcript.revisions.all()
    assert revision.user == admin_user and revision.segments[0]["speaker"] == "SPEAKER 1"
    assert Transcript.objects.get(pk=transcript.pk).edited


def test_a_speaker_must_be_one_the_transcript_has(admin_client, episode):
    transcript = transcript_of(episode.audio)
    url = reverse("transcripts_admin:speakers", args=[transcript.pk])

    response = admin_client.post(url, {"old": "NOBODY", "new": "Amara"})

    assert "Select a valid choice." in response.content.decode()
    assert not transcript.revisions.exists()


# ------------------------------------------------------------------------------------------------- re-run


def test_a_rerun_of_corrections_asks_first_then_keeps_them_as_a_revision(
    admin_client, admin_user, spoken, django_capture_on_commit_callbacks
):
    transcript = corrected(spoken)
    url = reverse("transcripts_admin:rerun", args=[transcript.pk])

    with django_capture_on_commit_callbacks() as queued:
        page = admin_client.get(url)
    html = page.content.decode()
    assert "An editor has corrected this transcript" in html
    assert "saved as a" in html and reverse("transcripts_admin:revisions", args=[transcript.pk]) in html
    assert queued == []
    assert Transcript.objects.get(pk=transcript.pk).status == "done"
    assert not transcript.revisions.exists()

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url)

    (revision,) = transcript.revisions.all()  # the run found the corrections already kept
    assert (revision.reason, revision.user, revision.edited) == (TranscriptRevision.RERUN, admin_user, True)
    assert revision.segments == CORRECTIONS
    transcript.refresh_from_db()
    assert transcript.status == "done" and not transcript.edited, transcript.error
    text = " ".join(transcript.segments.values_list("text", flat=True)).lower()
    assert "decision" in text and "corrected by an editor" not in text


def test_transcribe_force_on_the_command_line_also_keeps_the_corrections(spoken):
    transcript = corrected(spoken)

    call_command("transcribe", spoken.pk, "--force", "--sync", verbosity=0)

    (revision,) = transcript.revisions.all()
    assert (revision.reason, revision.user, revision.segments) == (
        TranscriptRevision.RERUN,
        None,
        CORRECTIONS,
    )
    assert not transcript.segments.filter(text="Corrected by an editor.").exists()


def test_a_transcript_is_not_rerun_without_asking_when_its_audio_is_saved_again(spoken):
    transcript = corrected(spoken)
    AudioFile.objects.filter(pk=spoken.pk).update(sha256="0" * 64)  # as if the file were replaced
    spoken.refresh_from_db()

    request_transcription(spoken)

    assert Transcript.objects.get(pk=transcript.pk).status == "done"
    assert rows(transcript) == CORRECTIONS


# ---------------------------------------------------------------------------------------------- revisions


def test_restoring_a_revision_brings_the_corrections_back(admin_client, admin_user, episode):
    transcript = corrected(episode.audio)
    vtt = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nA transcript made elsewhere.\n"
    admin_client.post(
        reverse("transcripts_admin:import", args=[episode.audio.pk]), {"file": upload("other.vtt", vtt)}
    )
    (kept,) = transcript.revisions.all()
    assert kept.reason == TranscriptRevision.IMPORT

    listing = admin_client.get(reverse("transcripts_admin:revisions", args=[transcript.pk])).content.decode()
    assert "Before an import" in listing
    shown = admin_client.get(reverse("transcripts_admin:revision", args=[transcript.pk, kept.pk]))
    assert "Corrected by an editor." in shown.content.decode() and "0:00:01.200" in shown.content.decode()
    admin_client.post(reverse("transcripts_admin:revision", args=[transcript.pk, kept.pk]))

    assert rows(transcript) == CORRECTIONS
    newest = transcript.revisions.first()
    assert newest.reason == TranscriptRevision.RESTORE
    assert newest.segments[0]["text"] == "A transcript made elsewhere."
    transcript.refresh_from_db()
    assert (transcript.status, transcript.edited, transcript.edited_by) == ("done", True, admin_user)


# ------------------------------------------------------------------------------------------------- import

VTT = """WEBVTT

NOTE made by a transcription service

1
00:00:00.000 --> 00:00:01.500
<v Amara Okafor>Shared decision making

2
00:00:01.500 --> 00:00:02.900
<v Ben>means deciding &amp; acting together.
"""

SRT = """1
00:00:00,000 --> 00:00:01,500
Shared <i>decision</i> making

2
00:00:01,500 --> 00:00:02,900
means deciding together.
"""


def import_url(audio):
    return reverse("transcripts_admin:import", args=[audio.pk])


def test_a_webvtt_file_is_imported_for_audio_without_a_transcript(
    admin_client, admin_user, episode, changed_transcripts
):
    audio = episode.audio
    response = admin_client.post(
        import_url(audio), {"file": upload("from-the-studio.vtt", VTT), "language": "en-GB"}, follow=True
    )

    assert "Imported 2 cues from from-the-studio.vtt." in response.content.decode()
    transcript = Transcript.objects.get(audio=audio)
    assert [(s["start_ms"], s["end_ms"], s["text"], s["speaker"]) for s in rows(transcript)] == [
        (0, 1500, "Shared decision making", "Amara Okafor"),
        (1500, 2900, "means deciding & acting together.", "Ben"),
    ]
    assert (transcript.status, transcript.engine, transcript.model) == (
        "done",
        "import",
        "from-the-studio.vtt",
    )
    assert (transcript.audio_sha256, transcript.progress, transcript.language) == (audio.sha256, 1, "en-GB")
    assert transcript.edited and transcript.edited_by == admin_user
    assert not transcript.revisions.exists()  # there was nothing to keep
    assert changed_transcripts == [transcript]


def test_an_srt_file_replaces_a_transcript_which_is_kept_as_a_revision(admin_client, episode):
    transcript = transcript_of(episode.audio)
    before = rows(transcript)

    admin_client.post(import_url(episode.audio), {"file": upload("subtitles.srt", SRT)})

    assert [s["text"] for s in rows(transcript)] == ["Shared decision making", "means deciding together."]
    (revision,) = transcript.revisions.all()
    assert (revision.reason, revision.segments) == (TranscriptRevision.IMPORT, before)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "bad.vtt",
            "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nFine.\n\n00:00:01.000 -> 00:00:02.000\nArrow typo.\n",
            "line 6 (&#x27;00:00:01.000 -&gt; 00:00:02.000&#x27;) starts neither a cue nor a comment",
        ),
        (
            "bad.vtt",
            "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nFine.\n\n00:00:0x.000 --> 00:00:02.000\nBad time.\n",
            "the cue times on line 6",
        ),
        (
            "bad.srt",
            "1\n00:00:00,000 --> 00:00:01,000\nFine.\n\n2\n00:00:01,000 to 00:00:02,000\nNo arrow.\n",
            "cannot read a cue at line 5",
        ),
        (
            "stray.srt",
            "1\n00:00:00,000 --> 00:00:01,000\nFine.\n\n2\nNo times.\n",
            "at line 5 a cue number is not followed by its times",
        ),
        (
            "late.vtt",
            "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nFine.\n\n00:00:02.000 --> 00:00:09.000\nToo late.\n",
            "Cue 2 (line 6) ends at 0:00:09.000, after the end of the audio (0:00:03.",
        ),
        ("empty.vtt", "", "The submitted file is empty."),
        ("blank.srt", "\n  \n", "The file is empty."),
        ("notes.txt", "Just some notes about the episode.\n", "This is neither a WebVTT nor an SRT file."),
        ("sound.vtt", b"\xff\xfb\x90\x00" * 64, "The file is not UTF-8 text"),
        ("huge.srt", "1\n00:00:00,000 --> 00:00:01,000\nWords.\n\n" * 60_000, "larger than 2 MB"),
        ("silent.srt", "1\n00:00:00,000 --> 00:00:01,000\n\n", "The file&#x27;s cues have no text."),
    ],
)
def test_a_file_that_cannot_be_imported_says_why_and_changes_nothing(
    admin_client, episode, name, content, message
):
    transcript = transcript_of(episode.audio)
    before = rows(transcript)

    response = admin_client.post(import_url(episode.audio), {"file": upload(name, content)})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert rows(transcript) == before
    assert not transcript.revisions.exists()
    transcript.refresh_from_db()
    assert (transcript.engine, transcript.edited) == ("", False)


def test_an_import_while_a_transcription_is_queued_leaves_the_worker_nothing_to_do(admin_client, spoken):
    transcript = transcript_of(spoken)
    request_transcription(spoken, force=True, enqueue=False)
    assert Transcript.objects.get(pk=transcript.pk).status == "queued"

    admin_client.post(import_url(spoken), {"file": upload("captions.srt", SRT)})

    assert run_transcription(transcript.pk) is None
    transcript.refresh_from_db()
    assert (transcript.status, transcript.engine, transcript.attempts) == ("done", "import", 0)
    assert [s["text"] for s in rows(transcript)][0] == "Shared decision making"


def test_an_import_that_lands_as_a_run_ends_is_not_overwritten_by_the_run(admin_client, spoken):
    transcript = Transcript.objects.create(audio=spoken, audio_sha256=spoken.sha256)  # queued
    imported = []

    def import_meanwhile(fraction):
        # At 1.0 the engine is done and the run has made its last progress report: only the final
        # check, as the run stores its segments, stands between it and the editor's import.
        if fraction == 1:
            imported.append(admin_client.post(import_url(spoken), {"file": upload("captions.vtt", VTT)}))

    assert run_transcription(transcript.pk, progress=import_meanwhile) is None

    assert imported[0].status_code == 302
    transcript.refresh_from_db()
    assert (transcript.status, transcript.engine, transcript.progress) == ("done", "import", 1)
    assert [s["speaker"] for s in rows(transcript)] == ["Amara Okafor", "Ben"]


def test_a_run_that_fails_after_an_import_does_not_mark_the_import_failed(admin_client, spoken):
    transcript = Transcript.objects.create(audio=spoken, audio_sha256=spoken.sha256)  # queued
    path = spoken.file.path

    def import_then_lose_the_file():
        # Called by the run once it has claimed the transcript, before the engine reads the audio.
        admin_client.post(import_url(spoken), {"file": upload("captions.srt", SRT)})
        spoken.file.storage.delete(spoken.file.name)
        return []

    with (
        hooks.register_temporarily("transcription_vocabulary", import_then_lose_the_file),
        pytest.raises(EngineError, match="Cannot read .* as audio"),
    ):
        run_transcription(transcript.pk)

    assert not os.path.exists(path)
    transcript.refresh_from_db()
    assert (transcript.status, transcript.engine, transcript.error) == ("done", "import", "")
    assert [s["text"] for s in rows(transcript)] == ["Shared decision making", "means deciding together."]


@pytest.fixture(scope="session")
def long_speech(tmp_path_factory):
    """About ten seconds of speech: three segments, so that a run reports progress several times."""
    return speech(
        tmp_path_factory.mktemp("long-speech") / "plan.mp3",
        "Shared decision making means the patient and the doctor decide together. They talk about the "
        "choices, the risks and what matters most. Then they agree on a plan that both of them can follow.",
    )


def test_replacing_the_audio_during_a_run_stops_it_and_leaves_the_new_file_queued(long_speech, monkeypatch):
    monkeypatch.setattr(transcribing, "PROGRESS_EVERY_SECONDS", 0)  # report (and check) at every segment
    audio = AudioFileFactory(path=long_speech, title="Plan")
    transcript = Transcript.objects.create(audio=audio, audio_sha256=audio.sha256)
    heard = []

    def replace_the_file(fraction):
        heard.append(fraction)
        if len(heard) == 1:
            AudioFile.objects.filter(pk=audio.pk).update(sha256="1" * 64)
            audio.refresh_from_db()
            request_transcription(audio)  # as saving the replaced file does

    assert run_transcription(transcript.pk, progress=replace_the_file) is None

    assert len(heard) == 1 and heard[0] < 1  # the run stopped at its next report
    transcript.refresh_from_db()
    assert (transcript.status, transcript.audio_sha256, transcript.progress) == ("queued", "1" * 64, 0)
    assert transcript.finished_at is None
    assert not transcript.segments.exists()


# ------------------------------------------------------------------------------------------ failed report


def test_the_failed_report_lists_failed_transcriptions_and_tries_one_again(
    admin_client, episode, audio_dir, django_capture_on_commit_callbacks
):
    failed = transcript_of(episode.audio, status="failed", attempts=3, error="EngineError: Cannot read tone")
    transcript_of(AudioFileFactory(path=audio_dir / "tone.ogg", title="Fine tone"))
    report_url = reverse("transcripts_reports:failed")

    html = admin_client.get(report_url).content.decode()
    assert "EngineError: Cannot read tone" in html and "Fine tone" not in html
    assert reverse("wagtailadmin_pages:edit", args=[episode.pk]) in html  # the episode using the audio
    assert "Failed transcriptions" in admin_client.get(reverse("wagtailadmin_home")).content.decode()
    csv = admin_client.get(report_url, {"export": "csv"})
    assert b"EngineError: Cannot read tone" in b"".join(csv.streaming_content)

    with django_capture_on_commit_callbacks() as queued:
        response = admin_client.post(
            reverse("transcripts_admin:rerun", args=[failed.pk]), {"next": report_url}
        )

    assert response.status_code == 302 and response.url == report_url
    assert len(queued) == 1  # the run is enqueued once the request commits
    failed.refresh_from_db()
    assert (failed.status, failed.error) == ("queued", "")


# ------------------------------------------------------------------------------------ links and permissions


def test_the_episode_panel_and_the_inspect_view_link_to_the_review(admin_client, episode):
    transcript = transcript_of(episode.audio, status="failed", error="Broken")
    panel = admin_client.get(reverse("wagtailadmin_pages:edit", args=[episode.pk])).content.decode()
    inspect = admin_client.get(reverse("transcripts_admin:inspect", args=[transcript.pk])).content.decode()

    for url in (
        reverse("transcripts_admin:segments", args=[transcript.pk]),
        reverse("transcripts_admin:rerun", args=[transcript.pk]),
        reverse("transcripts_admin:revisions", args=[transcript.pk]),
        reverse("transcripts_admin:import", args=[episode.audio.pk]),
    ):
        assert url in panel and url in inspect
    assert "Try again</a>" in panel


def test_the_panel_warns_when_the_audio_was_replaced_after_the_transcript(admin_client, episode):
    transcript_of(episode.audio, audio_sha256="0" * 64, edited=True)
    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[episode.pk])).content.decode()
    assert "The audio was replaced after this transcript was made" in html


def review_urls(transcript, revision):
    return [
        segments_url(transcript),
        reverse("transcripts_admin:speakers", args=[transcript.pk]),
        reverse("transcripts_admin:rerun", args=[transcript.pk]),
        reverse("transcripts_admin:revisions", args=[transcript.pk]),
        reverse("transcripts_admin:revision", args=[transcript.pk, revision.pk]),
        reverse("transcripts_admin:import", args=[transcript.audio_id]),
        reverse("transcripts_reports:failed"),
        reverse("transcripts_reports:failed_results"),
    ]


@pytest.fixture
def reviewed(episode):
    transcript = transcript_of(episode.audio)
    revision = TranscriptRevision.objects.create(transcript=transcript, reason="edit", segments=CORRECTIONS)
    return transcript, revision


def test_without_the_change_permission_every_review_view_is_forbidden(client, django_user_model, reviewed):
    transcript, revision = reviewed
    before = rows(transcript)
    user = django_user_model.objects.create_user("viewer", password="pw")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"),
        Permission.objects.get(content_type__app_label="transcripts", codename="view_transcript"),
    )
    client.force_login(user)

    for url in review_urls(transcript, revision):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"old": "SPEAKER 1", "new": "X"}).status_code == 403, url
    assert rows(transcript) == before and Transcript.objects.get(pk=transcript.pk).status == "done"
    assert "Failed transcriptions" not in client.get(reverse("wagtailadmin_home")).content.decode()
    inspect = client.get(reverse("transcripts_admin:inspect", args=[transcript.pk]))
    assert inspect.status_code == 200 and segments_url(transcript) not in inspect.content.decode()


def test_the_panel_offers_the_review_only_to_those_who_may_use_it(client, django_user_model, episode):
    transcript = transcript_of(episode.audio)
    editors = Group.objects.get(name="Editors")  # may edit pages (Wagtail's own data)
    editors.permissions.remove(Permission.objects.get(codename="change_transcript"))
    user = django_user_model.objects.create_user("writer", password="pw")
    user.groups.add(editors)
    client.force_login(user)

    html = client.get(reverse("wagtailadmin_pages:edit", args=[episode.pk])).content.decode()

    assert "<strong>done</strong>" in html
    assert segments_url(transcript) not in html
    assert reverse("transcripts_admin:import", args=[episode.audio.pk]) not in html


@pytest.mark.parametrize("group", ["Editors", "Moderators"])
def test_editors_and_moderators_may_review(client, django_user_model, reviewed, group):
    transcript, revision = reviewed
    user = django_user_model.objects.create_user("editor", password="pw")
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)

    for url in review_urls(transcript, revision):
        assert client.get(url).status_code == 200, url


def test_times_are_shown_with_hours_and_milliseconds():
    assert [format_timecode(ms, precision="milliseconds", hours=True) for ms in (0, 62_500, 3_723_004)] == [
        "0:00:00.000",
        "0:01:02.500",
        "1:02:03.004",
    ]
