"""HTTP byte ranges (RFC 9110, section 14) for audio responses.

Podcast apps and browsers seek by asking for ranges; Django's own file responses do not answer them.
Only single ranges are served: multipart/byteranges is not used by audio players, and a request for several
ranges is answered with the whole file, as the RFC allows.
"""

from __future__ import annotations

import re

_RANGE = re.compile(r"^bytes=([0-9]*)-([0-9]*)$", re.IGNORECASE)  # the range unit is case-insensitive


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
    try:
        start = int(first) if first else None
        end = int(last) if last else None
    except ValueError:  # thousands of digits: Python refuses to convert them; treat as malformed
        return None
    if start is None:  # suffix range: the last N bytes
        if end == 0 or size == 0:
            raise RangeNotSatisfiable
        return max(size - end, 0), size - 1
    if end is not None and end < start:
        return None  # invalid (last before first), so ignored
    if start >= size:
        raise RangeNotSatisfiable
    if end is None:
        end = size - 1
    return start, min(end, size - 1)


class FileRange:
    """``length`` bytes of ``fileobj`` from ``start``, as a response body that closes the file.

    A class rather than a generator: a generator's ``finally`` does not run if the response is closed
    before its first chunk (a player that gives up after the headers), and the file would stay open.
    StreamingHttpResponse calls ``close()`` in every case.
    """

    def __init__(self, fileobj, start: int, length: int, chunk_size: int = 64 * 1024):
        self.fileobj = fileobj
        self.start = start
        self.length = length
        self.chunk_size = chunk_size

    def __iter__(self):
        self.fileobj.seek(self.start)
        remaining = self.length
        while remaining > 0:
            chunk = self.fileobj.read(min(self.chunk_size, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk

    def close(self):
        self.fileobj.close()
