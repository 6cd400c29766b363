"""Writing an uploaded audio file to storage so that a failure leaves nothing behind.

Django writes a FileField's upload while it saves the row, before the INSERT, and when the storage fails
half-way (a full disk, a quota, a read-only file system, object storage unreachable) the exception reaches
the editor as a server error and the storage keeps what it had written: a file system keeps the partial
file. Here the upload is written first, under a name chosen beforehand, so that a failure can remove what
was written and be told to the editor in words (``StorageError``), with no row saved.
"""

import errno
import logging

from .audioinfo import AudioError

logger = logging.getLogger(__name__)

DISK_FULL = "The file could not be stored: the disk is full. Nothing was saved."
STORAGE_FAILED = "The file could not be stored ({reason}). Nothing was saved; please try again later."


class StorageError(AudioError):
    """The upload could not be written to storage; nothing of it was kept. An ``AudioError``, so that
    commands and importers that report refused audio files report this too."""


def describe(error: Exception) -> str:
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return DISK_FULL
    # strerror, not str(error): that would show the editor the server's paths.
    reason = getattr(error, "strerror", None) or "a storage error"
    return STORAGE_FAILED.format(reason=str(reason)[:200].rstrip("."))


def store_upload(instance, field_name: str = "file"):
    """Write ``instance``'s new upload in ``field_name`` to storage now, under the name the field would
    give it, and point the field at the stored file (so that saving the row writes nothing more).

    Returns the stored name, or None when there was no new upload. Raises ``StorageError`` when the storage
    fails, after deleting whatever it wrote of the file.
    """
    field = instance._meta.get_field(field_name)
    file = getattr(instance, field_name)
    if not file or file._committed:
        return None
    storage = file.storage
    name = storage.get_available_name(
        field.generate_filename(instance, file.name), max_length=field.max_length
    )
    # A file system gives a free name; object storage may give the name of an object that is already there
    # (same content, same name): that one must survive a failed upload.
    existed = storage.exists(name)
    try:
        stored = storage.save(name, file.file, max_length=field.max_length)
    except Exception as error:
        logger.exception("Could not store the upload %s", name)
        if not existed:
            discard(storage, name)
        raise StorageError(describe(error)) from error
    setattr(instance, field_name, stored)
    return stored


def discard(storage, name: str) -> None:
    """Delete ``name`` from ``storage`` if it is there; a failure to do so is logged, not raised (the
    storage is failing already)."""
    try:
        if storage.exists(name):
            storage.delete(name)
    except Exception:
        logger.exception("Could not delete %s after a failed save; delete it by hand", name)
