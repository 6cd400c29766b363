"""WSGI entry point for ``bench/feed.py``: the site's own application, plus one path that answers a file's
bytes from memory.

That path is the load test's baseline: the same gunicorn workers send a body of the same size without
Django, the database or the cache, so the ratio shows what the feed view costs over merely sending the
bytes. The file is read once per worker, when gunicorn imports this module.

    BENCH_FEED_STATIC_FILE=/path/to/feed.xml gunicorn bench.feed_wsgi:application
"""

import os
from pathlib import Path

from website.wsgi import application as site_application

STATIC_PATH = "/bench/static-feed.xml"

_body = Path(os.environ["BENCH_FEED_STATIC_FILE"]).read_bytes()
_headers = [
    ("Content-Type", "application/rss+xml; charset=utf-8"),
    ("Content-Length", str(len(_body))),
]


def application(environ, start_response):
    if environ.get("PATH_INFO") == STATIC_PATH:
        start_response("200 OK", list(_headers))
        return [_body]
    return site_application(environ, start_response)
