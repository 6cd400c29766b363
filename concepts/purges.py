"""What concepts add to a change's purge (``pagecache.purging``): the concept pages and learning paths
that quote an episode or interview; a mention's concept page and page. Linking rewrites mentions in bulk,
without signals, and purges the concept pages and pages of the mentions it added, changed or removed
(``mentions_changed``). A concept page's or learning path's own change (a concept's name is on every page
that lists it) purges every page: the fallback."""

from __future__ import annotations

from wagtail.models import Page

from episodes.models import EpisodePage, InterviewPage
from pagecache.purging import affects, purge_urls
from pagecache.signal_handlers import after_task

from .models import ConceptPage, LearningPathPage, LearningPathStep, ManualMention, Mention


def urls_of(pages) -> list[str | None]:
    return [page.get_full_url() for page in pages]


def quoting_urls(page) -> list[str | None]:
    """The concept pages that quote or link the page, and the learning paths with a step in it."""
    concepts = ConceptPage.objects.filter(pk__in=Mention.objects.filter(page=page).values("concept_id"))
    linked = ConceptPage.objects.filter(pk__in=ManualMention.objects.filter(target=page).values("page_id"))
    steps = LearningPathStep.objects.filter(target=page)
    paths = LearningPathPage.objects.filter(pk__in=steps.values("page_id"))
    return urls_of([*concepts, *linked, *paths])


def mentions_changed(touched: set[tuple[int, int]]) -> None:
    """Purge after linking rewrote mentions in bulk: the concept pages and the pages ({(concept id, page
    id)}) whose mentions changed, and search (its concept filter reads mentions)."""
    if not touched:
        return
    concepts = ConceptPage.objects.filter(pk__in={concept for concept, _ in touched})
    pages = Page.objects.filter(pk__in={page for _, page in touched})
    purge_urls(url for url in urls_of([*concepts, *pages]) if url)


def mention_urls(mention: Mention) -> list[str | None]:
    """An editor hid or showed one: its concept page and the page it is on (it lists its concepts)."""
    pages = [
        *ConceptPage.objects.filter(pk=mention.concept_id),
        *Page.objects.filter(pk=mention.page_id),
    ]
    return urls_of(pages)


def register() -> None:
    from .tasks import link_concept_task, link_page_text_task, link_transcript_task  # tasks import linking

    affects(EpisodePage, quoting_urls)
    affects(InterviewPage, quoting_urls)
    affects(Mention, mention_urls)
    # Linking purges the mentions it changed itself (``mentions_changed``): nothing more when it finishes.
    for task in (link_transcript_task, link_page_text_task, link_concept_task):
        after_task(task, lambda *args, **kwargs: [])
