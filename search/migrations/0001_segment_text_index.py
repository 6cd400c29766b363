"""The first GIN index behind ``search.postgres`` (PostgreSQL only; other databases search through
Wagtail's index). Replaced by 0002's generated column and its index."""

from django.db import migrations

CONFIG = "english"
INDEX_NAME = "transcripts_segment_text_fts"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON transcripts_segment "
            f"USING gin (to_tsvector('{CONFIG}'::regconfig, text))"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")


class Migration(migrations.Migration):
    dependencies = [("transcripts", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
