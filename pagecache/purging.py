"""Which cached pages a change affects, and purging just those: in the page cache and in a CDN.

This app knows no episode. Each app tells it, for its own models, which URLs a change of one object
affects: ``affects(EpisodePage, rule)``, where ``rule(instance)`` returns the URLs (absolute, or paths on
the default site) and the names of remembered values (``caching.remember`` tags such as ``search-scope``:
any string that is not a URL), or ``None`` when it cannot tell. Several apps add rules for one model (the
episodes app names the episode's page, embed, show and feed; the transcripts app its transcript files;
concepts the concept pages and learning paths that quote it; search its results; website the home page
and sitemap), and ``affected_by`` joins them.

A change of an object that no rule covers (a site, a setting, an image, a person, a page type without
rules), a rule that says ``None`` or fails, or a moved page, purges the whole page cache: the safe
fallback. So does ``watch(model)`` (in ``signal_handlers``), for models whose pages cannot be named.

A rule is asked at the change (a deleted object is still in hand), its answer purged after the commit.
The many signals of one publish purge each URL once (``schedule``). A purge bumps one generation per
path (``caching.bump_tags``: every query string of the path, on every host) and hands the absolute URLs
to Wagtail's frontend cache invalidation (``wagtail.contrib.frontend_cache``, set by
``WAGTAILFRONTENDCACHE``; nothing is sent when that names no backend).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from django.db import DEFAULT_DB_ALIAS, transaction

from . import caching

logger = logging.getLogger(__name__)

Rule = Callable[[object], Iterable[str] | None]
_rules: dict[type, list[Rule]] = defaultdict(list)


def affects(model: type, rule: Rule) -> None:
    """Declare what a change of a ``model`` object affects (see the module docstring). Call it from the
    app's ``AppConfig.ready``; a subclass's objects get the rules of their base classes too."""
    if rule not in _rules[model]:
        _rules[model].append(rule)


def has_rules(instance) -> bool:
    """Whether a save or delete of this (non-page) object purges: some rule covers its model."""
    return isinstance(instance, tuple(_rules))


def is_url(value: str) -> bool:
    return value.startswith(("/", "http://", "https://"))


def affected_by(*instances) -> set[str] | None:
    """The URLs and remembered names these objects' changes affect, or None: purge everything."""
    affected: set[str] = set()
    for instance in instances:
        instance = getattr(instance, "specific_deferred", instance)  # a page of any type: its own rules
        rules = [rule for model, found in _rules.items() if isinstance(instance, model) for rule in found]
        if not rules:
            return None
        for rule in rules:
            try:
                urls = rule(instance)
            except Exception:
                logger.exception("Could not tell what a change of %r affects: purging every page", instance)
                return None
            if urls is None:
                return None
            affected.update(url for url in urls if url)
    return affected


def purge_for(*instances, using: str | None = None) -> None:
    """Purge what a change of these objects affects, after the transaction commits."""
    affected = affected_by(*instances)
    if affected is None:
        schedule(full=True, using=using)
    else:
        schedule(affected, using=using)


def purge_urls(urls: Iterable[str], using: str | None = None) -> None:
    """Purge these URLs (and remembered names) after the transaction commits."""
    schedule(set(urls), using=using)


class Batch:
    """What the purges of one commit have done, so that the next ones skip it."""

    def __init__(self):
        self.done: set[str] = set()
        self.started = False


class Purge:
    """One change's purge, run after the commit. The purges registered in one transaction share a
    ``Batch``: what one has purged, the next ones skip (a publish sends many signals, and the CDN gets
    each URL once)."""

    def __init__(self, affected: Iterable[str], full: bool, batch: Batch):
        self.full = full
        self.affected = set(affected)
        self.batch = batch
        self.__qualname__ = "Purge"  # named like the function on-commit callbacks usually are

    def __call__(self):
        self.batch.started = True
        done = self.batch.done
        if self.full and "*" not in done:
            caching._bump()
            done.add("*")
        affected = self.affected - done
        done.update(affected)
        tags = {caching.path_tag(urlsplit(v).path) if is_url(v) else v for v in affected}
        if "*" not in done and tags:
            caching.bump_tags(tags)
        purge_frontend_cache(sorted(value for value in affected if is_url(value)))


def schedule(affected: Iterable[str] = (), *, full: bool = False, using: str | None = None) -> None:
    """Purge after the transaction commits (at once outside one); not at all if the change is rolled
    back with its savepoint (Django's ``on_commit``). Django's list of the transaction's callbacks
    (``connection.run_on_commit``) gives the purges already pending, whose batch this one joins."""
    connection = transaction.get_connection(using or DEFAULT_DB_ALIAS)
    batch = None
    if connection.in_atomic_block:
        for _savepoints, callback, _robust in reversed(connection.run_on_commit):
            if isinstance(callback, Purge) and not callback.batch.started:
                batch = callback.batch
                break
    transaction.on_commit(Purge(affected, full, batch or Batch()), using=using)


def absolute(urls: list[str]) -> list[str]:
    """Paths made absolute on the default site (a CDN purges full URLs)."""
    if all(url.startswith(("http://", "https://")) for url in urls):
        return urls
    from wagtail.models import Site

    site = Site.objects.filter(is_default_site=True).first()
    root = site.root_url if site else ""
    return [url if url.startswith(("http://", "https://")) else root + url for url in urls]


def purge_frontend_cache(urls: list[str]) -> None:
    """Ask the CDN (Wagtail's frontend cache backends) to forget these URLs; nothing when none is set.
    Wagtail sends it as a task (``purge_urls_from_cache_task``), so a slow CDN API never holds a publish."""
    from django.conf import settings

    if not urls or not getattr(settings, "WAGTAILFRONTENDCACHE", None):
        return
    from wagtail.contrib.frontend_cache.utils import purge_urls_from_cache

    try:
        purge_urls_from_cache(absolute(urls))
    except Exception:
        logger.exception("Could not ask the frontend cache to purge %d URLs", len(urls))
