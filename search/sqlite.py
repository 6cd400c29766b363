"""Transcript lines searched with SQLite's own full-text search: an FTS5 table of the lines (migration
0003, kept by triggers), matched with ``MATCH`` and ranked with ``bm25``, the same shape as PostgreSQL's
(search/postgres.py). The query is rewritten for FTS5 so that nothing a visitor types is read as FTS5
syntax: every word and quoted phrase becomes a quoted string, all of them required.
"""

from __future__ import annotations

import json
import re

from django.db import connection
from wagtail.search.backends import get_search_backend

from .postgres import Moments

TABLE = "transcripts_segment_fts"


def uses_sqlite_fts() -> bool:
    """Whether transcript lines are searched here rather than through the search backend's index."""
    return connection.vendor == "sqlite" and type(get_search_backend()).__name__ == "SQLiteSearchBackend"


def fts5_query(query: str) -> str:
    """A cleaned query (``search.query.clean_query``) in FTS5's syntax: ``decision "shared care"`` ->
    ``"decision" "shared care"``. Double quotes are the only special character inside an FTS5 string."""
    parts = (part.replace('"', " ").strip() for part in re.findall(r'"[^"]*"|[^\s"]+', query))
    return " ".join(f'"{part}"' for part in parts if part)


class SQLiteMoments(Moments):
    # The id lists go in as JSON arrays (json_each), one parameter each however long. bm25 is only
    # allowed in the full-text query itself, not beside the window count: hence the subquery.
    SQL = f"""
        SELECT id, transcript_id, start_ms, text, speaker, count(*) OVER () AS total FROM (
            SELECT s.id, s.transcript_id, s.start_ms, s.text, s.speaker, bm25({TABLE}) AS rank
            FROM {TABLE} JOIN transcripts_segment s ON s.id = {TABLE}.rowid
            WHERE {TABLE} MATCH %(query)s
              AND s.transcript_id IN (SELECT value FROM json_each(%(transcripts)s))
              AND (%(segments)s IS NULL OR s.id IN (SELECT value FROM json_each(%(segments)s)))
        )
        ORDER BY rank, id
        LIMIT %(limit)s OFFSET %(offset)s
    """  # noqa: S608 (TABLE is this module's constant; values are parameters)

    def params(self) -> dict:
        return {
            "query": fts5_query(self.query),
            "transcripts": json.dumps(self.transcripts),
            "segments": None if self.segments is None else json.dumps(self.segments),
        }
