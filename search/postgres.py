"""Transcript lines searched with PostgreSQL's own full-text search, on a GIN index.

Wagtail's database backend keeps every indexed object in one table and matches a combined title-and-body
vector that no index can serve: fine for pages, far too slow for the hundreds of thousands of transcript
lines of a real catalogue (bench/search.py measured 115x a plain full-text query at 60,000 lines). So on
PostgreSQL, when the search backend is the database one, transcript lines are matched directly:
``text_vector @@ websearch_to_tsquery('english', query)``, ranked with ``ts_rank``, where ``text_vector``
is a generated column holding ``to_tsvector('english', text)``, with a GIN index (this app's migrations).
Elasticsearch or OpenSearch, when configured, index the lines like any other model instead.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models.expressions import RawSQL
from wagtail.search.backends import get_search_backend

CONFIG = "english"
# A generated column (search/migrations/0002) with a GIN index: matching and ranking read the stored
# vector instead of parsing every matching line again.
COLUMN = "text_vector"
INDEX_NAME = "transcripts_segment_text_vector"


class SegmentVector(RawSQL):
    def __init__(self):
        super().__init__(f'"transcripts_segment"."{COLUMN}"', [], output_field=SearchVectorField())


def uses_postgres_fts() -> bool:
    """Whether transcript lines are searched here rather than through the search backend's index."""
    return (
        connection.vendor == "postgresql" and type(get_search_backend()).__name__ == "PostgresSearchBackend"
    )


def search_segments(queryset, query: str):
    """``queryset`` (of Segment) filtered to lines matching ``query``, best first."""
    tsquery = SearchQuery(query, search_type="websearch", config=CONFIG)
    return (
        queryset.alias(vector=SegmentVector())
        .filter(vector=tsquery)
        .annotate(rank=SearchRank(SegmentVector(), tsquery))
        .order_by("-rank", "pk")
    )
