"""Transcripts that come with an episode imported from another host's feed (``manage.py import_feed``).

The episodes app fetches the files an item's ``podcast:transcript`` tags name and hands them over through
its hooks (``episodes.importing.transcripts``); here they become the audio's transcript exactly as an
editor's import of a caption file does (``editing.import_captions``): marked as imported (engine
"import", the file's name as its model), kept from automatic re-runs, and announced through
``transcript_changed``, so that search indexes the lines and concepts find their moments at once.

WebVTT and SRT are read by the admin's own import (``editing.read_captions``); WebVTT voice spans name the
speakers. Podcasting 2.0 JSON (``{"segments": [{"speaker", "startTime", "endTime", "body"}]}``) is read
here: hosts write it a segment per cue or a segment per word; words are joined into lines as a
transcription's are (``lines.split_lines``), a change of speaker always starting a new line.
"""

from __future__ import annotations

import json
import math
import os
from urllib.parse import unquote, urlsplit

from .editing import MAX_IMPORT_BYTES, TOLERANCE_MS, Captions, import_captions, read_captions
from .engines.base import SegmentResult, Word
from .lines import split_lines
from .models import Transcript

KINDS = {"application/json": "json", "text/vtt": "vtt", "application/x-subrip": "srt"}


def wanted(audio) -> bool:
    """Whether a transcript from the feed would be used for ``audio``: not when it has a finished
    transcript of its present content, nor one an editor corrected or imported."""
    transcript = Transcript.objects.filter(audio=audio).first()
    if transcript is None:
        return True
    done = transcript.status == Transcript.DONE and transcript.audio_sha256 == audio.sha256
    return not (done or transcript.edited)


def import_from_feed(audio, file) -> str:
    """Make ``file`` (an ``episodes.importing.transcripts.TranscriptFile``) the transcript of ``audio``;
    returns what it held, in a few words. Raises ValueError with the reason when it is not a transcript
    of this audio."""
    kind = KINDS.get(file.mime_type)
    if kind is None:
        raise ValueError(f"{file.mime_type} is not a transcript format that can be imported")
    stem = os.path.splitext(os.path.basename(unquote(urlsplit(file.url).path)))[0] or "transcript"
    name = f"{stem}.{kind}"
    if kind == "json":
        captions = read_podcast_json(file.content, audio.duration_ms)
    else:
        captions = read_captions(name, file.content, audio.duration_ms)
    import_captions(audio, captions, name=name, user=None, language=file.language[:35] or None)
    speakers = sorted({segment["speaker"] for segment in captions.segments if segment.get("speaker")})
    said = f"{len(captions.segments)} lines"
    if speakers:
        said += f", speakers {', '.join(speakers)}"
    return said


def read_podcast_json(data: bytes, duration_ms: int) -> Captions:
    """A Podcasting 2.0 JSON transcript read for import into a transcript of audio ``duration_ms`` long.
    Raises ValueError: not JSON, not a transcript, no segment with text, or times past the audio's end."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ValueError(f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB")
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a JSON file ({exc})") from exc
    entries = document.get("segments") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError('not a Podcasting 2.0 JSON transcript: it has no list of "segments"')
    words: list[Word] = []
    speaker_of: dict[int, str] = {}
    empty = 0
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise ValueError(f"segment {number} is not an object")
        start, end = _seconds(entry.get("startTime")), _seconds(entry.get("endTime"))
        if start is None or end is None or end < start:
            raise ValueError(f"segment {number} has no valid startTime and endTime (in seconds)")
        body = " ".join(str(entry.get("body") or "").split())
        if not body:
            empty += 1
            continue
        if end > duration_ms + TOLERANCE_MS:
            raise ValueError(
                f"segment {number} ends at {end / 1000:g} s, after the end of the audio "
                f"({duration_ms / 1000:g} s). Is this the transcript of another recording?"
            )
        word = Word(start, end, body, None)
        words.append(word)
        speaker_of[id(word)] = " ".join(str(entry.get("speaker") or "").split())[:100]
    if not words:
        raise ValueError("its segments have no text")
    if sum(" " in word.text for word in words) * 2 < len(words):
        # Mostly single words: joined into lines, cut at sentence ends, pauses and changes of speaker.
        lines = split_lines(
            [SegmentResult(w.start_ms, w.end_ms, w.text, (w,)) for w in words],
            speaker_of=lambda w: speaker_of[id(w)] or None,
        )
        segments = [
            {
                "start_ms": line.start_ms,
                "end_ms": line.end_ms,
                "text": line.text,
                "speaker": line.speaker,
                "words": [[w.start_ms, w.end_ms, w.text, w.probability] for w in line.words],
            }
            for line in lines
        ]
    else:
        segments = [
            {"start_ms": w.start_ms, "end_ms": w.end_ms, "text": w.text, "speaker": speaker_of[id(w)]}
            for w in words
        ]
    return Captions("json", segments, empty)


def _seconds(value) -> int | None:
    """Seconds (a number, or a string of one, as some hosts write them) as milliseconds."""
    if isinstance(value, bool):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return round(seconds * 1000)
