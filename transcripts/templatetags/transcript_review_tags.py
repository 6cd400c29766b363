"""Template tags of the transcript review in the admin, also used by the episode's transcript panel."""

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
