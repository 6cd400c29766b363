"""Audio is checked by its content before it is saved, and described from what mutagen reads.

Bad files go through ``create_audio_file``, the admin form's own checks outside the admin, so each case also
proves that a refused file leaves no row and no stored file behind.
"""

import hashlib
import io
import random
import re
import shutil
import struct
import subprocess

import mutagen
import mutagen.aac
import pytest
from django.conf import settings

from episodes.audioinfo import AudioError, inspect_audio
from episodes.models import AudioFile
from episodes.uploads import create_audio_file
from tests.audio import require

pytestmark = pytest.mark.django_db

NOT_READABLE = "This file looks like audio but cannot be read; it may be damaged or cut short."
NOT_AUDIO = "This file is not audio."
CUT_SHORT = "This file is cut short"


def stored_files():
    root = settings.MEDIA_ROOT
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def refuse(path, *expected_phrases):
    """Upload ``path``, expect a refusal that says every phrase, and prove nothing was kept."""
    with pytest.raises(AudioError) as refused:
        create_audio_file(path, title="Refused")
    for phrase in expected_phrases:
        assert phrase in str(refused.value)
    assert not AudioFile.objects.exists()
    assert stored_files() == []
    return str(refused.value)


def noise(size, seed=0):
    return random.Random(seed).randbytes(size)  # noqa: S311 (repeatable noise, not secrets)


def without_id3(mp3: bytes) -> bytes:
    """The MPEG frames of an MP3, its ID3v2 tag removed (the tag size is four 7-bit bytes)."""
    assert mp3[:3] == b"ID3"
    size = 0
    for byte in mp3[6:10]:
        size = size << 7 | byte
    return mp3[10 + size :]


# Refused files ----------------------------------------------------------------------------------------------


def test_an_empty_file_is_refused(tmp_path):
    empty = tmp_path / "episode.mp3"
    empty.write_bytes(b"")

    refuse(empty, "The file is empty")


def test_an_empty_file_is_refused_by_the_inspector_too():
    with pytest.raises(AudioError, match="The file is empty"):
        inspect_audio(io.BytesIO(b""))


def test_an_mp3_tag_followed_by_noise_makes_mutagen_raise_and_is_refused(tmp_path, audio_dir):
    data = (audio_dir / "tone.mp3").read_bytes()[:10] + noise(20_000)
    with pytest.raises(mutagen.MutagenError):  # the premise: mutagen itself raises on this file
        mutagen.File(io.BytesIO(data))
    corrupt = tmp_path / "episode.mp3"
    corrupt.write_bytes(data)

    message = refuse(corrupt, NOT_READABLE, "Export it again")
    assert "(Detail: can't sync to MPEG frame)" in message


def test_a_flac_cut_inside_its_header_is_refused(tmp_path, audio_dir):
    corrupt = tmp_path / "episode.flac"
    corrupt.write_bytes((audio_dir / "tone.flac").read_bytes()[:200])

    refuse(corrupt, NOT_READABLE)


def test_an_mp3_cut_after_its_header_is_refused_though_mutagen_accepts_it(tmp_path, audio_dir):
    data = (audio_dir / "tone.mp3").read_bytes()[:600]
    parsed = mutagen.File(io.BytesIO(data))
    assert type(parsed).__name__ == "MP3"  # mutagen only reads the header, which announces 3 s
    assert parsed.info.length > 2.9
    cut = tmp_path / "episode.mp3"
    cut.write_bytes(data)

    message = refuse(cut, CUT_SHORT, "announces 3 s of audio")
    assert re.search(r"holds only [1-9]% of it", message)


def test_a_wav_cut_short_is_refused(tmp_path, audio_dir):
    data = (audio_dir / "tone.wav").read_bytes()
    cut = tmp_path / "episode.wav"
    cut.write_bytes(data[: len(data) // 2])

    refuse(cut, CUT_SHORT, "holds only 50% of it")


def test_an_mp3_whose_frames_turn_to_noise_is_refused(tmp_path):
    # Without a Xing header, mutagen checks that frames follow each other. Two valid frames, then noise:
    # it finds the stream but cannot follow it, and calls the file "sketchy".
    plain = tmp_path / "plain.mp3"
    subprocess.run(
        [require("ffmpeg"), "-loglevel", "error", "-f", "lavfi", "-i", "sine=duration=1"]
        + ["-c:a", "libmp3lame", "-b:a", "64k", "-write_xing", "0", "-id3v2_version", "0", str(plain)],
        check=True,
    )
    data = plain.read_bytes()[:400] + noise(20_000)
    assert mutagen.File(io.BytesIO(data)).info.sketchy
    plain.unlink()
    damaged = tmp_path / "episode.mp3"
    damaged.write_bytes(data)

    refuse(damaged, "starts like an MP3, but the audio after its first bytes is damaged")


def test_an_opus_file_without_audio_pages_is_refused(tmp_path, audio_dir):
    data = (audio_dir / "tone.opus").read_bytes()[:200]
    assert type(mutagen.File(io.BytesIO(data))).__name__ == "OggOpus"
    headers_only = tmp_path / "episode.opus"
    headers_only.write_bytes(data)

    refuse(headers_only, "no playable audio")


@pytest.mark.parametrize(
    "exception",
    [
        mutagen.MutagenError("bad atom"),
        struct.error("unpack requires a buffer of 4 bytes"),
        EOFError(),
        IndexError("index out of range"),
        ValueError("negative seek"),
        AssertionError(),
        OverflowError("too large"),
        UnicodeDecodeError("ascii", b"\xff", 0, 1, "ordinal not in range"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_any_exception_from_mutagen_becomes_an_editor_message(monkeypatch, audio_dir, exception):
    def broken(*args, **kwargs):
        raise exception

    monkeypatch.setattr(mutagen, "File", broken)

    refuse(audio_dir / "tone.mp3", NOT_READABLE, "(Detail: ")


def test_any_exception_from_the_aac_fallback_becomes_an_editor_message(monkeypatch, tmp_path):
    class BrokenAAC(mutagen.aac.AAC):  # still scores like AAC inside mutagen.File
        def __init__(self, *args, **kwargs):
            raise struct.error("unpack requires a buffer")

    monkeypatch.setattr(mutagen.aac, "AAC", BrokenAAC)
    unknown = tmp_path / "episode.aac"
    unknown.write_bytes(noise(5_000))

    refuse(unknown, NOT_AUDIO)


def test_a_web_page_named_mp3_is_refused(tmp_path):
    page = tmp_path / "episode.mp3"
    page.write_text("<!DOCTYPE html>\n<html><head><title>Episode 1</title></head><body>Listen</body></html>")

    refuse(page, NOT_AUDIO, "Its name ends in .mp3, but its content is not MP3", "web page or an image")


def test_an_svg_named_mp3_is_refused(tmp_path):
    image = tmp_path / "episode.mp3"
    image.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
    )

    refuse(image, NOT_AUDIO, "Its name ends in .mp3")


def test_random_bytes_without_a_name_are_refused():
    with pytest.raises(AudioError, match=r"^This file is not audio\. Its content is not MP3"):
        inspect_audio(io.BytesIO(noise(5_000)))


def test_an_audio_format_podcast_apps_do_not_play_is_named_and_refused(tmp_path):
    aiff = tmp_path / "episode.aiff"
    subprocess.run(
        [require("ffmpeg"), "-loglevel", "error", "-f", "lavfi", "-i", "sine=duration=0.2", str(aiff)],
        check=True,
    )

    refuse(aiff, "AIFF files are not accepted for podcasts", "MP3, M4A/AAC, Ogg Opus/Vorbis, FLAC or WAV")


def test_an_oversized_file_is_refused(settings, audio_dir):
    settings.AUDIO_MAX_UPLOAD_BYTES = 10_000

    refuse(audio_dir / "tone.mp3", "larger than the limit of 9.8\xa0KB", "AUDIO_MAX_UPLOAD_BYTES")


class Unreadable(io.BytesIO):
    """A file whose bytes must not be read: only its size may be known."""

    def read(self, *args):
        raise AssertionError("the file was read")


def test_the_size_is_checked_before_anything_is_read(settings):
    settings.AUDIO_MAX_UPLOAD_BYTES = 1000

    with pytest.raises(AudioError, match="larger than the limit"):
        inspect_audio(Unreadable(b"x" * 5000), 5000)


def test_without_a_declared_size_the_size_is_found_without_reading(settings):
    settings.AUDIO_MAX_UPLOAD_BYTES = 1000

    with pytest.raises(AudioError, match="The file is 4.9\xa0KB, larger than the limit"):
        inspect_audio(Unreadable(b"x" * 5000))


def test_a_file_longer_than_it_declares_is_still_held_to_the_limit(settings, audio_dir):
    settings.AUDIO_MAX_UPLOAD_BYTES = 20_000
    data = (audio_dir / "tone.mp3").read_bytes()
    assert len(data) > 20_000

    with pytest.raises(AudioError, match="larger than the limit"):
        inspect_audio(io.BytesIO(data), 1000)


# Accepted files ---------------------------------------------------------------------------------------------

FORMATS = {
    "mp3": ("audio/mpeg", "mp3"),
    "m4a": ("audio/mp4", "m4a"),
    "aac": ("audio/aac", "aac"),
    "opus": ("audio/ogg", "opus"),
    "ogg": ("audio/ogg", "ogg"),
    "flac": ("audio/flac", "flac"),
    "wav": ("audio/wav", "wav"),
}


@pytest.mark.parametrize("ext", FORMATS)
def test_each_podcast_format_is_accepted_with_its_type(audio_dir, ext):
    mime_type, extension = FORMATS[ext]

    audio = create_audio_file(audio_dir / f"tone.{ext}", title="Tone")

    assert (audio.mime_type, audio.extension) == (mime_type, extension)
    assert audio.content_type == mime_type
    assert audio.file.name.endswith(f".{extension}")
    assert audio.url.endswith(f".{extension}")
    assert stored_files() == [settings.MEDIA_ROOT / audio.file.name]


def test_the_type_comes_from_the_content_not_the_name(tmp_path, audio_dir):
    disguised = tmp_path / "episode.mp3"
    shutil.copy(audio_dir / "tone.wav", disguised)

    audio = create_audio_file(disguised, title="")

    assert (audio.mime_type, audio.extension) == ("audio/wav", "wav")
    assert audio.file.name.endswith(".wav")
    assert audio.url.endswith(".wav")
    assert audio.title == "episode"


def test_an_mp3_without_tags_or_a_telling_name_is_accepted(tmp_path, audio_dir):
    bare = tmp_path / "recording.bin"
    bare.write_bytes(without_id3((audio_dir / "tone.mp3").read_bytes()))

    audio = create_audio_file(bare, title="Bare")

    assert (audio.mime_type, audio.extension) == ("audio/mpeg", "mp3")
    assert 2900 <= audio.duration_ms <= 3100


# Metadata ---------------------------------------------------------------------------------------------------

# Lossy encoders add priming and padding samples that not every container lets mutagen subtract.
TOLERANCE_MS = {"mp3": 100, "m4a": 100, "aac": 100, "opus": 10, "ogg": 10, "flac": 1, "wav": 1}
# Plausible bitrates (bit/s) for the encodings in tests/audio.py: 64k MP3/AAC, 32k Opus, Vorbis q2.
BITRATE = {
    "mp3": (60_000, 68_000),
    "m4a": (56_000, 72_000),
    "aac": (56_000, 72_000),
    "opus": (24_000, 48_000),
    "ogg": (16_000, 112_000),
    "flac": (16_000, 705_600),
    "wav": (705_600, 705_600),  # 44100 Hz x 16 bit x 1 channel
}


@pytest.mark.parametrize("ext", FORMATS)
def test_metadata_is_read_from_a_three_second_tone(audio_dir, ext):
    path = audio_dir / f"tone.{ext}"

    audio = create_audio_file(path, title="Tone")

    assert abs(audio.duration_ms - 3000) <= TOLERANCE_MS[ext]
    assert audio.sample_rate == (48_000 if ext == "opus" else 44_100)
    # M4A reports the MP4 sample entry's channel count, which ffmpeg writes as 2 even for mono AAC.
    assert audio.channels == (2 if ext == "m4a" else 1)
    low, high = BITRATE[ext]
    assert low <= audio.bitrate <= high
    assert audio.size == path.stat().st_size
    assert audio.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert audio.file.read() == path.read_bytes()


def test_metadata_of_a_stereo_48k_file(audio_dir):
    path = audio_dir / "stereo48k.flac"

    audio = create_audio_file(path, title="Stereo")

    assert audio.duration_ms == 2000
    assert (audio.sample_rate, audio.channels) == (48_000, 2)
    assert audio.size == path.stat().st_size
    assert audio.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
