"""One search over the catalogue: episodes, interviews, concepts and the sentences of transcripts.

Everything goes through Wagtail's search backend (the database backend by default: SQLite FTS5 or
PostgreSQL full-text; Elasticsearch or OpenSearch when configured), so the same code serves a laptop and a
large site. Only live pages without view restrictions are ever searched, and a transcript line only when
its transcript is published (``Transcript.objects.published``) and a live, public episode or interview
within the filters uses its audio; an episode from its publication date (``EpisodePage.objects.released``).

The query a visitor types is cleaned first (``clean_query``): it is a search box, not a query language,
so what could confuse a backend's parser (stray quotes, operators, control characters, a novel pasted in)
is dropped or cut, and no input gives an error page.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from math import ceil

from django.db.models import Q
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString
from modelsearch.utils import normalise_query_string
from wagtail.contrib.search_promotions.models import SearchPromotion
from wagtail.models import Page
from wagtail.search.backends import get_search_backend

from concepts.models import ConceptPage, Mention
from episodes.models import EpisodePage, InterviewPage, ShowPage, released_pages
from pagecache.caching import remember
from transcripts.formats import speaker_name
from transcripts.models import Segment, Transcript

from .postgres import Moments, uses_postgres_fts
from .sqlite import SQLiteMoments, uses_sqlite_fts

MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 20
GROUP_PREVIEW = 5  # results per kind on the "all" view
PER_PAGE = 10

KINDS = {
    "moments": "Moments in episodes",
    "episodes": "Episodes",
    "interviews": "Interviews",
    "concepts": "Concepts",
}


def clean_query(raw: str | None) -> str:
    """A query any backend parses: words, hyphens, apostrophes and paired double quotes (phrases),
    at most 200 characters and 20 words; everything else becomes a space."""
    text = unicodedata.normalize("NFKC", raw or "")[: MAX_QUERY_CHARS * 2]
    text = "".join(ch if ch.isalnum() or ch in " -'\"" else " " for ch in text)
    if text.count('"') % 2:
        text = text.replace('"', " ")
    words = re.findall(r'"[^"]*"|[^\s"]+', text)
    words = [w for w in (w.strip("-'") if not w.startswith('"') else w for w in words) if w.strip('"- ')]
    cleaned = " ".join(words[:MAX_QUERY_WORDS])
    return cleaned[:MAX_QUERY_CHARS].strip()


def query_terms(query: str) -> list[str]:
    """The words of a cleaned query, lower case, for highlighting."""
    return [w for w in re.findall(r"[^\W_]+(?:'[^\W_]+)?", query.lower()) if len(w) > 1]


def highlight(text: str, terms: list[str]) -> SafeString:
    """``text`` escaped, with each word that starts with a query term in ``<mark>``."""
    if not terms:
        return escape(text)
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(t) for t in terms) + r")\w*", re.IGNORECASE)
    out, last = SafeString(""), 0
    for match in pattern.finditer(text):
        out += escape(text[last : match.start()]) + format_html("<mark>{}</mark>", match.group())
        last = match.end()
    return out + escape(text[last:])


@dataclass
class Filters:
    show: ShowPage | None = None
    concept: ConceptPage | None = None


@dataclass
class Hit:
    kind: str
    title: str
    url: str
    text: SafeString
    start_ms: int | None = None
    page_title: str = ""
    speaker: str = ""  # who says a transcript line ("" when nobody is named), as Segment.speaker has it

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "title": self.title,
            "url": self.url,
            "text": str(self.text),
            "start_seconds": None if self.start_ms is None else self.start_ms / 1000,
            "page_title": self.page_title or None,
            "speaker": self.speaker or None,
        }


@dataclass
class Group:
    kind: str
    label: str
    total: int
    hits: list[Hit]
    page_number: int = 1
    num_pages: int = 1


@dataclass
class Results:
    query: str
    kind: str
    filters: Filters
    groups: list[Group] = field(default_factory=list)
    promoted: list[Hit] = field(default_factory=list)
    suggestions: list[ConceptPage] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(group.total for group in self.groups)


# Querysets of what may be found --------------------------------------------------------------------------


@dataclass(frozen=True)
class Listening:
    """Where a transcript's lines are heard: the first public episode or interview that uses its audio."""

    page_id: int
    title: str
    url_path: str

    @property
    def url(self) -> str:
        return Page(pk=self.page_id, url_path=self.url_path).get_url() or ""


class Scope:
    """What a visitor may find, worked out once per search: live pages outside every view restriction
    (Wagtail's ``public()`` asks the database for the restrictions each time it is called)."""

    def __init__(self, filters: Filters):
        self.filters = filters

    @cached_property
    def private(self) -> Q:
        return Page.objects.all().private_q()

    def pages(self, model):
        """Live, public pages of ``model``; a mixed list (``Page``) leaves out episodes held back until
        their publication date. (Episodes themselves: ``episodes``, which a search backend can filter.)"""
        pages = released_pages(Page.objects.all()) if model is Page else model.objects.live()
        return pages.exclude(self.private)

    def episodes(self):
        episodes = EpisodePage.objects.released().exclude(self.private)
        if self.filters.show is not None:
            episodes = episodes.child_of(self.filters.show)
        if self.filters.concept is not None:
            episodes = episodes.filter(pk__in=_pages_discussing(self.filters.concept))
        return episodes

    def interviews(self):
        interviews = self.pages(InterviewPage)
        if self.filters.show is not None:
            interviews = interviews.filter(show=self.filters.show)
        if self.filters.concept is not None:
            interviews = interviews.filter(pk__in=_pages_discussing(self.filters.concept))
        return interviews

    def concepts(self):
        concepts = self.pages(ConceptPage)
        if self.filters.concept is not None:
            related = [c.pk for c in self.filters.concept.related_concepts()] + [self.filters.concept.pk]
            concepts = concepts.filter(pk__in=related)
        return concepts

    @cached_property
    def transcripts(self) -> dict[int, Listening]:
        """The published transcripts (``Transcript.objects.published``) whose audio a public episode or
        interview (within the filters) uses, each with the first such page (by id). Kept with the cached
        pages until a change of an episode, interview or transcript purges it (``pagecache.caching.remember``
        with the ``search-scope`` tag, ``search.purges``): a search then needs no query for it."""
        show, concept = self.filters.show, self.filters.concept
        name = f"search-scope:{show.pk if show else ''}:{concept.pk if concept else ''}"
        return remember(name, self._visible_transcripts, tags=("search-scope",))  # search.purges.SCOPE

    def _visible_transcripts(self) -> dict[int, Listening]:
        """One query per kind of page."""
        kinds = [self.episodes()]
        if self.filters.show is None or self.filters.concept is not None:
            kinds.append(self.interviews())
        rows = []
        for pages in kinds:
            rows += (
                pages.filter(audio__transcript__in=Transcript.objects.published())
                .order_by()
                .values_list("audio__transcript__id", "pk", "title", "url_path")
            )
        visible: dict[int, Listening] = {}
        for transcript_id, page_id, title, url_path in sorted(rows, key=lambda row: row[1]):
            visible.setdefault(transcript_id, Listening(page_id, title, url_path))
        return visible

    def segment_ids(self) -> list[int] | None:
        """With a concept filter, the lines where the concept is mentioned (visible mentions); else None."""
        if self.filters.concept is None:
            return None
        mentioned = Mention.objects.visible().filter(concept=self.filters.concept, segment__isnull=False)
        return list(mentioned.values_list("segment_id", flat=True))

    def segments(self):
        """Lines of the visible transcripts, filtered by a list of their ids (a FilterField every search
        backend can apply), not a subquery."""
        segments = Segment.objects.filter(transcript_id__in=list(self.transcripts))
        ids = self.segment_ids()
        return segments if ids is None else segments.filter(pk__in=ids)


def _pages_discussing(concept):
    return Mention.objects.visible().filter(concept=concept).values("page_id")


# Turning search results into hits ---------------------------------------------------------------------------


def page_hits(kind: str, pages, terms) -> list[Hit]:
    hits = []
    for page in pages:
        text = getattr(page, "definition", "") or getattr(page, "summary", "") or getattr(page, "intro", "")
        hits.append(Hit(kind=kind, title=page.title, url=page.url or "", text=highlight(text, terms)))
    return hits


def segment_hits(segments, terms, scope: Scope) -> list[Hit]:
    """Each line linked to the moment it is said, on the first public page that uses its audio, with who
    says it (``Segment.speaker``, read with the line: a renamed speaker shows at once)."""
    hits = []
    for segment in segments:
        page = scope.transcripts.get(segment.transcript_id)
        if page is None:
            continue
        hits.append(
            Hit(
                kind="moments",
                title=page.title,
                url=f"{page.url}?t={segment.start_ms // 1000}",
                text=highlight(segment.text, terms),
                start_ms=segment.start_ms,
                page_title=page.title,
                speaker=speaker_name(segment),
            )
        )
    return hits


# The search ------------------------------------------------------------------------------------------------


def search(
    raw_query: str | None, *, kind: str = "all", filters: Filters | None = None, page: int = 1
) -> Results:
    """Search every kind (``kind="all"``: the first few of each) or one kind, paginated."""
    filters = filters or Filters()
    query = clean_query(raw_query)
    kind = kind if kind in KINDS else "all"
    page = max(page, 1)
    results = Results(query=query, kind=kind, filters=filters)
    if not query:
        return results
    terms = query_terms(query)
    backend = get_search_backend()
    scope = Scope(filters)
    in_database = Moments if uses_postgres_fts() else SQLiteMoments if uses_sqlite_fts() else None

    def find_segments():
        if in_database:
            return in_database(query, scope.transcripts, scope.segment_ids())
        return backend.search(query, scope.segments(), operator="and")

    sources = {
        "moments": (find_segments, lambda found: segment_hits(found, terms, scope)),
        "episodes": (lambda: backend.search(query, scope.episodes(), operator="and"), None),
        "interviews": (lambda: backend.search(query, scope.interviews(), operator="and"), None),
        "concepts": (lambda: backend.search(query, scope.concepts(), operator="and"), None),
    }
    for name, (find, to_hits) in sources.items():
        if kind not in ("all", name):
            continue
        to_hits = to_hits or (lambda found, name=name: page_hits(name, found, terms))
        found = find()
        if kind == "all":
            items, total = take(found, 0, GROUP_PREVIEW)
            if total:
                results.groups.append(Group(name, KINDS[name], total, to_hits(items)))
            continue
        items, total = take(found, (page - 1) * PER_PAGE, PER_PAGE)
        pages = max(ceil(total / PER_PAGE), 1)
        if page > pages:  # past the end (an old link): the last page instead
            page = pages
            items, total = take(found, (page - 1) * PER_PAGE, PER_PAGE)
        results.groups.append(
            Group(name, KINDS[name], total, to_hits(items), page_number=page, num_pages=pages)
        )
    results.promoted = promoted(query, scope) if page == 1 else []
    if not results.total:
        results.suggestions = suggest_concepts(query, scope)
    return results


def take(found, start: int, size: int) -> tuple[list, int]:
    """``size`` results from ``start`` and how many there are in all. PostgreSQL's own search of lines
    (``Moments``) gets both from one statement; search backends' results are counted apart."""
    if isinstance(found, Moments):
        return found.take(start, size)
    return list(found[start : start + size]), found.count()


def promoted(query: str, scope: Scope) -> list[Hit]:
    """Editors' picks for this query (Wagtail's search promotions): live, public pages and external links.
    Read only: a search never writes to the database."""
    picks = (
        SearchPromotion.objects.filter(query__query_string=normalise_query_string(query))
        .select_related("page")
        .order_by("sort_order")
    )
    picks = list(picks)
    if not picks:
        return []
    public = set(scope.pages(Page).filter(pk__in=[p.page_id for p in picks]).values_list("pk", flat=True))
    hits = []
    for pick in picks:
        if pick.page_id is None and pick.external_link_url:
            url = pick.external_link_url
        elif pick.page_id in public:
            url = pick.page.url or ""
        else:
            continue
        hits.append(
            Hit(kind="promoted", title=pick.title or url, url=url, text=highlight(pick.description, []))
        )
    return hits


def suggest_concepts(query: str, scope: Scope, limit: int = 6) -> list[ConceptPage]:
    """Concepts to try when nothing matched: those whose names start like the query's words, else the
    first few of the glossary."""
    concepts = scope.pages(ConceptPage)
    return list(concepts.autocomplete(query)[:limit]) or list(concepts.order_by("title")[:limit])
