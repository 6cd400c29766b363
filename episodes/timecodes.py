"""How a time within the audio is written and read: one parser and one formatter for every editor field,
template filter and message.

Times are integer milliseconds everywhere else (``start_ms`` and friends); this is the one place that turns
them into text a person reads or types. It lives in ``episodes``, the lowest app with times, so that
``transcripts`` and ``concepts`` can import it. Caption formats (WebVTT, SRT, ISO durations) have their own
notations and keep their own writers, built on ``split_ms``.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

EXAMPLES = "1:02.5, 62.5 or 0:01:02.500"

# [[hours:]minutes:]seconds[.fraction]; a comma works as the decimal point too, as in SRT and in much of
# Europe. The fraction may be empty ("1:02." is 1:02) but has at most three digits: times are milliseconds.
_TIMECODE = re.compile(r"(?:(?:(\d+):)?(\d+):)?(\d+)(?:[.,](\d*))?", re.ASCII)

Precision = Literal["seconds", "auto", "milliseconds"]


class TimecodeError(ValueError):
    """A text that is not a time; the message says why and is fit to show an editor."""


class Parts(NamedTuple):
    hours: int
    minutes: int
    seconds: int
    millis: int


def split_ms(ms: int) -> Parts:
    """Milliseconds as (hours, minutes, seconds, milliseconds), hours unbounded."""
    seconds, millis = divmod(int(ms), 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return Parts(hours, minutes, seconds, millis)


def parse_timecode(text: str) -> int:
    """A time typed by an editor, as milliseconds: ``"1:02.5"``, ``"62.5"``, ``"0:01:02.500"`` and
    ``"1:02,5"`` are all 62500; ``"1:02:03"`` is 3723000.

    Seconds alone may be any number; with minutes they must be under 60, and so must minutes with hours.
    Raises ``TimecodeError`` (a ValueError) with a message for the editor otherwise.
    """
    value = (text or "").strip()
    match = _TIMECODE.fullmatch(value)
    if not match:
        if not value:
            raise TimecodeError(f"Enter a time, such as {EXAMPLES}.")
        raise TimecodeError(f"{value} is not a time. Write it as {EXAMPLES}.")
    hours, minutes, seconds, fraction = match.groups()
    if fraction and len(fraction) > 3:
        raise TimecodeError(f"{value} has more than three decimals: times go to the millisecond.")
    if minutes is not None and int(seconds) >= 60:
        raise TimecodeError(f"{value} has {int(seconds)} seconds: with minutes, write under 60 seconds.")
    if hours is not None and int(minutes) >= 60:
        raise TimecodeError(f"{value} has {int(minutes)} minutes: with hours, write under 60 minutes.")
    total_seconds = (int(hours or 0) * 60 + int(minutes or 0)) * 60 + int(seconds)
    return total_seconds * 1000 + int((fraction or "").ljust(3, "0"))


def format_timecode(ms: int | None, *, precision: Precision = "seconds", hours: bool = False) -> str:
    """Milliseconds as ``m:ss``, or ``h:mm:ss`` from an hour on (always with ``hours=True``).

    ``precision``: ``"seconds"`` cuts to whole seconds, as players and ``?t=`` links count (the default,
    for display); ``"auto"`` adds ``.mmm`` only when the time is not whole seconds (what an editor typed
    comes back as typed); ``"milliseconds"`` always adds ``.mmm`` (the segment editor's even column).
    ``None`` is the empty string. Whatever this writes, ``parse_timecode`` reads back.
    """
    if ms is None:
        return ""
    h, m, s, millis = split_ms(ms)
    text = f"{h}:{m:02d}:{s:02d}" if h or hours else f"{m}:{s:02d}"
    if precision == "milliseconds" or (precision == "auto" and millis):
        return f"{text}.{millis:03d}"
    return text
