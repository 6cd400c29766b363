"""Completing a show's move here from another host: the checklist on the show's edit view, and the check
of the old feed.

A show is moved when podcast apps and directories fetch its feed here instead of at the old host. They
follow the old feed's permanent redirect (HTTP 301 or 308) to the new feed, or its
``<itunes:new-feed-url>``; until one of those is in place, subscribers stay at the old host. The check
fetches the old feed as an app would (following redirects one at a time, each with a timeout), only when
an editor asks for it, and keeps the result on the show.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from django.db.models import F
from django.utils import timezone
from lxml import etree

from .directory_checks import show_problems

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PERMANENT = frozenset({301, 308})
MAX_REDIRECTS = 5
CHECK_MAX_BYTES = 1024 * 1024  # itunes:new-feed-url is in the channel's head, before the items


@dataclass(frozen=True)
class Step:
    label: str
    done: bool | None  # None: not known yet (the old feed not checked)
    detail: str


@dataclass(frozen=True)
class OldFeedCheck:
    redirected: bool | None  # None: the old feed could not be reached
    message: str


def _same_feed(a: str, b: str) -> bool:
    """Whether two feed addresses name the same feed: http and https, a host's case and a trailing slash
    aside."""
    one, two = urlsplit(a.strip()), urlsplit(b.strip())
    return (one.hostname or "").lower() == (two.hostname or "").lower() and (
        one.path.rstrip("/") == two.path.rstrip("/")
    )


def check_old_feed(old_url: str, new_url: str, *, timeout: float | None = None) -> OldFeedCheck:
    """Whether podcast apps fetching ``old_url`` end up at ``new_url``: through permanent redirects, or
    the old feed's ``itunes:new-feed-url``. Never raises; the message says what was found, and what to
    ask of the old host."""
    if timeout is None:
        timeout = float(getattr(settings, "IMPORT_CHECK_TIMEOUT", 10))
    session = requests.Session()
    session.headers["User-Agent"] = "PowerOfCoproduction-movecheck/1.0"
    url, statuses = old_url, []
    try:
        for _ in range(MAX_REDIRECTS + 1):
            if _same_feed(url, new_url):
                if all(status in PERMANENT for status in statuses):
                    return OldFeedCheck(
                        True, f"The old feed redirects permanently (HTTP {statuses[0]}) here."
                    )
                temporary = next(status for status in statuses if status not in PERMANENT)
                return OldFeedCheck(
                    False,
                    f"The old feed redirects here, but temporarily (HTTP {temporary}): apps keep asking the "
                    "old address. Ask the old host for a permanent (301) redirect.",
                )
            with session.get(url, allow_redirects=False, timeout=timeout, stream=True) as response:
                if response.is_redirect and response.headers.get("Location"):
                    statuses.append(response.status_code)
                    url = urljoin(url, response.headers["Location"])
                    continue
                if not response.ok:
                    return OldFeedCheck(
                        False,
                        f"The old feed answers HTTP {response.status_code} at {url}: apps that have not "
                        "followed the move yet lose the show. Ask the old host for a 301 redirect to this "
                        "show's feed instead.",
                    )
                body = _head(response)
            return _named(body, url, new_url, bool(statuses))
        return OldFeedCheck(False, f"The old feed redirects more than {MAX_REDIRECTS} times; apps give up.")
    except requests.Timeout:
        return OldFeedCheck(None, f"The old feed did not answer within {timeout:g} s; try again later.")
    except requests.RequestException as exc:
        return OldFeedCheck(
            None, f"The old feed could not be fetched ({type(exc).__name__}); try again later."
        )


def _head(response) -> bytes:
    data = b""
    for chunk in response.iter_content(64 * 1024):
        data += chunk
        if len(data) >= CHECK_MAX_BYTES:
            break
    return data


def _named(body: bytes, url: str, new_url: str, redirected_elsewhere: bool) -> OldFeedCheck:
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        root = None
    named = ""
    if root is not None:
        element = root.find(f"channel/{{{ITUNES_NS}}}new-feed-url")
        named = (element.text or "").strip() if element is not None else ""
    where = f" (at {url}, where it redirects)" if redirected_elsewhere else ""
    if named and _same_feed(named, new_url):
        return OldFeedCheck(True, f"The old feed{where} names this show's feed in itunes:new-feed-url.")
    if named:
        return OldFeedCheck(
            False,
            f"The old feed{where} names another feed in itunes:new-feed-url: {named}. Ask the old host "
            "to name this show's feed, or to redirect to it (301).",
        )
    return OldFeedCheck(
        False,
        f"The old feed{where} is still served, without a redirect here or an itunes:new-feed-url. Ask the "
        "old host for a 301 redirect to this show's feed (or to set itunes:new-feed-url to it).",
    )


def record_check(show) -> OldFeedCheck:
    """Check the show's old feed now and keep the result on the show (without a new revision: it is a
    fact about the old host, not an edit)."""
    from .models import ShowPage

    result = check_old_feed(show.old_feed_url, show.feed_url())
    ShowPage.objects.filter(pk=show.pk).update(
        old_feed_checked_at=timezone.now(),
        old_feed_redirected=result.redirected,
        old_feed_check=result.message,
    )
    return result


def checklist(show) -> list[Step]:
    """Where the move of ``show`` stands, for the checklist on its edit view. A few counting queries; the
    old feed is not fetched here (see ``record_check``)."""
    from .models import EpisodePage

    episodes = EpisodePage.objects.child_of(show)
    total = episodes.count()
    with_audio = episodes.filter(audio__isnull=False).count()
    # The transcripts app's table, through its reverse relation to the audio: a finished transcript of the
    # audio's present content (what pages show).
    transcribed = episodes.filter(
        audio__transcript__status="done", audio__transcript__audio_sha256=F("audio__sha256")
    ).count()
    problems = show_problems(show)
    steps = [
        Step(
            "Feed imported",
            bool(show.old_feed_url) and total > 0,
            f"{total} episode(s), from {show.old_feed_url}"
            if show.old_feed_url
            else "Not imported from a feed.",
        ),
        Step("Episodes with audio", total > 0 and with_audio == total, f"{with_audio} of {total}"),
        Step(
            "Transcripts",
            with_audio > 0 and transcribed == with_audio,
            f"{transcribed} of {with_audio} episodes with audio (imported ones at once, the others as they "
            "are transcribed)",
        ),
        Step(
            "Directory checks passed",
            not problems,
            "None found." if not problems else f"{len(problems)} to fix: see “Podcast directory checks”.",
        ),
    ]
    if show.old_feed_checked_at is None:
        detail = "Not checked yet." if show.old_feed_url else "No old feed address to check."
    else:
        detail = (
            f"{show.old_feed_check} (checked {timezone.localtime(show.old_feed_checked_at):%Y-%m-%d %H:%M})"
        )
    steps.append(Step("Old feed redirected", show.old_feed_redirected, detail))
    if show.sync_from_old_feed and show.old_feed_redirected:
        steps.append(
            Step("Syncing switched off", False, "The old feed sends apps here now: switch syncing off.")
        )
    return steps
