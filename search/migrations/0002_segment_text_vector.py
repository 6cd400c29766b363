"""PostgreSQL only: keep each line's tsvector in a generated column with its GIN index, instead of an
expression index. Matching was as fast either way, but ranking recomputed to_tsvector for every matching
line: for a frequent word in a 600,000-line catalogue that was most of a search's time (bench/search.py,
p95 282 ms before)."""

from django.db import migrations

from search.postgres import COLUMN, CONFIG, INDEX_NAME

OLD_INDEX = "transcripts_segment_text_fts"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {OLD_INDEX}")
    schema_editor.execute(
        f"ALTER TABLE transcripts_segment ADD COLUMN IF NOT EXISTS {COLUMN} tsvector "
        f"GENERATED ALWAYS AS (to_tsvector('{CONFIG}'::regconfig, text)) STORED"
    )
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON transcripts_segment USING gin ({COLUMN})")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")
    schema_editor.execute(f"ALTER TABLE transcripts_segment DROP COLUMN IF EXISTS {COLUMN}")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {OLD_INDEX} ON transcripts_segment "
        f"USING gin (to_tsvector('{CONFIG}'::regconfig, text))"
    )


class Migration(migrations.Migration):
    dependencies = [("search", "0001_segment_text_index")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
