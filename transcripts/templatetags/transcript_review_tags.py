"""Template tags of the transcript review in the admin, and the transcript panel of an episode's edit form."""

from django import template

from episodes.timecodes import format_timecode

register = template.Library()


@register.filter
def segment_time(ms) -> str:
    """Milliseconds as the segment editor shows times: ``0:01:02.500``."""
    return format_timecode(ms, precision="milliseconds", hours=True) if isinstance(ms, int) else ""


@register.simple_tag
def can_review_transcripts(user) -> bool:
    """Whether ``user`` may correct, import and re-run transcripts."""
    return bool(user and user.has_perm("transcripts.change_transcript"))


@register.inclusion_tag("transcripts/panels/transcript_status.html")
def transcript_status_panel(page, audio, request):
    """The Transcript panel of an episode's edit form (``episodes.panels.TranscriptStatusPanel`` holds its
    place): the status of the audio's transcript, links to review it and, once it is done, to suggest
    chapters. The episodes app reaches this app only through this tag."""
    return {
        "page": page,
        "audio": audio,
        "transcript": getattr(audio, "transcript", None) if audio else None,
        "request": request,
    }


@register.simple_tag
def speaker_problems(page) -> list[str]:
    """Where the transcript's speakers and the page's people (``podcast:person`` in the feed) disagree, for
    the Transcript panel (``transcripts.speaker_checks``)."""
    from ..speaker_checks import speaker_problems

    return speaker_problems(page) if page is not None else []
