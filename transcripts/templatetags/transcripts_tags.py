"""Template tags through which episode and interview pages show their audio's transcript."""

from django import template
from django.core.exceptions import ObjectDoesNotExist
from django.utils.safestring import mark_safe

from ..formats import to_html
from ..models import Transcript

register = template.Library()

DOWNLOADS = [("vtt", "WebVTT captions"), ("srt", "SRT subtitles"), ("txt", "Plain text"), ("json", "JSON")]


@register.simple_tag
def published_transcript(audio) -> Transcript | None:
    """The audio's finished transcript of its present content, or None."""
    if audio is None:
        return None
    try:
        transcript = audio.transcript
    except ObjectDoesNotExist:
        return None
    if transcript.status != Transcript.DONE or transcript.audio_sha256 != audio.sha256:
        return None
    return transcript


@register.inclusion_tag("transcripts/includes/transcript.html")
def transcript_section(audio):
    transcript = published_transcript(audio)
    segments = list(transcript.segments.all()) if transcript else []
    return {
        "transcript": transcript,
        "downloads": DOWNLOADS,
        # to_html escapes every value it writes (tested in test_formats).
        "body": mark_safe(to_html(segments, language=transcript.language)) if segments else "",  # noqa: S308
    }
