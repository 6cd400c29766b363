"""A clock the download-counting tests set (ANALYTICS_CLOCK="tests.analytics.clock.now"), to cross a UTC
midnight without waiting for one: the counting asks it for the time instead of ``timezone.now``."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

moment: list[datetime | None] = [None]


def now() -> datetime:
    return moment[0] or timezone.now()


def set_to(when: datetime | None) -> None:
    moment[0] = when
