"""SQLite only: an FTS5 index of transcript lines (external content: the text stays in transcripts_segment),
kept up to date by triggers, so lines are searched with SQLite's own full-text search as PostgreSQL's are
with theirs (search/postgres.py, search/sqlite.py). Wagtail's SQLite backend scores each hit with a
correlated subquery: a search of a 600,000-line catalogue did not finish in ten minutes (bench/search.py).
"""

from django.db import migrations

from search.sqlite import TABLE

CREATE = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
    "text, content='transcripts_segment', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_insert AFTER INSERT ON transcripts_segment BEGIN "
    f"INSERT INTO {TABLE}(rowid, text) VALUES (new.id, new.text); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_delete AFTER DELETE ON transcripts_segment BEGIN "
    f"INSERT INTO {TABLE}({TABLE}, rowid, text) VALUES ('delete', old.id, old.text); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_update AFTER UPDATE OF text ON transcripts_segment BEGIN "
    f"INSERT INTO {TABLE}({TABLE}, rowid, text) VALUES ('delete', old.id, old.text); "
    f"INSERT INTO {TABLE}(rowid, text) VALUES (new.id, new.text); END",
    f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')",  # the lines already there
]
DROP = [f"DROP TRIGGER IF EXISTS {TABLE}_{event}" for event in ("insert", "delete", "update")] + [
    f"DROP TABLE IF EXISTS {TABLE}"
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in CREATE:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in DROP:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("search", "0002_segment_text_vector")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
