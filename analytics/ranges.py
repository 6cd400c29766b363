"""Byte ranges a listener has been sent, as merged half-open intervals, and how much audio they are.

A player that seeks, or fetches a file in pieces, asks for overlapping ranges; counting their bytes twice
would reach "one minute of audio" before a minute was sent. So each file's ranges are kept merged and only
distinct bytes count. Intervals are lists (they are stored as JSON), ``[first, end)``.
"""

from __future__ import annotations

import math

MINUTE_MS = 60_000
# A request for at most this many bytes is a probe (bytes=0-1, bytes=0-0: players checking the file), never
# a download and never part of one (IAB v2.2).
PROBE_BYTES = 2


def merge(intervals: list[list[int]], first: int, end: int) -> list[list[int]]:
    """``intervals`` (sorted, disjoint) with ``[first, end)`` added, merged again."""
    merged: list[list[int]] = []
    placed = False
    for start, stop in intervals:
        if stop < first:
            merged.append([start, stop])
        elif end < start:
            if not placed:
                merged.append([first, end])
                placed = True
            merged.append([start, stop])
        else:  # touching or overlapping: absorb
            first, end = min(first, start), max(end, stop)
    if not placed:
        merged.append([first, end])
    return sorted(merged)


def covered(intervals: list[list[int]]) -> int:
    return sum(stop - start for start, stop in intervals)


def bytes_for_a_minute(size: int, duration_ms: int, bitrate: int | None = None) -> int:
    """The bytes of one minute of this file, or the whole file when it is shorter.

    From the file's average rate (size over duration: VBR, tags and artwork included, as they are among the
    bytes a listener fetches); from the bitrate when the duration is unknown.
    """
    if size <= 0:
        return 0
    if duration_ms and duration_ms > 0:
        per_minute = math.ceil(size * MINUTE_MS / duration_ms)
    elif bitrate:
        per_minute = math.ceil(bitrate * 60 / 8)
    else:
        return size
    return min(size, per_minute)


def heard(ranges: dict[str, list[list[int]]], thresholds: dict[str, int]) -> float:
    """How many minutes' worth (1.0 = one minute, or the whole of a shorter file) the ranges of each file
    add up to. A listener who switched files (master, then rendition) adds the parts of each."""
    return sum(covered(ranges[key]) / thresholds[key] for key in ranges if thresholds.get(key))
