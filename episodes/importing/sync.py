"""Following a show's old feed until its move is complete (issue 19): the scheduler's job.

Each show whose editor switched on "keep importing new episodes from the old feed" gets the items of its
old feed that it does not have yet (by guid), and nothing else: episodes here are never changed or removed
by a sync. Runs every ``IMPORT_SYNC_SECONDS`` (settings ``SCHEDULED_JOBS``), and from the command line as
``manage.py import_feed --sync``.
"""

from __future__ import annotations

import logging

from ..models import ShowPage
from .feed import sync_show
from .outcomes import CREATED, FAILED, ImportReport
from .parse import FeedError

logger = logging.getLogger(__name__)


def shows_to_sync():
    return ShowPage.objects.filter(sync_from_old_feed=True).exclude(old_feed_url="").order_by("pk")


def sync_shows() -> dict[str, ImportReport | str]:
    """Sync every show that asks for it; one show's failure (its old host down) does not stop the others.
    Returns each show's report, or the reason it could not be synced, by slug."""
    results: dict[str, ImportReport | str] = {}
    for show in shows_to_sync():
        try:
            report = sync_show(show)
        except FeedError as exc:
            logger.warning("Sync of %s from %s failed: %s", show.slug, show.old_feed_url, exc)
            results[show.slug] = str(exc)
            continue
        created, failed = len(report.with_status(CREATED)), len(report.with_status(FAILED))
        if created or failed:
            logger.info("Sync of %s: %d new episode(s), %d failed", show.slug, created, failed)
        results[show.slug] = report
    return results
