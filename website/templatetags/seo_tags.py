"""``{% page_meta %}``: the head tags that search engines, social sites and podcast apps read."""

from django import template
from django.utils.safestring import mark_safe

from .. import seo

register = template.Library()


@register.inclusion_tag("includes/meta.html", takes_context=True)
def page_meta(context):
    meta = seo.page_meta(context)
    return {
        "meta": meta,
        # json_ld escapes <, > and & (tested with a hostile title), so the JSON cannot end the script.
        "json_ld": [mark_safe(seo.json_ld(data)) for data in meta.json_ld],  # noqa: S308
    }
