"""WebSub publishing: tell the configured hubs that a feed changed.

Podcast apps that subscribe through a hub (declared in the feed as ``<atom:link rel="hub">``) hear about a
new episode within seconds instead of at their next poll. The ping is a form-encoded POST of
``hub.mode=publish`` and ``hub.url=<feed>`` (WebSub section 7); the hub then fetches the feed itself, so
the ping carries no content and may be repeated safely.

Pings leave the request cycle: ``notify_hubs`` enqueues one task per hub once the transaction commits, so a
slow or broken hub never delays an editor's publish, and a rolled-back change is never announced.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from functools import partial

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.encoding import iri_to_uri
from feedgen.ext.base import BaseExtension
from feedgen.util import xml_elem

logger = logging.getLogger(__name__)

ATOM_NS = "http://www.w3.org/2005/Atom"

# Seconds to wait before the second and third attempts: a hub that is restarting or rate-limiting us gets
# a moment to recover, without holding a worker for long.
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (1, 2)

# Hubs' error pages can be large HTML documents; a little is enough to say why.
_REASON_CHARS = 200


class WebSubError(Exception):
    """A hub did not accept a publish ping; the message names the hub and the reason."""


def hub_urls() -> list[str]:
    """The hubs to ping, from ``settings.WEBSUB_HUBS``, in order and without duplicates.

    A plain string is refused rather than read as a list of one-letter URLs.
    """
    hubs = getattr(settings, "WEBSUB_HUBS", [])
    if isinstance(hubs, str):
        raise ImproperlyConfigured("WEBSUB_HUBS must be a list of hub URLs, not a string.")
    return list(dict.fromkeys(url.strip() for url in hubs if url and url.strip()))


def user_agent() -> str:
    """Name the platform and where it lives, so that a hub's operator can tell whose pings these are."""
    base_url = getattr(settings, "WAGTAILADMIN_BASE_URL", "")
    # HTTP headers are Latin-1 at best: percent-encode a non-ASCII base URL instead of failing the ping.
    contact = f" (+{iri_to_uri(base_url)})" if base_url else ""
    return f"PowerOfCoproduction-WebSub/1.0{contact}"


def ping_hub(hub_url: str, feed_url: str, timeout: float = 10) -> None:
    """Tell one hub that ``feed_url`` changed; raise WebSubError unless it answers 2xx.

    Redirects are not followed: requests would turn a redirected POST into a GET, which a hub could
    answer 200 without having been told anything. A hub that moved must be configured at its new address.
    """
    try:
        response = requests.post(
            hub_url,
            data={"hub.mode": "publish", "hub.url": feed_url},
            headers={"User-Agent": user_agent()},
            timeout=timeout,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise WebSubError(f"WebSub hub {hub_url} could not be reached: {exc}") from exc
    if 200 <= response.status_code < 300:
        return
    reason = f"HTTP {response.status_code} {response.reason or ''}".rstrip()
    if response.is_redirect:
        reason += f" (redirect to {response.headers.get('Location', '?')})"
    detail = " ".join(response.text[:_REASON_CHARS].split())
    if detail:
        reason += f": {detail}"
    raise WebSubError(f"WebSub hub {hub_url} refused the ping for {feed_url}: {reason}")


def retry_delays() -> list[float]:
    """Seconds between attempts, from ``settings.WEBSUB_RETRY_DELAYS``; one more attempt than delays."""
    return [float(delay) for delay in getattr(settings, "WEBSUB_RETRY_DELAYS", DEFAULT_RETRY_DELAYS)]


def ping_hub_with_retries(
    hub_url: str,
    feed_url: str,
    *,
    delays: Sequence[float] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> int:
    """Ping one hub, retrying after each delay in turn; return the number of attempts it took.

    The task backend has no retry of its own, so a hub's passing hiccup is absorbed here. After the last
    attempt the error is logged and re-raised, so that the task ends FAILED where an operator can see it.
    """
    delays = retry_delays() if delays is None else list(delays)
    sleep = sleep or time.sleep  # looked up per call, so that a test can stand in for the clock
    attempts = len(delays) + 1
    for attempt in range(1, attempts + 1):
        try:
            ping_hub(hub_url, feed_url)
        except WebSubError as exc:
            if attempt == attempts:
                logger.error("WebSub ping failed after %d attempts: %s", attempts, exc)
                raise
            delay = delays[attempt - 1]
            logger.warning(
                "WebSub ping attempt %d/%d failed, retrying in %gs: %s", attempt, attempts, delay, exc
            )
            sleep(delay)
        else:
            logger.info("WebSub hub %s notified of %s (attempt %d)", hub_url, feed_url, attempt)
            return attempt
    raise AssertionError("unreachable")  # pragma: no cover


def notify_hubs(feed_url: str) -> None:
    """Ping every configured hub about ``feed_url`` in the background, once the transaction commits.

    Each hub gets its own task, so one failing hub neither delays nor hides the others. The callbacks are
    robust: the change is already committed, so a failure to enqueue is logged, not raised at the editor.
    """
    hubs = hub_urls()
    if not hubs:
        return
    # Imported here because the task module imports this one.
    from .tasks import ping_hubs_task

    for hub_url in hubs:
        transaction.on_commit(partial(ping_hubs_task.enqueue, hub_url, feed_url), robust=True)


class WebSubExtension(BaseExtension):
    """feedgen extension writing ``<atom:link rel="hub">`` into an RSS channel (WebSub discovery, §4).

    feedgen's own RSS output keeps only the ``self`` link among ``fg.link()`` calls.
    """

    def __init__(self) -> None:
        self._hubs: list[str] = []

    def extend_ns(self) -> dict[str, str]:
        return {"atom": ATOM_NS}

    def hub(self, url: str | None = None) -> list[str]:
        if url and url not in self._hubs:
            self._hubs.append(url)
        return list(self._hubs)

    def extend_rss(self, rss_feed):
        channel = rss_feed[0]
        for url in self._hubs:
            xml_elem(f"{{{ATOM_NS}}}link", channel, href=url, rel="hub")
        return rss_feed
