from django import template
from wagtail.models import Site

from ..navigation import site_sections

register = template.Library()


@register.inclusion_tag("website/includes/main_nav.html", takes_context=True)
def main_nav(context):
    """The header's main navigation: home, each show, interviews, concepts, and a search form.

    The current page's link says so with aria-current="page"; a page inside a section (an episode in its
    show) marks that section's link with aria-current="true".
    """
    request = context.get("request")
    site = Site.find_for_request(request) if request is not None else None
    root = site.root_page if site else None
    sections = site_sections(root)
    links = [root] if root is not None else []
    links += sections.shows
    links += [page for page in (sections.interviews, sections.concepts) if page is not None]
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
