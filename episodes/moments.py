"""Moments named in a link: ``?t=90``, ``?t=1:30``, ``?t=1:02:03``, ``?t=1h2m3s`` (or ``#t=`` the same).

The value comes from whoever wrote the link, so anything that is not plainly one of these shapes, in ASCII
digits, short, and inside the audio, is ignored rather than guessed at or reported as an error.
website/static/js/player.js reads ``#t=`` with the same grammar; keep the two in step.
"""

from __future__ import annotations

import re

# Longer values are not moments; checking the length first keeps the regular expressions cheap.
MAX_LENGTH = 16
# Without a known duration, a moment past a day is certainly a mistake.
MAX_MS = 24 * 3600 * 1000

_SECONDS = re.compile(r"(\d{1,6})(?:\.(\d{1,3}))?", re.ASCII)
_CLOCK = re.compile(r"(?:(\d{1,3}):)?(\d{1,3}):(\d\d)(?:\.(\d{1,3}))?", re.ASCII)
_UNITS = re.compile(r"(?:(\d{1,3})h)?(?:(\d{1,4})m)?(?:(\d{1,6})s)?", re.ASCII | re.IGNORECASE)


def _fraction(digits: str | None) -> int:
    return round(float(f"0.{digits}") * 1000) if digits else 0


def parse_moment(value: str | None, duration_ms: int | None = None) -> int | None:
    """The moment ``value`` names, in milliseconds, or None when it names none (or 0, the start).

    Accepts whole or decimal seconds (``90``, ``90.5``), a clock (``1:30``, ``1:02:03``) and units
    (``1h2m3s``, ``2m``). A moment at or past ``duration_ms`` (when known) or past a day is None.
    """
    if not value or len(value) > MAX_LENGTH:
        return None
    if match := _SECONDS.fullmatch(value):
        ms = int(match[1]) * 1000 + _fraction(match[2])
    elif match := _CLOCK.fullmatch(value):
        hours, minutes, seconds = int(match[1] or 0), int(match[2]), int(match[3])
        if seconds > 59 or (match[1] is not None and minutes > 59):
            return None
        ms = (hours * 3600 + minutes * 60 + seconds) * 1000 + _fraction(match[4])
    elif (match := _UNITS.fullmatch(value)) and any(match.groups()):
        hours, minutes, seconds = (int(part or 0) for part in match.groups())
        ms = (hours * 3600 + minutes * 60 + seconds) * 1000
    else:
        return None
    limit = duration_ms if duration_ms else MAX_MS
    return ms if 0 < ms < limit else None
