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
EXTENSIONS = sorted({fmt.extension for fmt in FORMATS.values()})
MIME_TYPES = {fmt.extension: fmt.mime_type for fmt in FORMATS.values()}


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


def check_size(size: int | None) -> None:
    """Reject empty and oversized files from their declared size, before any byte is read."""
    if not size:
        raise AudioError("The file is empty. Choose an audio file that has sound in it.")
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
            f"Export it again and upload {ACCEPTED_LABELS}. (Detail: {type(exc).__name__}: {exc})"
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


def _sha256(fileobj) -> str:
    digest = hashlib.sha256()
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(CHUNK_SIZE), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def inspect_audio(fileobj, size: int | None = None) -> AudioInfo:
    """Validate an audio file by its content and describe it.

    ``size`` is the size the upload declares; it is checked before anything is read. Raises
    :class:`AudioError` for an empty, oversized, corrupt or non-audio file.
    """
    if size is None:
        size = getattr(fileobj, "size", None)
    check_size(size)

    parsed = _parse(fileobj, getattr(fileobj, "name", "") or "")
    fmt = FORMATS.get(type(parsed).__name__)
    if fmt is None:
        raise AudioError(
            f"{type(parsed).__name__} files are not accepted for podcasts. Upload {ACCEPTED_LABELS}."
        )
    info = parsed.info
    length = getattr(info, "length", 0) or 0
    if length <= 0:
        raise AudioError("The file holds no playable audio (its duration is zero).")

    bitrate = int(getattr(info, "bitrate", 0) or 0)
    if not bitrate:
        bitrate = round(size * 8 / length)
    sample_rate = getattr(info, "sample_rate", None)
    if sample_rate is None and fmt.extension == "opus":
        sample_rate = 48_000  # Opus always decodes at 48 kHz
    return AudioInfo(
        format=fmt,
        duration_ms=round(length * 1000),
        bitrate=bitrate,
        sample_rate=sample_rate,
        channels=getattr(info, "channels", None),
        size=size,
        sha256=_sha256(fileobj),
    )
