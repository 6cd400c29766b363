"""Making a delivery file from a master with ffmpeg: EBU R128 loudness normalisation in two passes, then a
constant-bitrate MP3 at 44.1 kHz, or another format a show asks for (``formats``: AAC in M4A, Opus).

Pass 1 measures the master (``loudnorm=print_format=json``); pass 2 applies the measured values with
``linear=true``, so the whole file gets one gain where the true-peak limit allows it (loudnorm falls back to
its dynamic mode by itself when it does not). ffmpeg reads and writes the files: nothing here holds the
audio in memory, however long the episode. A master that is already podcast-ready (MP3, 44.1 kHz, CBR at
48 to 192 kbit/s, loudness within 1 LU of the target, true peak under the limit) is not re-encoded: its
audio stream is copied. Pass 1 runs for every master, so the same ffmpeg run also sends the decoded audio
to the player's waveform (``waveform.py``): the master is decoded once for both.

Timing: LAME delays its output by about 1100 samples and pads the end, and records both in the LAME tag of
the MP3's first (Xing/Info) frame, which ffmpeg writes and decoders use to trim them. The result is
decoded again after encoding and its duration compared with the master's, so that every ``?t=`` link,
chapter and transcript time lands on the same word in the rendition. AAC's priming samples are trimmed
by the MP4 edit list ffmpeg writes, Opus's by the pre-skip of its Ogg header; the same check covers them.

Pass 1 does not depend on the output format, so a master's measurement (``Measurement.as_json``) is kept
with its first rendition and given to the others (``measured=``): the master is read once for it.

Every failure is an :class:`EncodeError` whose message is written for the editor.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from mutagen import MutagenError
from mutagen.mp3 import MP3, BitrateMode

from . import formats
from .formats import OutputSpec
from .waveform import PeaksReader, reading_peaks

# The rendition must last as long as the master, to this many milliseconds.
TIMING_TOLERANCE_MS = 50
# A master within this many LU of the target needs no normalising (EBU R128 allows +-1 LU for live).
LOUDNESS_TOLERANCE_LU = 1.0
SAMPLE_RATE = formats.MP3.sample_rate
READY_BITRATES = range(48_000, 192_001)
LOUDNESS_RANGE = 11  # loudnorm's LRA target; speech rarely reaches it, so it seldom matters

Progress = Callable[[float], None]


class EncodeError(Exception):
    """The rendition could not be made; the message says why, in words an editor understands."""


@dataclass(frozen=True)
class Targets:
    integrated: float  # LUFS
    true_peak: float  # dBTP
    bitrate: int  # bit/s

    @classmethod
    def for_channels(cls, channels: int, spec: OutputSpec = formats.MP3) -> Targets:
        mono = channels == 1
        return cls(
            integrated=float(settings.DELIVERY_LOUDNESS_MONO if mono else settings.DELIVERY_LOUDNESS_STEREO),
            true_peak=float(settings.DELIVERY_TRUE_PEAK),
            bitrate=spec.bitrate(channels),
        )


@dataclass(frozen=True)
class Measurement:
    """loudnorm's report: the input's integrated loudness, true peak, range and gating threshold."""

    integrated: float
    true_peak: float
    lra: float
    threshold: float
    offset: float
    output_integrated: float | None = None
    output_true_peak: float | None = None

    @property
    def measurable(self) -> bool:
        """Silence (or a file of a few samples) has no integrated loudness: nothing to normalise."""
        return math.isfinite(self.integrated) and self.integrated > -70

    def as_json(self, targets: Targets, master_ms: int) -> dict | None:
        """Pass 1's result as kept with a rendition, for the master's other renditions to reuse: the
        values, the targets they were measured for (loudnorm's offset depends on them) and how long the
        master lasted decoded. None for silence, whose values are not finite (JSON has no infinity)."""
        values = (self.integrated, self.true_peak, self.lra, self.threshold, self.offset)
        if not all(value is not None and math.isfinite(value) for value in values):
            return None
        return {
            "integrated": self.integrated,
            "true_peak": self.true_peak,
            "lra": self.lra,
            "threshold": self.threshold,
            "offset": self.offset,
            "targets": [targets.integrated, targets.true_peak],
            "master_ms": master_ms,
        }

    @classmethod
    def from_json(cls, data: dict | None, targets: Targets) -> tuple[Measurement, int] | None:
        """The measurement and the master's decoded duration kept by ``as_json``, or None when there is
        none, it was made for other targets, or it is not whole."""
        try:
            if data["targets"] != [targets.integrated, targets.true_peak]:
                return None
            fields = ("integrated", "true_peak", "lra", "threshold", "offset")
            measurement = cls(**{name: float(data[name]) for name in fields})
            return measurement, int(data["master_ms"])
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class Source:
    """What ffprobe says about the master's first audio stream."""

    codec: str
    sample_rate: int
    channels: int
    bitrate: int | None
    constant_bitrate: bool = False


@dataclass(frozen=True)
class Result:
    duration_ms: int
    channels: int
    bitrate: int
    sample_rate: int
    copied: bool
    before: Measurement
    after: Measurement | None
    waveform: str | None = None  # the player's peaks (JSON, see waveform.py), made in pass 1
    measurement: dict | None = None  # pass 1's result, for the master's other renditions (as_json)


def ffmpeg() -> str:
    return getattr(settings, "FFMPEG_BINARY", "ffmpeg")


def probe(path: Path) -> Source:
    command = [ffmpeg().replace("ffmpeg", "ffprobe"), "-v", "error", "-select_streams", "a:0"]
    command += ["-show_entries", "stream=codec_name,sample_rate,channels,bit_rate", "-of", "json", str(path)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    streams = json.loads(done.stdout or "{}").get("streams") if done.returncode == 0 else None
    if not streams:
        raise EncodeError(_unreadable(done.stderr))
    stream = streams[0]
    codec = stream.get("codec_name", "")
    return Source(
        codec=codec,
        sample_rate=int(stream.get("sample_rate") or 0),
        channels=int(stream.get("channels") or 0),
        bitrate=int(stream["bit_rate"]) if str(stream.get("bit_rate", "")).isdigit() else None,
        constant_bitrate=codec == "mp3" and _mp3_is_cbr(path),
    )


def _mp3_is_cbr(path: Path) -> bool:
    """mutagen reads the Xing/Info frame: "Info" (LAME, ffmpeg) marks a constant bitrate, "Xing" a variable
    one; without either, a file whose frames all have one bitrate is CBR by the MPEG headers."""
    try:
        info = MP3(path).info
    except MutagenError:
        return False
    return info.bitrate_mode in (BitrateMode.CBR, BitrateMode.UNKNOWN) and round(info.bitrate / 1000) % 8 == 0


def measure(
    path: Path,
    targets: Targets,
    duration_ms: int,
    progress: Progress | None = None,
    peaks: PeaksReader | None = None,
) -> tuple[Measurement, int]:
    """Pass 1: loudnorm's measurement of the whole master, and how long it lasts decoded (ms). With
    ``peaks``, the same run also sends the decoded audio to the waveform's reader (one decode, not two)."""
    loudnorm = _loudnorm(targets) + ":print_format=json"
    extra, fds = (peaks.arguments, peaks.pass_fds) if peaks is not None else ([], ())
    log, decoded_ms = _run(
        [*_input(path), "-af", loudnorm, "-f", "null", "-", *extra], duration_ms, progress, pass_fds=fds
    )
    return _report(log), decoded_ms


def encode(
    master: Path,
    output: Path,
    *,
    duration_ms: int,
    progress: Progress | None = None,
    spec: OutputSpec = formats.MP3,
    measured: dict | None = None,
) -> Result:
    """Make the rendition of ``master`` in ``spec``'s format (MP3 by default) at ``output``. ``measured``
    is pass 1's result for this master kept by an earlier rendition (``Result.measurement``); when it fits,
    pass 1 is skipped. Progress goes 0 to 1 over both passes."""
    source = probe(master)
    channels = 1 if source.channels == 1 else 2
    targets = Targets.for_channels(channels, spec)

    def part(start: float, share: float) -> Progress | None:
        return None if progress is None else (lambda fraction: progress(start + share * fraction))

    # The master's other formats reuse pass 1 when an earlier rendition kept it; the waveform (which only
    # the site's player, playing the MP3, shows) is made by the pass that does run.
    known = Measurement.from_json(measured, targets) if measured else None
    waveform = None
    if known is not None:
        (before, master_ms), encoding = known, part(0, 1)
    else:
        with reading_peaks(duration_ms) as peaks:
            before, master_ms = measure(master, targets, duration_ms, part(0, 0.5), peaks)
            waveform = peaks.result()
        encoding = part(0.5, 0.5)
    if is_ready(source, before, targets, spec):
        _run([*_input(master), "-c:a", "copy", *spec.output_arguments(output)], duration_ms, encoding)
        result_after, copied, bitrate, channels = (
            before,
            True,
            source.bitrate or targets.bitrate,
            source.channels,
        )
    else:
        filters = []
        if before.measurable:
            filters.append(
                _loudnorm(targets)
                + f":measured_I={before.integrated}:measured_TP={before.true_peak}"
                + f":measured_LRA={before.lra}:measured_thresh={before.threshold}"
                + f":offset={before.offset}:linear=true:print_format=json"
            )
        filters.append(f"aresample={spec.sample_rate}")  # loudnorm works at 192 kHz
        log, _ = _run(
            [
                *_input(master),
                "-af",
                ",".join(filters),
                *spec.codec_arguments(channels),
                *spec.output_arguments(output),
            ],
            duration_ms,
            encoding,
        )
        result_after = _report(log) if before.measurable else None
        copied, bitrate = False, targets.bitrate
        if result_after is not None:
            result_after = Measurement(
                integrated=result_after.output_integrated,
                true_peak=result_after.output_true_peak,
                lra=result_after.lra,
                threshold=result_after.threshold,
                offset=result_after.offset,
            )
    decoded_ms = decoded_duration_ms(output)
    if abs(decoded_ms - master_ms) > TIMING_TOLERANCE_MS:
        raise EncodeError(
            f"The prepared file lasts {decoded_ms / 1000:.3f} s but the master {master_ms / 1000:.3f} s; "
            "it was not published, so that links to moments stay right. Please tell the site's operators."
        )
    if progress is not None:
        progress(1.0)
    return Result(
        duration_ms=decoded_ms,
        channels=channels,
        bitrate=bitrate,
        sample_rate=spec.sample_rate,
        copied=copied,
        before=before,
        after=result_after if not copied else before,
        waveform=waveform,
        measurement=before.as_json(targets, master_ms),
    )


def is_ready(source: Source, measured: Measurement, targets: Targets, spec: OutputSpec = formats.MP3) -> bool:
    """Whether the master is already podcast-ready in ``spec``'s codec (an MP3 for the MP3, an AAC master
    for the M4A) at the target, to be copied rather than encoded."""
    return (
        spec.copy_codec is not None
        and source.codec == spec.copy_codec
        and source.sample_rate == spec.sample_rate
        and source.bitrate is not None
        and source.bitrate in READY_BITRATES
        and (source.constant_bitrate or not spec.copy_needs_cbr)
        and measured.measurable
        and abs(measured.integrated - targets.integrated) <= LOUDNESS_TOLERANCE_LU
        and measured.true_peak <= targets.true_peak
    )


def decoded_duration_ms(path: Path) -> int:
    """How long the file lasts once decoded (encoder delay and padding trimmed), from a full decode."""
    return _run([*_input(path), "-f", "null", "-"], None, None)[1]


def _input(path: Path) -> list[str]:
    return ["-i", str(path), "-map", "0:a:0", "-vn", "-sn", "-dn"]


def _loudnorm(targets: Targets) -> str:
    return f"loudnorm=I={targets.integrated}:TP={targets.true_peak}:LRA={LOUDNESS_RANGE}"


def _run(
    arguments: list[str], duration_ms: int | None, progress: Progress | None, pass_fds: tuple[int, ...] = ()
) -> tuple[str, int]:
    """Run ffmpeg, reporting progress from ``-progress pipe:1``; returns its log (stderr) and the duration
    it decoded (ms). The log goes to a temporary file rather than a pipe: a broken master can make ffmpeg
    write an error per frame. ``pass_fds``: pipes an extra output writes to (the waveform's)."""
    command = [ffmpeg(), "-hide_banner", "-nostdin", "-nostats", "-y", "-progress", "pipe:1", *arguments]
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as log:
        process = subprocess.Popen(  # noqa: S603
            command, stdout=subprocess.PIPE, stderr=log, text=True, pass_fds=pass_fds
        )
        out_us = 0
        try:
            for line in process.stdout:
                if line.startswith("out_time_us="):
                    value = line.partition("=")[2].strip()
                    if value.lstrip("-").isdigit():
                        out_us = max(out_us, int(value))
                        if progress is not None and duration_ms:
                            progress(min(out_us / (duration_ms * 1000), 1.0))
        finally:
            process.stdout.close()
            returncode = process.wait()
        log.seek(0)
        text = log.read()
    if returncode != 0:
        raise EncodeError(_explain(text))
    return text, round(out_us / 1000)


def _report(log: str) -> Measurement:
    start = log.rfind("{")
    try:
        data = json.loads(log[start : log.index("}", start) + 1])
    except ValueError as error:
        raise EncodeError("ffmpeg did not report the loudness of the audio; it may hold no sound.") from error

    def number(key):
        value = data.get(key)
        return float(value) if value not in (None, "") else None

    return Measurement(
        integrated=number("input_i"),
        true_peak=number("input_tp"),
        lra=number("input_lra"),
        threshold=number("input_thresh"),
        offset=number("target_offset"),
        output_integrated=number("output_i"),
        output_true_peak=number("output_tp"),
    )


_PATH = re.compile(r"\S*/\S*:\s*")
_NO_SPACE = re.compile(r"No space left on device|Disk quota exceeded", re.IGNORECASE)


def _explain(log: str) -> str:
    if _NO_SPACE.search(log):
        raise OSError(28, "No space left on device")  # described by the caller, as a storage failure
    return _unreadable(log)


def _unreadable(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if line.strip() and not line.startswith("  ")]
    # ffmpeg names the file by its path: the editor is told what went wrong, not where the server keeps it.
    detail = _PATH.sub("", lines[-1])[:200] if lines else "no details"
    return (
        "ffmpeg could not read the audio of the master file, so no file for listeners was made "
        f"(ffmpeg said: {detail}). The master is kept as it is; export it again from your recording "
        "software and upload it, or try again."
    )
