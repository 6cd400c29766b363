"""Who else hears that audio was served: the hook apps that count downloads connect to.

The audio views (``episodes.views``) serve masters and renditions and know, per request, which bytes go
out (or, in ``AUDIO_DELIVERY=redirect`` mode, that the listener was sent to the storage's URL). Counting
those downloads belongs to an app above this one (``analytics``), which this app may not import; so the
views call ``audio_served`` and that app registers a Wagtail hook under ``AUDIO_SERVED_HOOK``, as
``WORKER_REPORT_HOOK`` does for health.

A hook must never fail or delay the download: whatever it raises is logged here and the audio is served.
"""

from __future__ import annotations

import logging

from wagtail import hooks

logger = logging.getLogger(__name__)

# Wagtail hook: ``fn(request, audio, served, byte_range)``. ``audio`` is the master (AudioFile), ``served``
# the file whose bytes go out (the master or one of its renditions); ``byte_range`` the inclusive
# ``(first, last)`` bytes of ``served`` sent in this answer, or None when they are not known (a redirect
# to the storage's URL: the storage answers the range). Called for GET and HEAD alike, only when the
# answer carries or leads to the audio (200, 206, a redirect or X-Accel-Redirect; not 304 or 416).
AUDIO_SERVED_HOOK = "audio_served"


def audio_served(request, audio, served, byte_range: tuple[int, int] | None) -> None:
    for hook in hooks.get_hooks(AUDIO_SERVED_HOOK):
        try:
            hook(request, audio, served, byte_range)
        except Exception:
            # No request data in the message: the client's address must never reach a log from here.
            logger.exception("The %s hook %s failed; the audio is served anyway", AUDIO_SERVED_HOOK, hook)
