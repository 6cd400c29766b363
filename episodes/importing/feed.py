"""The whole import: the show first, then each episode, oldest first; and syncing new episodes from a
show's old feed until its move is complete.

Large catalogues (issue 19): the feed's items are plain data, a few hundred bytes each, and everything an
episode needs beyond them (downloads, pages, images) is let go once the episode is done, so that memory does
not grow with the number of episodes (the report keeps outcomes, not pages). Enclosures are downloaded a
few at a time, ``IMPORT_DOWNLOAD_CONCURRENCY`` threads ahead of the episode being written (the threads do
network and disk only; the database is written by the main thread, in the feed's order). A progress bar
counts the episodes. Running the import again resumes it: episodes are found by guid, audio of the
announced size is not fetched again, and episodes that failed (their enclosure could not be fetched) are
tried again.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from tqdm import tqdm

from ..models import EpisodePage, ShowPage
from .data import FeedItem
from .episodes import existing_episode, fetch_audio, import_item
from .fetch import Fetcher, ImportProblem, read_source
from .outcomes import SKIPPED, UNCHANGED, EpisodeOutcome, ImportReport, ShowOutcome
from .parse import FeedError, parse_feed
from .people import People
from .shows import find_show, import_show


def download_concurrency() -> int:
    return max(1, int(getattr(settings, "IMPORT_DOWNLOAD_CONCURRENCY", 4)))


def import_feed(
    source: str,
    *,
    show_slug: str | None = None,
    publish: bool = False,
    user=None,
    fetcher: Fetcher | None = None,
    on_show: Callable[[ShowOutcome], None] | None = None,
    on_episode: Callable[[EpisodeOutcome], None] | None = None,
    new_only: bool = False,
) -> ImportReport:
    """Import the feed at ``source`` (URL or local path).

    Raises FeedError, before anything is written, when the feed cannot be read or is not a feed. Problems
    with single episodes are in the report instead; the callbacks hear of each outcome as it happens (the
    command prints them).

    ``new_only`` (``import_feed --sync``, and the scheduler's sync): bring in the items whose guid the show
    does not have yet, and nothing else; the show, which must exist, and its episodes are left as they are.
    """
    fetcher = fetcher or Fetcher(source)
    channel = parse_feed(read_source(fetcher))
    known: set[str] = set()
    if new_only:
        # The show that imported this feed, whatever the feed's title has become; else by slug.
        show = None if show_slug else ShowPage.objects.filter(old_feed_url=source).order_by("pk").first()
        if show is None:
            show, _ = find_show(channel, show_slug)
        if show is None:
            raise FeedError(
                "There is no show to sync into: import the feed first (without --sync), or name the show "
                "with --show."
            )
        show_outcome = ShowOutcome(show, UNCHANGED, list(channel.notes), repairs=list(channel.repairs))
        known = set(EpisodePage.objects.child_of(show).values_list("guid", flat=True))
    else:
        show_outcome = import_show(channel, fetcher, slug=show_slug, publish=publish, user=user)
    if on_show:
        on_show(show_outcome)
    work: list[tuple[FeedItem, str]] = []  # (item, why it is skipped, or "")
    seen: set[str] = set()
    # Oldest first, so that episodes are created (and their revisions logged) in the order they aired.
    for item in sorted(channel.items, key=lambda i: i.publication_date or datetime.max.replace(tzinfo=UTC)):
        if item.guid and item.guid in known:
            continue
        if item.guid and item.guid in seen:
            # Two items, one episode for podcast apps: importing both would overwrite one with the other
            # on every run.
            work.append((item, "an earlier item of the feed has its guid"))
        else:
            seen.add(item.guid)
            work.append((item, ""))
    channel.items = []  # the work list holds them now
    outcomes = _episodes(
        work,
        show_outcome.show,
        fetcher,
        publish=publish,
        user=user,
        site_url=channel.link,
        on_episode=on_episode,
    )
    return ImportReport(show_outcome, outcomes)


@dataclass
class _Pending:
    item: FeedItem
    skip: str
    folder: Path | None = None
    audio: Future | None = None


def _episodes(
    work: list[tuple[FeedItem, str]],
    show: ShowPage,
    fetcher: Fetcher,
    *,
    publish: bool,
    user,
    site_url: str,
    on_episode: Callable[[EpisodeOutcome], None] | None,
) -> list[EpisodeOutcome]:
    concurrency = download_concurrency()
    people = People(fetcher)
    outcomes: list[EpisodeOutcome] = []
    with ExitStack() as stack:
        pool = stack.enter_context(ThreadPoolExecutor(concurrency)) if concurrency > 1 else None
        bar = stack.enter_context(
            tqdm(
                total=len(work),
                unit="episode",
                desc="Episodes",
                file=fetcher.progress,
                disable=fetcher._progress_disabled(True),
            )
        )
        queue = deque(work)
        pending: deque[_Pending] = deque()

        def start_next() -> None:
            if queue:
                pending.append(_start(*queue.popleft(), show, fetcher, pool))

        for _ in range(concurrency):
            start_next()
        while pending:
            current = pending.popleft()
            start_next()  # keeps `concurrency` downloads going while this episode is written
            try:
                if current.skip:
                    outcome = EpisodeOutcome(current.item.guid, current.item.title, SKIPPED, current.skip)
                else:
                    outcome = import_item(
                        current.item,
                        show,
                        fetcher,
                        people,
                        publish=publish,
                        user=user,
                        site_url=site_url,
                        fetched=current.audio.result() if current.audio else None,
                    )
            finally:
                if current.folder is not None:
                    shutil.rmtree(current.folder, ignore_errors=True)
            if on_episode:
                on_episode(outcome)
            outcome.page = None  # the report keeps what happened, not the pages: memory stays flat
            outcomes.append(outcome)
            bar.update(1)
    return outcomes


def _start(item: FeedItem, skip: str, show: ShowPage, fetcher: Fetcher, pool) -> _Pending:
    """Start downloading the item's enclosure in the pool (when there is one and it may be needed)."""
    pending = _Pending(item, skip)
    if skip or pool is None or item.enclosure is None:
        return pending
    try:
        existing = existing_episode(item, show)
    except ImportProblem:
        return pending  # import_item reports it
    current = existing.audio if existing is not None else None
    pending.folder = Path(tempfile.mkdtemp(prefix="import-feed-"))
    pending.audio = pool.submit(
        fetch_audio, item, current.size if current else None, fetcher, pending.folder, bar=False
    )
    return pending


def sync_show(show: ShowPage, *, fetcher: Fetcher | None = None) -> ImportReport:
    """Bring the episodes published at the show's old feed since the last sync into the show: new items
    only, published when the show is live (listeners here should not wait for an editor), else drafts."""
    return import_feed(
        show.old_feed_url,
        show_slug=show.slug,
        new_only=True,
        publish=show.live,
        fetcher=fetcher or Fetcher(show.old_feed_url, show_progress=False),
    )
