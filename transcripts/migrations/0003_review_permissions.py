"""Editors and Moderators (the groups Wagtail creates) may review transcripts: see them in the admin and
correct, import and re-run them (``change_transcript``, which the admin's review views check)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = ["Editors", "Moderators"]
CODENAMES = ["view_transcript", "change_transcript"]


def grant(apps, schema_editor):
    # Permissions are made after all migrations; make this app's now so that they can be granted here.
    app_config = apps.get_app_config("transcripts")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="transcripts", codename__in=CODENAMES)
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="transcripts", codename__in=CODENAMES)
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("transcripts", "0002_transcriptrevision"),
        ("wagtailcore", "0002_initial_data"),  # creates the Editors and Moderators groups
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
