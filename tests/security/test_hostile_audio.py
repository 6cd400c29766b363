"""A fuzz of the audio validator: real files of every accepted format, cut, overwritten, padded with junk
and given other formats' magic numbers, are either accepted with sane metadata or refused with one of the
validator's own messages, never with another exception, and never after a long wait.

The validator is ``episodes.audioinfo.inspect_audio``, which the upload form calls; the same bytes also go
through the form (``AudioFileUploadForm``), which must agree: valid exactly when the validator accepts.
"""

import hashlib
import math
import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from episodes.audioinfo import FORMATS, AudioError, AudioInfo, inspect_audio
from episodes.uploads import AudioFileUploadForm

pytestmark = pytest.mark.django_db

# A generous bound, only to catch a hang or a runaway loop (speed targets belong in bench/).
HANG_SECONDS = 5
FORMAT_FILES = ["mp3", "m4a", "aac", "opus", "ogg", "flac", "wav"]

# The start of each container the validator knows (and some it refuses), to graft onto another's bytes.
MAGIC = [
    b"ID3\x04\x00\x00\x00\x00\x00\x00",
    b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f",  # a tag that claims 256 MB
    b"\xff\xfb\x90\x64",  # MPEG-1 layer III frame header
    b"\xff\xf1\x50\x80\x02\x1f\xfc",  # ADTS AAC
    b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom",
    b"\xff\xff\xff\xffmoov",  # an MP4 atom that claims 4 GB
    b"OggS\x00\x02" + b"\x00" * 20,
    b"fLaC\x00\x00\x00\x22",
    b"fLaC\x7f\xff\xff\xff",  # a metadata block that claims 16 MB
    b"RIFF\xff\xff\xff\x7fWAVEfmt ",
    b"FORM\x00\x00\x00\x00AIFF",
    b"MThd\x00\x00\x00\x06",
    b"\x30\x26\xb2\x75\x8e\x66\xcf\x11",  # ASF (WMA)
    b"wvpk",
    b"MAC ",
    b"<!DOCTYPE html><html>",
    b"\x89PNG\r\n\x1a\n",
]

# Every refusal the validator writes, by its opening words: each is written for an editor.
EDITOR_MESSAGES = re.compile(
    r"^(The file is empty\. |The file is .* larger than the limit |This file looks like audio but cannot be "
    r"read|This file is not audio\. |.+ files are not accepted for podcasts\. |The file holds no playable "
    r"audio|This file starts like an MP3, but |This file is cut short: )"
)


def position(size: int):
    """Somewhere in the first kilobyte (where the headers are) or anywhere in the file."""
    return st.one_of(st.integers(0, min(size, 1024)), st.integers(0, size))


@st.composite
def mutated(draw, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["truncate", "overwrite", "insert", "delete", "magic"]))
        size = len(data)
        if kind == "truncate":
            del data[draw(position(size)) :]
        elif kind == "overwrite":
            for _ in range(draw(st.integers(1, 16))):
                if data:
                    data[draw(position(size - 1))] = draw(st.integers(0, 255))
        elif kind == "insert":
            at = draw(position(size))
            data[at:at] = draw(st.one_of(st.binary(min_size=1, max_size=64), st.sampled_from(MAGIC)))
        elif kind == "delete":
            at = draw(position(size))
            del data[at : at + draw(st.integers(1, 4096))]
        else:  # another format's magic number before (or instead of) the file's start
            magic = draw(st.sampled_from(MAGIC))
            data[: draw(st.sampled_from([0, len(magic)]))] = magic
    return bytes(data)


class Originals(dict):
    """The untouched files by extension (shown by name only when hypothesis reports a failing case)."""

    def __repr__(self):
        return f"<tone files: {', '.join(self)}>"


@pytest.fixture(scope="module")
def originals(audio_dir):
    return Originals((ext, (audio_dir / f"tone.{ext}").read_bytes()) for ext in FORMAT_FILES)


@pytest.mark.parametrize("ext", FORMAT_FILES)
@hypothesis_settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_mutated_file_is_accepted_with_sane_metadata_or_refused_with_an_editor_message(
    originals, ext, data
):
    """Input: a 3-second tone in each accepted format, cut at any point, with bytes overwritten, junk or
    another format's magic number inserted, or a slice removed. Bad input: ``AudioError`` with one of the
    validator's messages (and the form's error on the file field); any other exception fails the test."""
    sample = data.draw(mutated(originals[ext]), label="file")

    started = time.monotonic()
    try:
        info = inspect_audio(SimpleUploadedFile(f"fuzzed.{ext}", sample))
    except AudioError as error:
        info, message = None, str(error)
        assert EDITOR_MESSAGES.match(message), message
    elapsed = time.monotonic() - started
    assert elapsed < HANG_SECONDS, f"the validator took {elapsed:.1f} s"

    if info is not None:
        assert isinstance(info, AudioInfo) and info.format in FORMATS.values()
        assert info.duration_ms >= 0 and math.isfinite(info.duration_ms)
        assert info.bitrate >= 0 and info.size == len(sample)
        assert info.sha256 == hashlib.sha256(sample).hexdigest()
        assert info.sample_rate is None or info.sample_rate > 0
        assert info.channels is None or info.channels >= 0

    form = AudioFileUploadForm(
        data={"title": "Fuzzed"}, files={"file": SimpleUploadedFile(f"fuzzed.{ext}", sample)}, for_user=None
    )
    assert form.is_valid() == (info is not None), form.errors
    if info is None:
        assert form.errors["file"] == [message]
