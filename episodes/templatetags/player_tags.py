"""Template tags of the audio player that episode and interview pages share."""

from django import template

from ..models.renditions import listening as listening_for
from ..moments import parse_moment

register = template.Library()


@register.simple_tag(takes_context=True)
def requested_moment(context, audio) -> int | None:
    """The moment (milliseconds) the page was asked to start at with ``?t=``, or None.

    The server puts it into the audio's media fragment, so that a shared moment starts there even
    without JavaScript. A value that names no moment inside ``audio`` is ignored (see episodes.moments).
    """
    request = context.get("request")
    if request is None or audio is None:
        return None
    return parse_moment(request.GET.get("t"), audio.duration_ms)


@register.simple_tag
def listening(audio):
    """What the player plays for ``audio`` (``episodes.models.renditions.listening``): the ready MP3
    rendition, else the master when podcast apps take it as it is; None while the audio is being prepared."""
    return None if audio is None else listening_for(audio)
