from django import template
from wagtail.models import Site

from pagecache.caching import remember

from ..navigation import site_sections

register = template.Library()


def nav_links(site) -> tuple:
    """``(root, [root, shows..., interviews, concepts])`` for the site's header: plain pages, kept beside
    the cached pages (``remember``): what they show (the sections' titles, places and privacy, the home
    page's URL) changes only with changes that purge every page (``pagecache.signal_handlers``: these page
    types have no rules of their own, and moves, slugs and view restrictions purge everything)."""
    root = site.root_page
    sections = site_sections(root)
    links = [root, *sections.shows]
    links += [page for page in (sections.interviews, sections.concepts) if page is not None]
    return root, links


@register.inclusion_tag("website/includes/main_nav.html", takes_context=True)
def main_nav(context):
    """The header's main navigation: home, each show, interviews, concepts, and a search form.

    The current page's link says so with aria-current="page"; a page inside a section (an episode in its
    show) marks that section's link with aria-current="true".
    """
    request = context.get("request")
    site = Site.find_for_request(request) if request is not None else None
    root, links = remember(f"main-nav:{site.pk}", lambda: nav_links(site)) if site else (None, [])
    current = context.get("page")
    current_path = getattr(current, "url_path", None)
    items = []
    for page in links:
        if current_path == page.url_path:
            state = "page"
        elif page is not root and current_path and current_path.startswith(page.url_path):
            state = "true"
        else:
            state = ""
        items.append({"page": page, "label": "Home" if page is root else page.title, "current": state})
    return {"request": request, "items": items}
