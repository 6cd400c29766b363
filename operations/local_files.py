"""A path on this machine for a stored file, for the tools that want one (ffmpeg, the Whisper engines)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def local_path(field_file) -> Iterator[str]:
    """The stored file's own path, or a temporary copy when the storage is remote (object storage has no
    path; ``Storage.path`` raises NotImplementedError), deleted when the block ends. A file missing from
    remote storage raises there; a missing local one is for the tool to find (its error says so)."""
    try:
        path = field_file.path
    except NotImplementedError:
        path = None
    if path is not None:
        yield path
        return
    suffix = os.path.splitext(field_file.name)[1]
    with tempfile.NamedTemporaryFile(suffix=suffix) as copy, field_file.open("rb") as source:
        shutil.copyfileobj(source, copy, 1024 * 1024)
        copy.flush()
        yield copy.name
