from django.db import transaction
from django.db.models.signals import post_delete

from .models import AudioFile


def delete_audio_file(sender, instance, **kwargs):
    # Only once the deletion is committed: a rolled-back delete must not lose the file.
    storage, name = instance.file.storage, instance.file.name
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def register_signal_handlers():
    post_delete.connect(delete_audio_file, sender=AudioFile, dispatch_uid="episodes-delete-audio")
