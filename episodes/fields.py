"""A time offset stored as integer milliseconds and edited as ``h:mm:ss``, read and written by
``timecodes``."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from .timecodes import EXAMPLES, Precision, TimecodeError, format_timecode, parse_timecode


class TimestampFormField(forms.CharField):
    """A time in the audio, typed in any form ``parse_timecode`` reads; cleaned to integer milliseconds.

    Shown as ``format_timecode`` writes it with ``precision`` and ``hours``: by default as the editor
    would type it (``1:23``, ``1:02.500``)."""

    precision: Precision = "auto"
    hours = False

    def __init__(self, *args, **kwargs):
        kwargs.pop("max_value", None)
        kwargs.pop("min_value", None)
        kwargs.pop("step_size", None)
        kwargs.setdefault("help_text", f"A time such as {EXAMPLES}")
        super().__init__(*args, **kwargs)
        self.widget.attrs.setdefault("placeholder", "0:00")
        self.widget.attrs.setdefault("inputmode", "decimal")

    def prepare_value(self, value):
        if isinstance(value, int):
            return format_timecode(value, precision=self.precision, hours=self.hours)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return parse_timecode(value)
        except TimecodeError as exc:
            raise ValidationError(str(exc), code="invalid") from None


class MillisecondsField(models.PositiveIntegerField):
    """Integer milliseconds in the database; ``h:mm:ss`` in forms."""

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": TimestampFormField, **kwargs})
