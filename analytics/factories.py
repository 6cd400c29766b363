"""factory_boy factories for the analytics app (tests and benchmarks): daily aggregates as the counting
writes them, without the requests that would make them."""

from __future__ import annotations

from datetime import UTC, datetime

import factory
from factory.django import DjangoModelFactory

from .models import DailyDownloads
from .totals import add_show_days, rebuild


class DailyDownloadsFactory(DjangoModelFactory):
    """One (day, page, app) row. Pass ``page`` and ``show`` (the page's show, as counting stores it). The
    page's totals and its show's day are brought up to date with it, as the aggregator keeps them."""

    day = factory.LazyFunction(lambda: datetime.now(UTC).date())
    app = "Apple Podcasts"
    count = 1

    class Meta:
        model = DailyDownloads

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        row = super()._create(model_class, *args, **kwargs)
        rebuild([row.page_id])
        add_show_days({(row.day, row.page_id, row.app, row.show_id): row.count})
        return row
