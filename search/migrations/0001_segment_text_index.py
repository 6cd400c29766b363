"""The GIN index behind ``search.postgres`` (PostgreSQL only; other databases search through Wagtail's
index). Built CONCURRENTLY would need a non-atomic migration; a catalogue's first migration is small."""

from django.db import migrations

from search.postgres import INDEX_NAME, VECTOR_SQL


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON transcripts_segment USING gin ({VECTOR_SQL})"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")


class Migration(migrations.Migration):
    dependencies = [("transcripts", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
