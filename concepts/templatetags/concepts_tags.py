from django import template

from transcripts.templatetags.transcripts_tags import published_transcript

from ..models.mentions import concepts_on_page

register = template.Library()


@register.inclusion_tag("concepts/includes/concepts_discussed.html")
def concepts_discussed(page):
    """The concepts an episode or interview discusses, each with a link to its first moment: in its text
    or in the transcript the page shows (the one its transcript section shows, read once per page)."""
    if not page or not page.pk:
        return {"discussed": []}
    audio = page.audio if getattr(page, "audio_id", None) else None
    return {"discussed": concepts_on_page(page, published_transcript(audio))}
