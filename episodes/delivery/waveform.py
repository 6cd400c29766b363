"""The waveform of an episode for the site's player: peaks computed while ffmpeg already decodes the master.

Pass 1 of the encoder (``encode.measure``) decodes the whole master to measure its loudness, and runs for
every master, also one whose audio stream is then copied. A second output of that same ffmpeg run sends
the audio as mono 16-bit samples at ``SAMPLE_RATE`` to a pipe; a thread reads the pipe in chunks and keeps
only the minimum and maximum of each pixel (``samples_per_pixel`` samples), so memory stays flat however
long the episode, and decoding happens once.

The result is the JSON format of BBC's audiowaveform (version 2; what peaks.js and waveform-data.js read),
one channel, 8 bits::

    {"version": 2, "channels": 1, "sample_rate": 8000, "samples_per_pixel": 80, "bits": 8,
     "length": 1000, "data": [min0, max0, min1, max1, ...]}

scaled so that the loudest moment of the episode reaches -128/127: the player draws the shape of the
episode, not its level (the rendition's loudness is normalised anyway). ``length`` is at most
``DELIVERY_WAVEFORM_POINTS``; it is that number, give or take one, when the master's duration as read at
upload is right, and half of it at worst when the master decodes longer than that duration said.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings

logger = logging.getLogger(__name__)

SAMPLE_RATE = 8000  # Hz: plenty for a picture of 1000-2000 points, and cheap to resample to
VERSION = 2
BITS = 8
CHUNK_BYTES = 64 * 1024


def points() -> int:
    """How many points (pixels) the waveform has at most: ``DELIVERY_WAVEFORM_POINTS``."""
    return max(int(getattr(settings, "DELIVERY_WAVEFORM_POINTS", 1000)), 2)


@dataclass
class Peaks:
    """The running minimum and maximum of each pixel of ``samples_per_pixel`` samples, fed in chunks.

    ``samples_per_pixel`` comes from the expected duration, so that the whole episode fills about
    ``limit`` pixels. If the audio turns out longer, neighbouring pixels are merged (and the pixel size
    doubled) whenever there would be more than ``limit``: the count stays bounded whatever comes.
    """

    limit: int
    samples_per_pixel: int
    mins: list[int] = field(default_factory=list)
    maxs: list[int] = field(default_factory=list)
    position: int = 0  # samples seen

    @classmethod
    def for_duration(cls, duration_ms: int, limit: int | None = None) -> Peaks:
        limit = limit or points()
        expected = max(int(duration_ms or 0) * SAMPLE_RATE // 1000, 1)
        return cls(limit=limit, samples_per_pixel=max(math.ceil(expected / limit), 1))

    def feed(self, samples: np.ndarray) -> None:
        """Take the next ``samples`` (int16) into their pixels."""
        start = 0
        while start < len(samples):
            pixel, into = divmod(self.position, self.samples_per_pixel)
            end = min(len(samples), start + self.samples_per_pixel - into)
            part = samples[start:end]
            low, high = int(part.min()), int(part.max())
            if into and pixel < len(self.mins):  # the pixel begun in the last chunk
                self.mins[pixel] = min(self.mins[pixel], low)
                self.maxs[pixel] = max(self.maxs[pixel], high)
            else:
                if len(self.mins) >= self.limit:
                    self._halve()
                    continue  # the position now falls in a merged, wider pixel
                self.mins.append(low)
                self.maxs.append(high)
            self.position += end - start
            start = end

    def _halve(self) -> None:
        self.mins = [min(self.mins[i : i + 2]) for i in range(0, len(self.mins), 2)]
        self.maxs = [max(self.maxs[i : i + 2]) for i in range(0, len(self.maxs), 2)]
        self.samples_per_pixel *= 2

    def as_json(self) -> str:
        """The audiowaveform (version 2, 8-bit) JSON: the loudest sample scaled to the full range."""
        loudest = max([abs(value) for value in self.mins + self.maxs] or [0])
        scale = 127 / loudest if loudest else 0
        data = []
        for low, high in zip(self.mins, self.maxs, strict=True):
            data += [max(round(low * scale), -128), min(round(high * scale), 127)]
        document = {
            "version": VERSION,
            "channels": 1,
            "sample_rate": SAMPLE_RATE,
            "samples_per_pixel": self.samples_per_pixel,
            "bits": BITS,
            "length": len(self.mins),
            "data": data,
        }
        return json.dumps(document, separators=(",", ":"))


class PeaksReader:
    """Reads the samples ffmpeg writes to a pipe, in a thread, into :class:`Peaks`.

    ``arguments`` are the ffmpeg output options to add to a run that reads the master (the pipe's write
    end is passed to ffmpeg by its number, ``pass_fds``); ``result()`` waits for ffmpeg to close it. The
    pipe is always drained, even after an error here, so that ffmpeg is never left blocked writing.
    """

    def __init__(self, duration_ms: int, limit: int | None = None):
        self.peaks = Peaks.for_duration(duration_ms, limit)
        self.error: Exception | None = None
        read_end, self.write_end = os.pipe()
        self.arguments = [
            *("-map", "0:a:0", "-ac", "1", "-ar", str(SAMPLE_RATE)),
            *("-c:a", "pcm_s16le", "-f", "s16le", f"pipe:{self.write_end}"),
        ]
        self.pass_fds = (self.write_end,)
        self._thread = threading.Thread(target=self._drain, args=(read_end,), daemon=True)
        self._thread.start()

    def started(self) -> None:
        """ffmpeg has its copy of the write end: close ours, so the reader sees the end when ffmpeg exits."""
        if self.write_end is not None:
            os.close(self.write_end)
            self.write_end = None

    def _drain(self, read_end: int) -> None:
        rest = b""
        with os.fdopen(read_end, "rb") as pipe:
            while chunk := pipe.read(CHUNK_BYTES):
                if self.error is not None:
                    continue
                try:
                    chunk, rest = rest + chunk, b""
                    if len(chunk) % 2:  # a sample split between two reads
                        chunk, rest = chunk[:-1], chunk[-1:]
                    if chunk:
                        self.peaks.feed(np.frombuffer(chunk, dtype="<i2"))
                except Exception as error:  # noqa: BLE001 - the waveform is optional; the pipe must drain
                    self.error = error

    def result(self) -> str | None:
        """The waveform JSON, or None when no samples came or reading them failed (logged): the rendition
        is made all the same, without a waveform."""
        self.started()
        self._thread.join()
        if self.error is not None:
            logger.error("The waveform could not be computed", exc_info=self.error)
            return None
        return self.peaks.as_json() if self.peaks.mins else None


@contextmanager
def reading_peaks(duration_ms: int, limit: int | None = None):
    """A :class:`PeaksReader` whose pipe is closed however the ffmpeg run ends."""
    reader = PeaksReader(duration_ms, limit)
    try:
        yield reader
    finally:
        reader.started()
        reader._thread.join()
