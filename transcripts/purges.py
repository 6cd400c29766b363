"""What a change of a transcript affects, for the page cache and the CDN (``pagecache.purging``): the
pages that play its audio (with all they affect) and its files in every format; and, for an episode or
interview, the files of its audio's transcript (the feed and player link them)."""

from __future__ import annotations

from django.urls import reverse

from episodes.models import EpisodePage, InterviewPage
from pagecache.purging import affected_by, affects
from pagecache.signal_handlers import after_task

from .formats import FORMATS
from .models import Transcript
from .tasks import transcribe_audio
from .templatetags.transcripts_tags import revision_tag


def file_urls(transcript_id: int) -> list[str]:
    return [reverse("transcripts:file", args=[transcript_id, extension]) for extension in FORMATS]


def transcript_urls(transcript: Transcript) -> set[str] | None:
    pages = [
        *EpisodePage.objects.filter(audio_id=transcript.audio_id),
        *InterviewPage.objects.filter(audio_id=transcript.audio_id),
    ]
    affected = affected_by(*pages) if pages else set()
    if affected is None:
        return None
    return affected | set(file_urls(transcript.pk)) | {revision_tag(transcript.pk)}


def page_transcript_urls(page) -> list[str]:
    if page.audio_id is None:
        return []
    ids = Transcript.objects.filter(audio_id=page.audio_id).values_list("pk", flat=True)
    return [url for pk in ids for url in file_urls(pk)]


def transcribed(transcript_id: int) -> set[str] | None:
    transcript = Transcript.objects.filter(pk=transcript_id).first()
    return transcript_urls(transcript) if transcript is not None else set()


def register() -> None:
    affects(Transcript, transcript_urls)
    affects(EpisodePage, page_transcript_urls)
    affects(InterviewPage, page_transcript_urls)
    after_task(transcribe_audio, transcribed)
