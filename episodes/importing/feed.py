"""The whole import: the show first, then each episode, oldest first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from .episodes import import_item
from .fetch import Fetcher, read_source
from .outcomes import SKIPPED, EpisodeOutcome, ImportReport, ShowOutcome
from .parse import parse_feed
from .people import People
from .shows import import_show


def import_feed(
    source: str,
    *,
    show_slug: str | None = None,
    publish: bool = False,
    user=None,
    fetcher: Fetcher | None = None,
    on_show: Callable[[ShowOutcome], None] | None = None,
    on_episode: Callable[[EpisodeOutcome], None] | None = None,
) -> ImportReport:
    """Import the feed at ``source`` (URL or local path).

    Raises FeedError, before anything is written, when the feed cannot be read, is not an RSS feed or
    lacks what a new show needs. Problems with single episodes are in the report instead; the callbacks
    hear of each outcome as it happens (the command prints them).
    """
    fetcher = fetcher or Fetcher(source)
    channel = parse_feed(read_source(fetcher))
    show_outcome = import_show(channel, fetcher, slug=show_slug, publish=publish, user=user)
    if on_show:
        on_show(show_outcome)
    people = People(fetcher)
    outcomes = []
    seen: set[str] = set()
    # Oldest first, so that episodes are created (and their revisions logged) in the order they aired.
    for item in sorted(channel.items, key=lambda i: i.publication_date or datetime.max.replace(tzinfo=UTC)):
        if item.guid and item.guid in seen:
            # Two items, one episode for podcast apps: importing both would overwrite one with the other
            # on every run.
            outcome = EpisodeOutcome(
                item.guid, item.title, SKIPPED, "an earlier item of the feed has its guid"
            )
        else:
            seen.add(item.guid)
            outcome = import_item(
                item, show_outcome.show, fetcher, people, publish=publish, user=user, site_url=channel.link
            )
        outcomes.append(outcome)
        if on_episode:
            on_episode(outcome)
    return ImportReport(show_outcome, outcomes)
