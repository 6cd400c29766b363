from django import template

from ..timecodes import format_timecode

register = template.Library()


@register.filter
def timestamp(ms):
    """Milliseconds as ``m:ss`` or ``h:mm:ss``, in whole seconds (as ``?t=`` links and players count)."""
    return format_timecode(None if ms is None else int(ms))


@register.filter
def seconds(ms):
    return int(ms or 0) // 1000


@register.filter
def duration(ms):
    """A human duration: ``"12 min"``, ``"1 h 5 min"`` or ``"45 s"``."""
    total = round((ms or 0) / 1000)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min" if not secs or minutes >= 10 else f"{minutes} min {secs} s"
    return f"{secs} s"
