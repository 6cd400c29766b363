"""Shared pieces of the download-report tests: a show with episodes that went live on known days, and the
daily rows the counting would have written for them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from wagtail.models import Page


def went_live(page, day: date, hour: int = 7) -> None:
    """Set the page's first publication to ``hour`` o'clock UTC of ``day``: its first day of downloads."""
    Page.objects.filter(pk=page.pk).update(first_published_at=datetime.combine(day, time(hour), tzinfo=UTC))
