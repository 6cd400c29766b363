"""Keeping transcript lines in the search index.

Segments are written in bulk (a transcript is hundreds of them), which Django's save signals never see, so
they are not updated by Wagtail's automatic indexing (``Segment.search_auto_update`` is off). Instead,
whenever a transcript's segments change (``transcript_changed`` hook), ``index_transcript`` runs as a task:
it writes the index entries of the present segments in batches. Entries of segments that no longer exist
are never found (a search joins the segment table) and are pruned by ``prune_stale_entries``, a periodic
job of the scheduler: pruning scans the whole index, too much to do on every transcript change.
"""

from __future__ import annotations

from modelsearch.backends import get_search_backends

from transcripts.models import Segment

from .postgres import uses_postgres_fts
from .sqlite import uses_sqlite_fts

BATCH = 500


def index_transcript(transcript_id: int) -> int:
    """Index the segments of one transcript in every search backend; returns how many. Nothing to do
    where the database searches the lines itself (``search.postgres``, ``search.sqlite``)."""
    if uses_postgres_fts() or uses_sqlite_fts():
        return 0
    segments = Segment.objects.filter(transcript_id=transcript_id).order_by("index")
    count = 0
    for backend in get_search_backends(with_auto_update=True):
        index = backend.get_index_for_model(Segment)
        if index is None:
            continue
        batch: list[Segment] = []
        for segment in segments.iterator(chunk_size=BATCH):
            batch.append(segment)
            if len(batch) == BATCH:
                index.add_items(Segment, batch)
                batch = []
        if batch:
            index.add_items(Segment, batch)
        count = segments.count()
    return count


def prune_stale_entries() -> None:
    """Drop index entries of deleted segments (database backends; search engines keep theirs until the
    next ``manage.py update_index``)."""
    for backend in get_search_backends(with_auto_update=True):
        index = backend.get_index_for_model(Segment)
        if index is not None and hasattr(index, "delete_stale_model_entries"):
            index.delete_stale_model_entries(Segment)
