"""Transcripts that come along with an imported episode (issue 19).

Where an item's ``podcast:transcript`` is WebVTT, SRT or Podcasting 2.0 JSON, its text becomes the
episode's transcript, so that search, concept moments and the player work at once without transcribing
again. Transcripts are the transcripts app's, a layer above this one, so this module only fetches the
files (outside the episode's transaction, as the audio) and hands them over through two Wagtail hooks,
which the transcripts app implements in its ``wagtail_hooks.py``:

- ``TRANSCRIPT_WANTED_HOOK``: ``fn(audio) -> bool``, whether an imported transcript would be used for
  audio already here (not when it has a finished transcript of its content, or an editor's); asked
  before anything is fetched, so that a re-run fetches nothing for episodes that have theirs.
- ``TRANSCRIPT_IMPORT_HOOK``: ``fn(audio, file: TranscriptFile) -> str``, make the file the audio's
  transcript and say what it held; raises ValueError, with a message for the editor, for a file that is
  not a transcript of this audio. Called inside the episode's transaction.

A file that cannot be fetched or read is a note; new audio is then transcribed as any upload is (its
transcription is queued when the episode's transaction commits). Other formats (HTML, plain text) stay
links on the episode.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from wagtail import hooks

from .data import FeedItem
from .fetch import Fetcher, FetchError

TRANSCRIPT_WANTED_HOOK = "import_feed_transcript_wanted"
TRANSCRIPT_IMPORT_HOOK = "import_feed_transcript"
TRANSCRIPT_MAX_BYTES = 2 * 1024 * 1024  # a three-hour WebVTT file is about 300 KB
# The formats imported as transcripts, best first: JSON and WebVTT can name speakers, SRT cannot.
IMPORTED_TYPES = ("application/json", "text/vtt", "application/x-subrip")


@dataclass(frozen=True)
class TranscriptFile:
    url: str
    mime_type: str  # one of IMPORTED_TYPES
    language: str
    content: bytes


def fetch_transcripts(
    item: FeedItem, audio, fetcher: Fetcher, notes: list[str]
) -> list[TranscriptFile] | None:
    """The item's importable transcript files, best first; None when there is nothing to import (no such
    file, no transcripts app, or ``audio``, already here, needs none). ``audio`` is None for audio not
    stored yet. An empty list: there were files, and none could be fetched (each is a note)."""
    refs = sorted(
        (ref for ref in item.transcripts if ref.mime_type in IMPORTED_TYPES),
        key=lambda ref: IMPORTED_TYPES.index(ref.mime_type),
    )
    if not refs or not hooks.get_hooks(TRANSCRIPT_IMPORT_HOOK):
        return None
    if audio is not None and not any(wanted(audio) for wanted in hooks.get_hooks(TRANSCRIPT_WANTED_HOOK)):
        return None
    files = []
    for ref in refs:
        try:
            content = fetcher.read(fetcher.resolve(ref.url), TRANSCRIPT_MAX_BYTES)
        except FetchError as exc:
            notes.append(f"transcript {ref.url} not fetched: {exc}")
            continue
        files.append(TranscriptFile(ref.url, ref.mime_type, ref.language, content))
    return files


def import_transcript(
    audio, files: list[TranscriptFile] | None, *, new_audio: bool, notes: list[str]
) -> bool:
    """Make the first of ``files`` that reads as a transcript of ``audio`` its transcript; True if one did.
    Each file that does not is a note, and so is what happens to the audio instead."""
    if files is None:
        return False
    for file in files:
        for make in hooks.get_hooks(TRANSCRIPT_IMPORT_HOOK):
            try:
                with transaction.atomic():  # a savepoint: a file that fails leaves nothing behind
                    described = make(audio, file)
            except ValueError as exc:
                notes.append(f"transcript {file.url} not imported: {exc}")
                continue
            notes.append(f"transcript imported from {file.url}: {described}")
            return True
    if new_audio:
        notes.append("no transcript could be imported: the audio is queued for transcription instead")
    else:
        notes.append("no transcript could be imported: the audio's transcript is left as it is")
    return False
