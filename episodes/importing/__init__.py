"""Importing an existing podcast from its RSS feed into a ShowPage and its EpisodePages.

The importer is built for moving a show onto this platform without podcast apps noticing: every
episode keeps the ``<guid>`` of the old feed (apps identify episodes by it, a new one would appear as a
new episode to every subscriber), and the show keeps its ``podcast:guid``.

It runs in three steps, so that a broken feed leaves nothing behind:

1. :func:`read_source` and :func:`parse_feed` turn the feed into plain data (:class:`FeedChannel`,
   :class:`FeedItem`) or raise :class:`FeedError`; nothing is written yet.
2. :func:`import_show` creates or updates the ShowPage.
3. :func:`import_item` imports each episode on its own: what it downloads (audio, images, chapters) is
   fetched outside any transaction, then its rows are written in one transaction. A failure is reported
   on the episode's :class:`EpisodeOutcome` and the next episode goes ahead.

Running it again changes nothing that has not changed in the feed: episodes are found by guid within
the show, audio files by content hash, people by name, images by a tag holding a hash of their source
URL (``feed-image:…``), and an episode gets a new revision only when something the feed says differs
from its latest revision.

The modules, each importing only from those listed before it:

- :mod:`.links` and :mod:`.text`: which URLs are followed; plain text and rich text from the feed's HTML.
- :mod:`.data` and :mod:`.parse`: the feed as plain data, and the parser that produces it.
- :mod:`.fetch`: the feed and the files it points at (audio, images, chapters).
- :mod:`.outcomes`, :mod:`.people` and :mod:`.pages`: what an import did, the people it names, and
  saving pages as the admin does.
- :mod:`.shows`, :mod:`.episodes` and :mod:`.feed`: the show, each episode, and the whole import.
"""

from .data import FeedChannel, FeedItem
from .episodes import import_item
from .feed import import_feed, sync_show
from .fetch import DEFAULT_TIMEOUT, Fetcher, FetchError, ImportProblem, read_source
from .outcomes import (
    CREATED,
    FAILED,
    PUBLISHED,
    SKIPPED,
    UNCHANGED,
    UPDATED,
    EpisodeOutcome,
    ImportReport,
    ShowOutcome,
)
from .parse import FeedError, parse_feed
from .people import People
from .shows import import_show
from .text import html_to_text, rich_text_from_html

__all__ = [
    "CREATED",
    "DEFAULT_TIMEOUT",
    "FAILED",
    "PUBLISHED",
    "SKIPPED",
    "UNCHANGED",
    "UPDATED",
    "EpisodeOutcome",
    "FeedChannel",
    "FeedError",
    "FeedItem",
    "FetchError",
    "Fetcher",
    "ImportProblem",
    "ImportReport",
    "People",
    "ShowOutcome",
    "html_to_text",
    "import_feed",
    "import_item",
    "import_show",
    "parse_feed",
    "read_source",
    "rich_text_from_html",
    "sync_show",
]
