"""factory_boy factories for the analytics app (tests and benchmarks): daily aggregates as the counting
writes them, without the requests that would make them."""

from __future__ import annotations

from datetime import UTC, datetime

import factory
from factory.django import DjangoModelFactory

from .models import DailyDownloads


class DailyDownloadsFactory(DjangoModelFactory):
    """One (day, page, app) row. Pass ``page`` and ``show`` (the page's show, as counting stores it)."""

    day = factory.LazyFunction(lambda: datetime.now(UTC).date())
    app = "Apple Podcasts"
    count = 1

    class Meta:
        model = DailyDownloads
