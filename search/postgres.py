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

from django.db import connection
from wagtail.search.backends import get_search_backend

from transcripts.models import Segment

CONFIG = "english"
# A generated column (search/migrations/0002) with a GIN index: matching and ranking read the stored
# vector instead of parsing every matching line again.
COLUMN = "text_vector"
INDEX_NAME = "transcripts_segment_text_vector"


def uses_postgres_fts() -> bool:
    """Whether transcript lines are searched here rather than through the search backend's index."""
    return (
        connection.vendor == "postgresql" and type(get_search_backend()).__name__ == "PostgresSearchBackend"
    )


class Moments:
    """The lines of ``transcripts`` (ids of published transcripts, ``search.query.Scope.transcripts``;
    optionally only ``segments``) that match ``query``, best first, read a page at a time by ``take``: one
    hand-written statement gives the page of lines and, as a window count over the same scan, how many
    match in all. It is the plain full-text query (bench/search.py
    measures it against one) plus the visibility filter, passed as one array parameter: with a join or a
    subquery PostgreSQL's planner walks every visible line instead of the full-text index."""

    # CONFIG and COLUMN, written out. Parameters are bound client-side (Django's default with psycopg 3),
    # so with no concept filter the planner sees "NULL IS NULL" and drops that condition.
    SQL = """
        WITH q AS (SELECT websearch_to_tsquery('english', %(query)s) AS query)
        SELECT s.id, s.transcript_id, s.start_ms, s.text, s.speaker, count(*) OVER () AS total
        FROM transcripts_segment s, q
        WHERE s.text_vector @@ q.query
          AND s.transcript_id = ANY(%(transcripts)s::bigint[])
          AND (%(segments)s::bigint[] IS NULL OR s.id = ANY(%(segments)s::bigint[]))
        ORDER BY ts_rank(s.text_vector, q.query) DESC, s.id
        LIMIT %(limit)s OFFSET %(offset)s
    """

    def __init__(self, query: str, transcripts, segments=None):
        self.query = query
        self.transcripts = list(transcripts)
        self.segments = None if segments is None else list(segments)

    def params(self) -> dict:
        return {"query": self.query, "transcripts": self.transcripts, "segments": self.segments}

    def take(self, start: int, size: int) -> tuple[list[Segment], int]:
        """``size`` lines from ``start`` and the number of matching lines."""
        if not self.transcripts or self.segments == [] or not self.query:
            return [], 0
        params = self.params()
        with connection.cursor() as cursor:
            cursor.execute(self.SQL, {**params, "limit": size, "offset": start})
            rows = cursor.fetchall()
            if not rows and start:  # past the end: count alone
                cursor.execute(self.SQL, {**params, "limit": 1, "offset": 0})
                first = cursor.fetchone()
                return [], first[-1] if first else 0
        lines = [
            Segment(pk=pk, transcript_id=t, start_ms=ms, text=text, speaker=speaker)
            for pk, t, ms, text, speaker, _ in rows
        ]
        return lines, rows[0][-1] if rows else 0
