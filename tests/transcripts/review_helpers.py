"""Transcripts for the review tests (tests/transcripts/test_review_*.py), made directly in the database,
and what those tests read back or post."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from transcripts.models import Segment, Transcript

CORRECTIONS = [
    {"start_ms": 0, "end_ms": 1200, "text": "Corrected by an editor.", "speaker": "Ann", "words": []},
    {"start_ms": 1200, "end_ms": 2600, "text": "Names spelt right.", "speaker": "Ben", "words": []},
]


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


def upload(name: str, content: bytes | str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content)
