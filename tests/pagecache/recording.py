"""A frontend-cache (CDN) backend for tests: it keeps the URLs Wagtail asks it to purge."""

from wagtail.contrib.frontend_cache.backends.base import BaseBackend

PURGED: list[str] = []


class RecordingBackend(BaseBackend):
    def purge(self, url) -> None:
        PURGED.append(url)
