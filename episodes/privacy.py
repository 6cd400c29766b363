"""Which pages are behind a view restriction (a password, a sign-in, a group), asked on every page render
without a query: the paths of the restricted pages are remembered beside the cached pages
(``pagecache.caching.remember``) until the next full purge, which every change of a view restriction makes
(``pagecache.signal_handlers`` watches ``PageViewRestriction``). With the page cache off they are read
each time.

A restriction covers its page and every page below it, as Wagtail's ``PageQuerySet.public()`` has it.
"""

from __future__ import annotations

from django.db.models import Q
from wagtail.models import PageViewRestriction

from pagecache.caching import remember


def restricted_paths() -> list[str]:
    """The tree paths of the pages that carry a view restriction."""
    return remember(
        "view-restricted-paths",
        lambda: sorted(set(PageViewRestriction.objects.values_list("page__path", flat=True))),
    )


def is_restricted(page) -> bool:
    """Whether ``page`` or a page above it carries a view restriction."""
    return any(page.path.startswith(path) for path in restricted_paths())


def public(queryset):
    """``queryset.public()`` without its query for the restrictions: the pages outside every restricted
    section."""
    paths = restricted_paths()
    if not paths:
        return queryset
    private = Q()
    for path in paths:
        private |= Q(path__startswith=path)
    return queryset.exclude(private)
