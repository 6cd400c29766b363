"""Decoding audio for Whisper a window at a time, so that an hour-long episode is never held whole.

Whisper wants 16 kHz mono float32 samples. Decoding a 60-minute file in one piece, as faster-whisper's
``decode_audio`` does, holds about 350 MB at its peak (the 16-bit buffer and its float32 copy); here the
file is decoded as a stream and handed on in windows of a few minutes, so the peak is set by the window,
not the episode.

A window must not end in the middle of a word: each one is cut at the quietest 20 ms within the last
seconds before its nominal end (speech has gaps between words far longer than that), and the rest is
carried into the next window. Times of each window are given as its offset from the start of the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import av
import numpy as np

SAMPLING_RATE = 16000
FRAME = SAMPLING_RATE // 50  # 20 ms, the unit in which a quiet cut point is looked for


class AudioDecodeError(Exception):
    """The file cannot be decoded as audio (corrupt, truncated, not audio at all)."""


@dataclass(frozen=True)
class Window:
    offset_ms: int
    samples: np.ndarray  # float32, mono, SAMPLING_RATE

    @property
    def duration_ms(self) -> int:
        return round(len(self.samples) * 1000 / SAMPLING_RATE)


def duration_ms(path: str) -> int:
    """The duration the container declares (0 when it declares none), without decoding anything."""
    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            if container.duration:
                return round(container.duration * 1000 / av.time_base)
            stream = container.streams.audio[0]
            if stream.duration and stream.time_base:
                return round(float(stream.duration * stream.time_base) * 1000)
            return 0
    except (av.error.FFmpegError, OSError, IndexError, ValueError) as error:
        raise AudioDecodeError(str(error) or type(error).__name__) from error


def quiet_cut(samples: np.ndarray, search: int) -> int:
    """Where to end a window of int16 ``samples``: the end of the quietest 20 ms frame in the last
    ``search`` samples (the latest such frame when several are equally quiet)."""
    start = max(len(samples) - search, 0)
    tail = samples[start:].astype(np.float32)
    frames = len(tail) // FRAME
    if frames < 2:
        return len(samples)
    energy = np.square(tail[: frames * FRAME].reshape(frames, FRAME)).mean(axis=1)
    quietest = frames - 1 - int(np.argmin(energy[::-1]))
    return start + (quietest + 1) * FRAME


def windows(path: str, *, window_seconds: float = 300, search_seconds: float = 10) -> Iterator[Window]:
    """The audio at ``path`` as consecutive windows of about ``window_seconds`` (the last one shorter).

    Raises ``AudioDecodeError`` when the file cannot be opened or decoded, before the first window or
    while iterating.
    """
    target = int(window_seconds * SAMPLING_RATE)
    search = min(int(search_seconds * SAMPLING_RATE), target // 2)
    pending: list[np.ndarray] = []
    pending_samples = 0
    offset = 0  # samples already handed on
    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AudioDecodeError("The file has no audio stream.")
            resampler = av.audio.resampler.AudioResampler(format="s16", layout="mono", rate=SAMPLING_RATE)
            for frame in _frames(container, resampler):
                pending.append(frame)
                pending_samples += len(frame)
                if pending_samples < target + search:
                    continue
                buffer = np.concatenate(pending)
                cut = quiet_cut(buffer[: target + search], 2 * search)
                yield Window(offset_ms=round(offset * 1000 / SAMPLING_RATE), samples=_float(buffer[:cut]))
                offset += cut
                pending, pending_samples = [buffer[cut:]], len(buffer) - cut
    except (av.error.FFmpegError, OSError, ValueError) as error:
        raise AudioDecodeError(str(error) or type(error).__name__) from error
    if pending_samples:
        yield Window(offset_ms=round(offset * 1000 / SAMPLING_RATE), samples=_float(np.concatenate(pending)))
    elif not offset:
        raise AudioDecodeError("No audio could be decoded from the file.")


def _frames(container, resampler) -> Iterator[np.ndarray]:
    """Mono int16 sample arrays, skipping the odd undecodable frame as faster-whisper does (a damaged
    frame in a long MP3 should not lose the whole episode)."""
    decoded = container.decode(audio=0)
    while True:
        try:
            frame = next(decoded)
        except StopIteration:
            break
        except av.error.InvalidDataError:
            continue
        for resampled in resampler.resample(frame):
            yield resampled.to_ndarray().reshape(-1)
    for resampled in resampler.resample(None):
        yield resampled.to_ndarray().reshape(-1)


def _float(samples: np.ndarray) -> np.ndarray:
    return samples.astype(np.float32) / 32768.0
