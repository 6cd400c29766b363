"""Transcript lines are now searched by the database itself on SQLite as on PostgreSQL (0002, 0003), so
the entries earlier versions wrote for them in Wagtail's own index table only slow down the search of
pages sharing that table (bench/search.py: page searches took seconds beside 600,000 line entries).
Elasticsearch and OpenSearch keep their own index and are not touched."""

from django.db import migrations


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    IndexEntry = apps.get_model("wagtailsearch", "IndexEntry")
    segment = ContentType.objects.filter(app_label="transcripts", model="segment").first()
    if segment is not None:
        # A raw delete, as Wagtail's backend does: no signals, no row-by-row collection.
        deleted = IndexEntry.objects.filter(content_type_id=segment.pk)._raw_delete(schema_editor.connection.alias)
        if deleted and schema_editor.connection.vendor == "sqlite":
            # FTS5 keeps deleted rows as tombstones until its segments are merged: page searches stayed
            # seconds slow after removing 600,000 entries, until this.
            with schema_editor.connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'wagtailsearch_indexentry_fts'")
                if cursor.fetchone():
                    cursor.execute(
                        "INSERT INTO wagtailsearch_indexentry_fts(wagtailsearch_indexentry_fts) VALUES ('optimize')"
                    )


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0003_segment_fts5"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailsearch", "0010_add_text_fields"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
