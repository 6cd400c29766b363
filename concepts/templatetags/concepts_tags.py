from django import template

from ..models.mentions import concepts_on_page

register = template.Library()


@register.inclusion_tag("concepts/includes/concepts_discussed.html")
def concepts_discussed(page):
    """The concepts an episode or interview discusses, each with a link to its first moment."""
    return {"discussed": concepts_on_page(page) if page and page.pk else []}
