"""A cache of whole public pages, for anonymous visitors, forgotten whenever anything they show changes.

Why our own: ``wagtail-cache`` (the usual choice) does not support Wagtail 8, and Django's per-site cache
middleware knows nothing of Wagtail (previews, private pages, publishing). This one is small.

**What is served from the cache.** A GET or HEAD from someone without credentials (no session cookie, no
messages cookie, no ``Authorization`` header) for a path outside the two admins. Everyone with a session
is passed through: editors (they see the user bar and drafts' previews), and visitors who unlocked a
password-protected page (Wagtail keeps the unlock in the session). Their responses get
``Cache-Control: private`` when the view set none, so that a CDN never keeps a page made for one person.

**What is stored.** A response to such a request that is 200, HTML, not streaming (audio, documents),
sets no cookie (a page with a form sets the CSRF cookie: never stored), has no ``Cache-Control`` saying
private, no-cache, no-store or max-age=0 (Wagtail marks every page under a view restriction so), varies on
nothing but ``Cookie`` (the only cookies a stored page could depend on are the session and messages ones,
and requests that carry them are never served from the cache), and was not made for a preview or a
signed-in user. Redirects and 404s are not stored: they are cheap, and a 404 today may be a page
tomorrow. Feeds, transcripts, chapters and JSON are not HTML and keep their own caching.

**Key.** Scheme, host and the full path with its query string (``?t=90``, ``?page=2``, ``/search/?q=``
are separate entries), hashed. Each entry records the *stamp* it was made under: the site-wide generation
and its path's generation (one per path, whatever the host or query string). It is served only while
both are current: one ``get_many`` per request reads all three keys.

**Purge.** A change purges the pages it affects (``pagecache.purging``: each app's rules name them): their
paths' generations move forward (``cache.incr``, atomic on Redis and Memcached) after the transaction
commits, so that no request can render the old data under the new generation, and the CDN is told the
same URLs. When the affected pages cannot be named (a site, a setting, an image, a person, a moved page,
a page type no rule covers, a task without a rule) the site-wide generation moves: every page. Purges run
when a page is published, unpublished, moved, deleted or saved live; when a person, audio file,
transcript, concept mention, view restriction, site, image, search promotion or site setting changes;
when a transcript's segments change (``transcripts.transcribing.transcript_changed``); and when a
background task finishes (what it purges is the task's rule, ``signal_handlers.after_task``: concept
linking purges the mentions it changed, search indexing the search). A draft by itself does not purge.
A request that started before a purge stores its page under the old stamp, where nobody reads it.

**Headers.** Stored and cached responses carry ``Cache-Control: public, max-age=PAGE_CACHE_MAX_AGE``
(default 60 s: how long a browser or CDN may show a page after a change) and ``X-Cache: hit``, ``miss``
(rendered and stored) or ``pass`` (not cacheable). No ``Age``: a hit is as current as a fresh render
(the generation proves nothing changed), so browsers may keep it the full max-age.

**Settings.** ``PAGE_CACHE_SECONDS``: how long the server keeps a page (0 turns the cache off; off in
development and tests, 300 in production when ``CACHE_URL`` names a cache all processes share, e.g.
``redis://``). With a cache in each process's own memory a publish would purge only the process that
handled it, so production leaves the page cache off then and ``check --deploy`` warns if it is turned on.
If the cache server cannot be reached, pages are served uncached and the error is logged.
"""

from __future__ import annotations

import hashlib
import logging
import time
from functools import cache as memoize

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core import checks
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.http import HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.cache import cc_delim_re, get_max_age, patch_cache_control

logger = logging.getLogger(__name__)

GENERATION_KEY = "pagecache:generation"
ENTRY_PREFIX = "pagecache:page:"
TAG_PREFIX = "pagecache:tag:"
# Request headers whose values a stored page may vary on: only cookies, and only because no request with
# a session or messages cookie is ever served from the cache.
HARMLESS_VARY = {"cookie"}
HIT, MISS, PASS = "hit", "miss", "pass"


def seconds() -> int:
    return getattr(settings, "PAGE_CACHE_SECONDS", 0)


def max_age() -> int:
    return getattr(settings, "PAGE_CACHE_MAX_AGE", 60)


@memoize
def excluded_prefixes() -> tuple[str, ...]:
    """The admins' URL prefixes, from the URLconf (so that moving an admin keeps it out of the cache)."""
    prefixes = []
    for name, fallback in (("wagtailadmin_home", "/admin/"), ("admin:index", "/django-admin/")):
        try:
            prefixes.append(reverse(name))
        except NoReverseMatch:
            prefixes.append(fallback)
    return tuple(prefixes)


def has_credentials(request) -> bool:
    """Whether the request may be someone's own: a session (sign-in, unlocked private pages, previews),
    pending messages, or HTTP authentication."""
    cookies = request.COOKIES
    return (
        settings.SESSION_COOKIE_NAME in cookies
        or CookieStorage.cookie_name in cookies
        or "HTTP_AUTHORIZATION" in request.META
    )


def cache_key(request) -> str | None:
    """The entry's key: scheme, host and full path; None when the host is not allowed (Django answers)."""
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    url = f"{request.scheme}://{host}{request.get_full_path()}"
    return ENTRY_PREFIX + hashlib.sha256(url.encode()).hexdigest()


def cacheable_request(request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        # Wagtail renders previews through the middleware with a made-up request for the page's own URL.
        and not getattr(request, "is_dummy", False)
        and not request.path.startswith(excluded_prefixes())
        and not has_credentials(request)
    )


def storable(request, response) -> bool:
    """Whether this response to a cacheable request may be given to every anonymous visitor."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if not response.get("Content-Type", "").startswith("text/html"):
        return False
    if getattr(request, "is_preview", False):
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    if response.has_header("Cache-Control"):
        directives = {d.split("=")[0].strip().lower() for d in cc_delim_re.split(response["Cache-Control"])}
        if directives & {"private", "no-cache", "no-store"} or get_max_age(response) == 0:
            return False
    if response.has_header("Vary"):
        vary = {v.strip().lower() for v in cc_delim_re.split(response["Vary"])}
        if not vary <= HARMLESS_VARY:
            return False
    return True


def new_generation() -> int:
    """A generation no earlier entry can have: microseconds since the epoch (later bumps add one)."""
    return time.time_ns() // 1000


def path_tag(path: str) -> str:
    """The tag of every entry for this path, whatever its host, scheme or query string."""
    return "path:" + path


def tag_key(tag: str) -> str:
    return TAG_PREFIX + hashlib.sha256(tag.encode()).hexdigest()


def _incr(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:  # no generation yet, or evicted: any new value retires every entry
        if not cache.add(key, new_generation(), timeout=None):
            cache.incr(key)


def _bump() -> None:
    try:
        _incr(GENERATION_KEY)
    except Exception:
        # Entries live PAGE_CACHE_SECONDS at most: an unreachable cache server makes pages that stale.
        logger.exception("Could not purge the page cache")


def bump_tags(tags) -> None:
    """Retire the entries of these tags (a path's pages, a remembered value) and nothing else. A tag with
    no generation yet gets one: an entry stored before it had none stops matching."""
    try:
        for tag in sorted(set(tags)):
            _incr(tag_key(tag))
    except Exception:
        logger.exception("Could not purge pages from the page cache")


def purge(using: str | None = None) -> None:
    """Forget every cached page once the current transaction commits (at once outside a transaction): for
    a change whose pages cannot be named (a site setting, a moved page). A change of one episode, audio
    file or transcript purges only the pages it shows on (``pagecache.purging.purge_for``)."""
    from .purging import schedule

    schedule(full=True, using=using)


def _read(key: str, tags=()) -> tuple[tuple, tuple | None]:
    """The current stamp (the site-wide generation and each tag's) and the entry if it was stored under
    that same stamp: one round trip."""
    keys = [tag_key(tag) for tag in tags]
    found = cache.get_many([GENERATION_KEY, *keys, key])
    generation = found.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, new_generation(), timeout=None)
        generation = cache.get(GENERATION_KEY)
        return (generation, *(found.get(k) for k in keys)), None
    stamp = (generation, *(found.get(k) for k in keys))
    entry = found.get(key)
    if entry is not None and entry[0] != stamp:
        entry = None
    return stamp, entry


def remember(name: str, build, tags=()):
    """``build()``'s value, kept beside the pages until a purge of the whole cache or of one of ``tags``:
    for other work whose result changes only when what pages show changes (the search's scope of public
    pages and transcripts, tagged ``search-scope``). With the page cache off (a cache per process, which a
    purge elsewhere would not reach), it is built every time. A value built while a purge happens is
    stored under the old stamp, where nobody reads it."""
    if seconds() <= 0:
        return build()
    key = ENTRY_PREFIX + "value:" + name
    try:
        stamp, entry = _read(key, tags)
    except Exception:
        logger.exception("Could not read the page cache")
        return build()
    if entry is not None:
        return entry[1]
    value = build()
    try:
        cache.set(key, (stamp, value), seconds())
    except Exception:
        logger.exception("Could not write the page cache")
    return value


def _response(entry) -> HttpResponse:
    _stamp, status, headers, content = entry
    response = HttpResponse(content, status=status)
    for name, value in headers:
        response.headers[name] = value
    return response


class PageCacheMiddleware:
    """Serves and stores public pages (see the module docstring). Place it after SecurityMiddleware
    (HTTPS redirects first) and WhiteNoise (static files never reach it), before the session, CSRF and
    messages middleware (so that it sees the cookies and Vary headers they add)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timeout = seconds()
        if timeout <= 0:
            return self.get_response(request)
        if not cacheable_request(request):
            response = self.get_response(request)
            if has_credentials(request) and not response.has_header("Cache-Control"):
                patch_cache_control(response, private=True)
            return response
        key = cache_key(request)
        if key is None:
            return self.get_response(request)
        try:
            stamp, entry = _read(key, (path_tag(request.path),))
        except Exception:
            logger.exception("Page cache unavailable: serving %s uncached", request.path)
            return self.get_response(request)
        if entry is not None:
            response = _response(entry)
            response["X-Cache"] = HIT
            return response

        response = self.get_response(request)
        if not storable(request, response):
            response["X-Cache"] = PASS
            return response
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, public=True, max_age=max_age())
        headers = [(name, value) for name, value in response.items() if name.lower() != "x-cache"]
        try:
            cache.set(key, (stamp, response.status_code, headers, response.content), timeout)
        except Exception:
            logger.exception("Could not store %s in the page cache", request.path)
        response["X-Cache"] = MISS
        return response


@checks.register(checks.Tags.caches, deploy=True)
def check_shared_cache(app_configs, **kwargs):
    """A cache in each process's memory cannot be purged from the process that publishes."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if seconds() > 0 and backend.endswith("LocMemCache"):
        return [
            checks.Warning(
                "The page cache is on (PAGE_CACHE_SECONDS) with a cache in each process's own memory: a "
                "publish purges only the process that handled it, others serve the old page for up to "
                "PAGE_CACHE_SECONDS.",
                hint="Set CACHE_URL to a shared cache (e.g. redis://127.0.0.1:6379/1), or "
                "PAGE_CACHE_SECONDS=0.",
                id="pagecache.W001",
            )
        ]
    return []
