"""Which URLs from a feed the importer follows, and which it keeps on a page."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator


def is_http_url(value: str) -> bool:
    return urlsplit(value).scheme.lower() in ("http", "https")


def valid_url(url: str, max_length: int = 200) -> bool:
    if not url or len(url) > max_length:
        return False
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return False
    return True
