"""HTTP byte ranges (RFC 9110, section 14) for audio responses.

Podcast apps and browsers seek by asking for ranges; Django's own file responses do not answer them.
Only single ranges are served: multipart/byteranges is not used by audio players, and a request for several
ranges is answered with the whole file, as the RFC allows.
"""

from __future__ import annotations

import re

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(Exception):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Return the inclusive ``(start, end)`` to send, or None for the whole file.

    Raises :class:`RangeNotSatisfiable` when the range lies wholly past the end of the file.
    A header that is malformed or asks for several ranges is ignored (the whole file is sent).
    """
    if not header:
        return None
    match = _RANGE.match(header.strip().replace(" ", ""))
    if not match:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # suffix range: the last N bytes
        length = int(last)
        if length == 0 or size == 0:
            raise RangeNotSatisfiable
        return max(size - length, 0), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if end < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable
    return start, min(end, size - 1)


def iter_file_range(fileobj, start: int, length: int, chunk_size: int = 64 * 1024):
    """Yield ``length`` bytes of ``fileobj`` from ``start``, then close it."""
    try:
        fileobj.seek(start)
        remaining = length
        while remaining > 0:
            chunk = fileobj.read(min(chunk_size, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        fileobj.close()
