from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from concepts.models import ConceptPage
from episodes.models import ShowPage

from .query import KINDS, Filters, search


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


def _filters(params) -> Filters:
    show_id, concept_id = _int(params.get("show")), _int(params.get("concept"))
    return Filters(
        show=ShowPage.objects.live().public().filter(pk=show_id).first() if show_id else None,
        concept=ConceptPage.objects.live().public().filter(pk=concept_id).first() if concept_id else None,
    )


@require_safe
def search_view(request):
    """The site search: HTML, or the same results as JSON with ``format=json`` (for other front ends)."""
    results = search(
        request.GET.get("q"),
        kind=request.GET.get("type", "all"),
        filters=_filters(request.GET),
        page=_int(request.GET.get("page")) or 1,
    )
    if request.GET.get("format") == "json":
        return JsonResponse(as_json(results), json_dumps_params={"ensure_ascii": False})
    return render(
        request,
        "search/search.html",
        {
            "results": results,
            "kinds": KINDS,
            "shows": ShowPage.objects.live().public().order_by("title"),
            "concepts": ConceptPage.objects.live().public().order_by("title"),
        },
    )


def as_json(results) -> dict:
    return {
        "query": results.query,
        "type": results.kind,
        "filters": {
            "show": results.filters.show.pk if results.filters.show else None,
            "concept": results.filters.concept.pk if results.filters.concept else None,
        },
        "total": results.total,
        "promoted": [hit.as_json() for hit in results.promoted],
        "groups": [
            {
                "type": group.kind,
                "label": group.label,
                "total": group.total,
                "page": group.page_number,
                "pages": group.num_pages,
                "results": [hit.as_json() for hit in group.hits],
            }
            for group in results.groups
        ],
        "suggestions": [
            {"title": c.title, "url": c.url, "definition": c.definition} for c in results.suggestions
        ],
    }
