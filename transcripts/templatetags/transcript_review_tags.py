"""Template tags of the transcript review in the admin, also used by the episode's transcript panel."""

from django import template

from ..editing import format_time

register = template.Library()


@register.filter
def segment_time(ms) -> str:
    """Milliseconds as the segment editor shows times: ``0:01:02.500``."""
    return format_time(ms) if isinstance(ms, int) else ""


@register.simple_tag
def can_review_transcripts(user) -> bool:
    """Whether ``user`` may correct, import and re-run transcripts."""
    return bool(user and user.has_perm("transcripts.change_transcript"))
