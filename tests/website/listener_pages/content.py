"""Content the listener-page tests share: publication dates a week apart, and pages only members may see."""

from datetime import UTC, datetime, timedelta

from wagtail.models import PageViewRestriction

START = datetime(2025, 1, 6, 7, 0, tzinfo=UTC)


def weeks(n: int) -> datetime:
    return START + timedelta(weeks=n)


def private(page):
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    return page
