"""A time offset stored as integer milliseconds and edited as ``h:mm:ss``."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

_TIMESTAMP = re.compile(r"^\s*(?:(?:(\d+):)?(\d{1,2}):)?(\d{1,2}(?:\.\d{1,3})?)\s*$")


def parse_timestamp(value: str) -> int:
    """``"1:02:03.5"``, ``"2:03"`` or ``"75"`` -> milliseconds. Raises ValueError otherwise."""
    match = _TIMESTAMP.match(value or "")
    if not match:
        raise ValueError(f"{value!r} is not a time like 1:23 or 1:02:03")
    hours, minutes, seconds = match.groups()
    if minutes is not None and hours is not None and int(minutes) >= 60:
        raise ValueError(f"{value!r} has more than 59 minutes")
    if minutes is not None and float(seconds) >= 60:
        raise ValueError(f"{value!r} has more than 59 seconds")
    total = int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds)
    return round(total * 1000)


def format_timestamp(ms: int | None, *, always_hours: bool = False) -> str:
    """Milliseconds -> ``"m:ss"`` or ``"h:mm:ss"``, with ``.mmm`` only when not whole seconds."""
    if ms is None:
        return ""
    seconds, millis = divmod(int(ms), 1000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = f"{hours}:{minutes:02d}:{seconds:02d}" if hours or always_hours else f"{minutes}:{seconds:02d}"
    return f"{text}.{millis:03d}" if millis else text


class TimestampFormField(forms.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.pop("max_value", None)
        kwargs.pop("min_value", None)
        kwargs.pop("step_size", None)
        kwargs.setdefault("help_text", "A time such as 1:23 or 1:02:03")
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("placeholder", "0:00")
        self.widget.attrs.setdefault("inputmode", "decimal")

    def prepare_value(self, value):
        if isinstance(value, int):
            return format_timestamp(value)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return parse_timestamp(value)
        except ValueError as exc:
            raise ValidationError(str(exc), code="invalid") from exc


class MillisecondsField(models.PositiveIntegerField):
    """Integer milliseconds in the database; ``h:mm:ss`` in forms."""

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": TimestampFormField, **kwargs})
