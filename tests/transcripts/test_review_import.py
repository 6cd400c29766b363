"""Editors import WebVTT or SRT for an episode's audio; a file that cannot be imported says why, and an
import wins over a transcription that is queued or running.

Where a real run is the point, Whisper (tiny.en) transcribes the spoken test audio, as in
test_transcribing.
"""

import os

import pytest
from django.urls import reverse
from wagtail import hooks

from tests.transcripts.review_helpers import rows, transcript_of, upload
from transcripts.engines import EngineError
from transcripts.models import Transcript, TranscriptRevision
from transcripts.transcribing import request_transcription, run_transcription

pytestmark = pytest.mark.django_db


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
