"""Checking and describing uploaded audio.

The type is decided by the content, never by the file name: mutagen parses the bytes, and only the
containers that podcast apps play are accepted. Every failure becomes an :class:`AudioError` whose message
is written for the editor who uploaded the file.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import mutagen
import mutagen.aac
from django.conf import settings
from django.template.defaultfilters import filesizeformat

CHUNK_SIZE = 64 * 1024
# A header that announces more audio than the file holds means an upload or export that was cut short.
# WAV and MP3 headers state their data size exactly; some slack allows for MP3 frames of varying size.
MIN_COMPLETE_RATIO = 0.8


@dataclass(frozen=True)
class AudioFormat:
    label: str
    mime_type: str
    extension: str


# mutagen's class name -> what we publish. M4A/AAC covers both the MP4 container and raw ADTS streams.
FORMATS: dict[str, AudioFormat] = {
    "MP3": AudioFormat("MP3", "audio/mpeg", "mp3"),
    "MP4": AudioFormat("M4A (AAC)", "audio/mp4", "m4a"),
    "AAC": AudioFormat("AAC", "audio/aac", "aac"),
    "OggOpus": AudioFormat("Ogg Opus", "audio/ogg", "opus"),
    "OggVorbis": AudioFormat("Ogg Vorbis", "audio/ogg", "ogg"),
    "FLAC": AudioFormat("FLAC", "audio/flac", "flac"),
    "WAVE": AudioFormat("WAV", "audio/wav", "wav"),
}
ACCEPTED_LABELS = "MP3, M4A/AAC, Ogg Opus/Vorbis, FLAC or WAV"
# mutagen's class name -> what editors call the formats we refuse.
REFUSED_LABELS = {
    "AC3": "Dolby Digital (AC-3)",
    "AIFF": "AIFF",
    "APEv2File": "APE-tagged",
    "ASF": "Windows Media (WMA)",
    "DSDIFF": "DSD (DFF)",
    "DSF": "DSD (DSF)",
    "ID3FileType": "ID3-tagged",
    "MonkeysAudio": "Monkey's Audio (APE)",
    "Musepack": "Musepack",
    "OggFLAC": "FLAC in Ogg",
    "OggSpeex": "Speex",
    "OggTheora": "Ogg Theora video",
    "OptimFROG": "OptimFROG",
    "SMF": "MIDI",
    "TAK": "TAK",
    "TrueAudio": "TrueAudio",
    "WavPack": "WavPack",
}
EXTENSIONS = sorted({fmt.extension for fmt in FORMATS.values()})
MIME_TYPES = {fmt.extension: fmt.mime_type for fmt in FORMATS.values()}
EMPTY_MESSAGE = "The file is empty. Choose an audio file that has sound in it."


class AudioError(ValueError):
    """The file cannot be published as audio; the message says why, in words an editor understands."""


@dataclass(frozen=True)
class AudioInfo:
    format: AudioFormat
    duration_ms: int
    bitrate: int  # bits per second
    sample_rate: int | None
    channels: int | None
    size: int
    sha256: str


class _Anonymous:
    """A file object without a name, so that mutagen cannot guess the type from the extension."""

    def __init__(self, fileobj):
        self._f = fileobj

    def read(self, *args):
        return self._f.read(*args)

    def seek(self, *args):
        return self._f.seek(*args)

    def tell(self):
        return self._f.tell()


def max_upload_bytes() -> int:
    return settings.AUDIO_MAX_UPLOAD_BYTES


def _size_without_reading(fileobj) -> int:
    """The size of an open file, found by seeking to its end (nothing is read)."""
    fileobj.seek(0, os.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    return size


def check_size(size: int) -> None:
    """Reject an empty or oversized file: from its declared size before any byte is read, and again from
    the bytes counted while hashing, in case the declaration was wrong."""
    if not size:
        raise AudioError(EMPTY_MESSAGE)
    limit = max_upload_bytes()
    if size > limit:
        raise AudioError(
            f"The file is {filesizeformat(size)}, larger than the limit of {filesizeformat(limit)}. "
            "Export it at a lower bitrate or ask an administrator to raise AUDIO_MAX_UPLOAD_BYTES."
        )


def _parse(fileobj, name: str = "") -> mutagen.FileType:
    fileobj.seek(0)
    try:
        parsed = mutagen.File(_Anonymous(fileobj))
    except Exception as exc:  # mutagen raises many types (MutagenError, struct.error, EOFError...)
        raise AudioError(
            "This file looks like audio but cannot be read; it may be damaged or cut short. "
            f"Export it again and upload {ACCEPTED_LABELS}. (Detail: {str(exc) or type(exc).__name__})"
        ) from exc
    if parsed is not None:
        return parsed
    # Raw ADTS AAC has no magic number mutagen scores without a file name; try it explicitly.
    fileobj.seek(0)
    try:
        return mutagen.aac.AAC(_Anonymous(fileobj))
    except Exception as exc:
        extension = os.path.splitext(name)[1].lower()
        named = f"Its name ends in {extension}, but its" if extension else "Its"
        raise AudioError(
            f"This file is not audio. {named} content is not MP3, M4A/AAC, Ogg, FLAC or WAV "
            f"(it may be a web page or an image renamed). Upload {ACCEPTED_LABELS}."
        ) from exc


def _sha256(fileobj) -> tuple[str, int]:
    """The file's SHA-256 and its real size, which a caller's declared size must not override."""
    digest = hashlib.sha256()
    size = 0
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(CHUNK_SIZE), b""):
        digest.update(chunk)
        size += len(chunk)
        check_size(size)  # a file longer than it said: stop as soon as it passes the limit
    fileobj.seek(0)
    return digest.hexdigest(), size


def _check_complete(parsed: mutagen.FileType, size: int) -> None:
    """Refuse audio whose header is intact but whose data is damaged or missing.

    mutagen only reads headers: it accepts an MP3 cut after its first frames, because the header still
    announces the whole duration, and a WAV cut anywhere. Podcast apps would show the announced length and
    then stop early, so such files are refused here.
    """
    info = parsed.info
    if getattr(info, "sketchy", False):  # MP3: no run of valid frames after the first sync
        raise AudioError(
            "This file starts like an MP3, but the audio after its first bytes is damaged. "
            f"Export it again and upload {ACCEPTED_LABELS}."
        )
    if type(parsed).__name__ not in ("MP3", "WAVE"):
        return  # other formats' headers do not state how much data follows (or only a nominal rate)
    announced = info.bitrate * info.length / 8
    if announced and size < announced * MIN_COMPLETE_RATIO:
        raise AudioError(
            f"This file is cut short: its header announces {_minutes_seconds(info.length)} of audio, "
            f"but the file holds {_share(size / announced)} of it. Upload the complete file "
            "(check that the export or download finished)."
        )


def _share(ratio: float) -> str:
    return f"only {ratio:.0%}" if ratio >= 0.01 else "less than 1%"


def _minutes_seconds(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


def inspect_audio(fileobj, size: int | None = None) -> AudioInfo:
    """Validate an audio file by its content and describe it.

    ``size`` is the size the upload declares; it is checked before anything is read. Raises
    :class:`AudioError` for an empty, oversized, corrupt or non-audio file.
    """
    if size is None:
        size = getattr(fileobj, "size", None)
    if size is None:
        size = _size_without_reading(fileobj)
    check_size(size)

    parsed = _parse(fileobj, getattr(fileobj, "name", "") or "")
    kind = type(parsed).__name__
    fmt = FORMATS.get(kind)
    if fmt is None:
        raise AudioError(
            f"{REFUSED_LABELS.get(kind, kind)} files are not accepted for podcasts. "
            f"Export the audio again as {ACCEPTED_LABELS}."
        )
    info = parsed.info
    length = getattr(info, "length", 0) or 0
    if length <= 0:
        raise AudioError(
            "The file holds no playable audio (its duration is zero); it may be cut short. "
            f"Export it again and upload {ACCEPTED_LABELS}."
        )
    sha256, size = _sha256(fileobj)
    _check_complete(parsed, size)

    bitrate = int(getattr(info, "bitrate", 0) or 0)
    if not bitrate:
        bitrate = round(size * 8 / length)
    sample_rate = getattr(info, "sample_rate", None)
    if sample_rate is None and fmt.extension == "opus":
        sample_rate = 48_000  # Opus always decodes at 48 kHz
    # For M4A this is the MP4 sample entry's count, which ffmpeg sets to 2 even for mono AAC.
    channels = getattr(info, "channels", None)
    return AudioInfo(
        format=fmt,
        duration_ms=round(length * 1000),
        bitrate=bitrate,
        sample_rate=sample_rate,
        channels=channels,
        size=size,
        sha256=sha256,
    )
