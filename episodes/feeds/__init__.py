"""The podcast feed of a show: RSS 2.0 with Apple's and Podcasting 2.0 tags, built with feedgen.

The feed lists live, public episodes that have audio, newest first, all of them. Building it costs a fixed
number of queries whatever the number of episodes. Built feeds are cached under a key that includes the
show's ``feed_changed_at``, which signal handlers move forward whenever something the feed shows changes
(see ``episodes.signal_handlers``); so every process agrees on freshness without sharing a cache.
"""

from .builder import (
    CHAPTERS_MIME_TYPE,
    FEED_MIME_TYPE,
    TRANSCRIPT_LINKS_HOOK,
    build_feed,
    chapters_json,
    feed_episodes,
    feed_path,
    feed_url,
    site_root,
)
from .cache import BuiltFeed, get_feed
from .richtext import expand_rich_text_many

__all__ = [
    "CHAPTERS_MIME_TYPE",
    "FEED_MIME_TYPE",
    "TRANSCRIPT_LINKS_HOOK",
    "BuiltFeed",
    "build_feed",
    "chapters_json",
    "expand_rich_text_many",
    "feed_episodes",
    "feed_path",
    "feed_url",
    "get_feed",
    "site_root",
]
