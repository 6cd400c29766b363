"""Third-party measurement (issue 15, item 6): ANALYTICS_PREFIX put before the feed's enclosure URLs.

Services such as OP3 (``https://op3.dev/e/``), Podtrac or Chartable count downloads by being the first hop:
the podcast app asks them, they log the request and redirect to the real URL. Their convention, which this
follows, is the prefix then the URL without its ``https://`` (an ``http://`` URL keeps its scheme, so that
the service does not upgrade it to a host that may not answer HTTPS). Off (empty) by default. Our own
counting in the audio view goes on either way: it counts the request the service redirects.
"""

from __future__ import annotations

from django.conf import settings


def measured(url: str) -> str:
    """``url`` behind the measurement prefix, when one is set; used for every enclosure-like URL of the
    feed (enclosures, and alternate enclosure sources where the feed has them)."""
    prefix = getattr(settings, "ANALYTICS_PREFIX", "")
    if not prefix:
        return url
    if not prefix.endswith("/"):
        prefix += "/"
    return prefix + url.removeprefix("https://")
