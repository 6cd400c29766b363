"""The site's side of what machines read about a page: the canonical URL and the JSON for a script tag.

Each page model states its own description, share image, Open Graph values and schema.org data
(``episodes.seo.SeoMixin``); ``page_meta`` asks the page once per request for ``{% page_meta %}`` in
base.html's head and adds the canonical URL, which depends on the listing page shown. Everything here is
plain values and dicts; the template escapes the tags and ``json_ld`` escapes the JSON for a script tag.
"""

from __future__ import annotations

import json

from django.core.paginator import Page as PaginatorPage
from django.core.serializers.json import DjangoJSONEncoder
from wagtail.models import Page

from episodes.seo import DESCRIPTION_CHARS, PageMeta, SeoMixin, iso_duration, plain_text, site_name_for

__all__ = ["DESCRIPTION_CHARS", "canonical_url", "iso_duration", "json_ld", "page_meta", "plain_text"]


def json_ld(data: dict) -> str:
    """JSON for a ``<script type="application/ld+json">``: ``<``, ``>`` and ``&`` escaped as \\u003C etc.,
    as Django's json_script does, so that no text can close the script element."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return text.translate({ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"})


def canonical_url(page: Page, request, context) -> str:
    """The page's full URL; a paginated listing past its first page keeps ``?page=N`` (and nothing else:
    ``?t=`` moments, campaign tags and the like all share the page's one canonical URL)."""
    url = page.get_full_url(request)
    if not url:
        return ""
    for value in context.flatten().values():
        # type(), not isinstance(): isinstance evaluates lazy values such as csrf_token, which would make
        # a token (and set its cookie) on every page, so no page could be cached.
        if issubclass(type(value), PaginatorPage) and value.number > 1:
            return f"{url}?page={value.number}"
    return url


def page_meta(context) -> PageMeta:
    """Everything ``includes/meta.html`` writes, for the template context of a page (or of a view)."""
    request = context.get("request")
    page = context.get("page")
    if not isinstance(page, SeoMixin):
        # A plain view (search, 404): the site name only. Every page model of the site is a SeoMixin
        # (tests/website/test_seo_methods.py checks).
        return PageMeta(site_name=site_name_for(request))
    meta = page.seo_meta(request)
    meta.canonical = canonical_url(page, request, context)
    return meta
