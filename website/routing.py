"""Finding a request's site and page in two queries, with the answer Wagtail's own routing gives.

Wagtail finds the site with an annotated query on every request, then walks down from the site's root page
a level at a time: a query for each child and another for its specific page (six queries for an episode).
Here:

- the site for a host and port is remembered beside the cached pages (``pagecache.caching.remember``),
  without its root page: every change of a site, of a page's slug or of a page's place in the tree purges
  the whole page cache (``pagecache.signal_handlers``), and those are the only changes that alter it;
- the pages on the path are found by their ``url_path`` in one query (Wagtail keeps ``url_path`` in step
  with the slugs), and the deepest is handed to its own ``route()`` with what is left of the path. Where
  a page on the way routes differently from Wagtail's ``Page.route`` (a RoutablePageMixin, say), the walk
  stops there and hands over to it, as Wagtail's walk would.

``serve`` (the site's catch-all view) sets the two values Wagtail keeps on the request
(``request._wagtail_site``, ``request._wagtail_route_for_request``) and calls Wagtail's own ``serve``,
which then does everything else as always: the ``before_serve_page`` hooks, privacy, the page's ``serve``.
With ``WAGTAIL_I18N_ENABLED`` (a page per locale) it leaves routing to Wagtail.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.http.request import split_domain_port
from wagtail.models import Page, Site
from wagtail.views import serve as wagtail_serve

from pagecache.caching import remember


def find_site(request) -> Site | None:
    """``Site.find_for_request(request)``, remembered per host and port (see the module docstring)."""
    if not hasattr(request, "_wagtail_site"):
        hostname = split_domain_port(request.get_host())[0]  # get_host: only ALLOWED_HOSTS reach a key
        port = request.get_port()

        def build():
            site = Site._find_for_request(request)
            if site is not None:
                site._state.fields_cache.pop("root_page", None)  # pages change without a full purge
            return site

        request._wagtail_site = remember(f"wagtail-site:{hostname}:{port}", build)
    return request._wagtail_site


def _root_path(site: Site) -> str | None:
    for root in Site.get_site_root_paths():  # Wagtail's own cache of them
        if root.site_id == site.pk:
            return root.root_path
    return None


def _routes_as_wagtail(page: Page) -> bool:
    """Whether the page's class routes to its children with ``Page.route`` (a page type that changes it,
    such as ``EpisodePage``, which has no children, gets the rest of the path handed to it)."""
    model = page.specific_class
    return model is None or model.route is Page.route


def find_route(request, path: str):
    """``Page.route_for_request(request, path)``, in two queries; None when no site or no page answers."""
    site = find_site(request)
    root_path = _root_path(site) if site is not None else None
    if root_path is None:
        return None
    components = [component for component in path.split("/") if component]
    prefixes = [root_path + "".join(f"{c}/" for c in components[:n]) for n in range(len(components) + 1)]
    found = {page.url_path: page for page in Page.objects.filter(url_path__in=prefixes)}
    root = found.get(root_path)
    if root is None or root.pk != site.root_page_id:
        return None
    page, depth = root, 0
    while depth < len(components) and _routes_as_wagtail(page):
        child = found.get(prefixes[depth + 1])
        if child is None or child.depth != page.depth + 1:
            break  # no such page: the page above answers (Wagtail's 404, or a route of its own)
        child._cached_parent_obj = page
        page, depth = child, depth + 1
    try:
        return _specific(page).route(request, components[depth:])
    except Http404:
        return None


def _specific(page: Page) -> Page:
    """``page.specific``, with the related rows its type says its own page shows
    (``serve_select_related``: an episode's audio), in the same query."""
    model = page.specific_class
    related = getattr(model, "serve_select_related", ())
    if model is None or not related:
        return page.specific
    specific = model._default_manager.select_related(*related).get(pk=page.pk)
    if hasattr(page, "_cached_parent_obj"):
        specific._cached_parent_obj = page._cached_parent_obj
    return specific


def serve(request, path: str):
    """Wagtail's ``serve``, given the site and the page found here (see the module docstring)."""
    if not getattr(settings, "WAGTAIL_I18N_ENABLED", False) and not hasattr(
        request, "_wagtail_route_for_request"
    ):
        request._wagtail_route_for_request = find_route(request, path)
    return wagtail_serve(request, path)
