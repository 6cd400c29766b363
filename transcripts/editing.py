"""What an editor does to a transcript in the admin: correct its segments, name its speakers, import a caption
file instead of transcribing, restore a revision, ask for a re-run.

Each change keeps the segments as they were in a revision first (``models.snapshot``), in the same
transaction as the change, and marks the transcript edited, so that no automatic run replaces it; a re-run the
editor asks for keeps the corrections as a revision too. Afterwards ``transcript_changed`` tells the feeds
and the concept links. The transcript's row is locked for the change, so that a run finishing at the same
moment (see ``transcribing._store``) waits for it, or it for the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from episodes.timecodes import format_timecode

from .formats import parse_srt, parse_vtt
from .models import Segment, Transcript, TranscriptRevision, snapshot
from .transcribing import BATCH_SIZE, request_transcription, transcript_changed
from .words import retime

# Segment times may run this far past the audio's measured end: decoders and caption tools round
# differently, and a caption often stays up a moment after the last word.
TOLERANCE_MS = 1000
MAX_IMPORT_BYTES = 2 * 1024 * 1024  # a three-hour WebVTT file is about 300 KB
IMPORT_EXTENSIONS = {".vtt": "vtt", ".srt": "srt"}
IMPORT_ENGINE = "import"

EDITABLE_FIELDS = ("start_ms", "end_ms", "speaker", "text")


class Conflict(Exception):
    """The segments changed since the editor loaded them (another editor, an import, a re-run)."""


def latest_end_ms(audio) -> int:
    """The latest time a segment of ``audio`` may end at."""
    return audio.duration_ms + TOLERANCE_MS


def _locked(transcript: Transcript) -> Transcript:
    return Transcript.objects.select_for_update().select_related("audio").get(pk=transcript.pk)


def _edited_now(user) -> dict:
    return {
        "edited": True,
        "edited_at": timezone.now(),
        "edited_by": user if user is not None and user.is_authenticated else None,
    }


def _reorder(transcript: Transcript) -> None:
    """Number the segments 0, 1, 2... in order of their start (then their old order), as the editor sees
    them: an edited start may move a segment past its neighbours, a deletion leaves a gap."""
    rows = transcript.segments.order_by("start_ms", "index").values_list("pk", "index")
    moved = [Segment(pk=pk, index=new) for new, (pk, old) in enumerate(rows) if old != new]
    if not moved:
        return
    # Out of the way first: each index is unique within the transcript at every moment.
    Segment.objects.filter(pk__in=[s.pk for s in moved]).update(index=F("index") + 10_000_000)
    Segment.objects.bulk_update(moved, ["index"], batch_size=500)


def correct_segments(
    transcript: Transcript, changes: Mapping[int, Mapping], deletions: Iterable[int], user
) -> tuple[int, int]:
    """Apply an editor's corrections. ``changes`` maps a segment's id to its values (``start_ms``,
    ``end_ms``, ``speaker``, ``text``), ``deletions`` names segments to remove. Only segments whose values
    differ are written; a new text or new times re-time the words (``words.retime``). Raises ``Conflict``
    if a segment is no longer there. Returns (changed, deleted).
    """
    deletions = set(deletions)
    with transaction.atomic():
        locked = _locked(transcript)
        wanted = set(changes) | deletions
        segments = {s.pk: s for s in locked.segments.filter(pk__in=wanted)}
        if len(segments) != len(wanted):
            raise Conflict("Some of these segments are no longer in the transcript.")
        changed = []
        for pk, values in changes.items():
            segment = segments[pk]
            if pk in deletions or all(getattr(segment, f) == values[f] for f in EDITABLE_FIELDS):
                continue
            timed = (segment.text, segment.start_ms, segment.end_ms)
            for field in EDITABLE_FIELDS:
                setattr(segment, field, values[field])
            if (segment.text, segment.start_ms, segment.end_ms) != timed:
                # The words the editor left alone keep their timings; follow-along and moments use them.
                segment.words = retime(segment.words, segment.text, segment.start_ms, segment.end_ms)
            changed.append(segment)
        if not changed and not deletions:
            return 0, 0
        snapshot(locked, TranscriptRevision.EDIT, user)
        Segment.objects.bulk_update(changed, (*EDITABLE_FIELDS, "words"), batch_size=BATCH_SIZE)
        locked.segments.filter(pk__in=deletions).delete()
        _reorder(locked)
        Transcript.objects.filter(pk=locked.pk).update(**_edited_now(user))
    transcript_changed(locked)
    return len(changed), len(deletions)


def speakers(transcript: Transcript) -> list[tuple[str, int]]:
    """The transcript's speaker labels with how many segments each has, most segments first."""
    rows = (
        transcript.segments.exclude(speaker="")
        .values("speaker")
        .annotate(n=Count("pk"))
        .order_by("-n", "speaker")
        .values_list("speaker", "n")
    )
    return list(rows)


def rename_speaker(transcript: Transcript, old: str, new: str, user) -> int:
    """Give every segment labelled ``old`` the label ``new`` (e.g. "Speaker 1" -> a person's name).
    Returns how many segments changed."""
    return name_speakers(transcript, {old: new}, user)


def name_speakers(transcript: Transcript, names: Mapping[str, str], user) -> int:
    """Rename speakers across the whole transcript at once: ``names`` maps a label the segments have now
    to its new name (two labels given one name become one speaker). The voice print of each label goes
    with its name, so that a re-run gives that voice the same name. One revision
    keeps the segments as they were. Returns how many segments changed."""
    names = {old: " ".join(new.split()) for old, new in names.items()}
    names = {old: new for old, new in names.items() if old and new and old != new}
    if not names:
        return 0
    with transaction.atomic():
        locked = _locked(transcript)
        rows = list(locked.segments.filter(speaker__in=names).values_list("pk", "speaker"))
        if not rows:
            return 0
        snapshot(locked, TranscriptRevision.EDIT, user)
        Segment.objects.bulk_update(
            [Segment(pk=pk, speaker=names[speaker]) for pk, speaker in rows], ["speaker"], batch_size=500
        )
        voices = locked.voices
        # All at once, so that swapping two names (Speaker 1 <-> Speaker 2) keeps each voice with its name.
        moved = {old: voices.get(old, []) for old in names}
        voices = {name: prints for name, prints in voices.items() if name not in names}
        for old, new in names.items():
            voices[new] = voices.get(new, []) + moved[old]
        voices = {name: prints for name, prints in voices.items() if prints}
        Transcript.objects.filter(pk=locked.pk).update(voices=voices, **_edited_now(user))
    transcript_changed(locked)
    return len(rows)


def _replace_segments(transcript: Transcript, rows: Iterable[Mapping]) -> int:
    transcript.segments.all().delete()
    ordered = sorted(rows, key=lambda row: row["start_ms"])  # stable: equal starts keep the file's order
    Segment.objects.bulk_create(
        [
            Segment(
                transcript=transcript,
                index=index,
                start_ms=row["start_ms"],
                end_ms=row["end_ms"],
                text=row["text"],
                speaker=row.get("speaker") or "",
                words=row.get("words") or [],
            )
            for index, row in enumerate(ordered)
        ],
        batch_size=BATCH_SIZE,
    )
    return len(ordered)


def _finished_now() -> dict:
    now = timezone.now()
    return {"status": Transcript.DONE, "progress": 1, "error": "", "finished_at": now, "heartbeat_at": now}


def restore(revision: TranscriptRevision, user) -> Transcript:
    """Bring back the segments ``revision`` kept, keeping the present ones as a revision first.

    The restored transcript is DONE and counts as edited; a run queued or running meanwhile finds it
    changed and leaves it alone. It describes the audio content the revision was taken of, so if the
    file has been replaced since, it is not published until it is re-run or replaced.
    """
    with transaction.atomic():
        locked = _locked(revision.transcript)
        snapshot(locked, TranscriptRevision.RESTORE, user)
        _replace_segments(locked, revision.segments)
        Transcript.objects.filter(pk=locked.pk).update(
            audio_sha256=revision.audio_sha256,
            engine=revision.engine,
            model=revision.model,
            language=revision.language,
            **_finished_now(),
            **_edited_now(user),
        )
    locked.refresh_from_db()
    transcript_changed(locked)
    return locked


def rerun(transcript: Transcript, user) -> Transcript:
    """Transcribe again, as the editor asked: the present segments are kept as a revision now (with the
    editor's name), and the run replaces them when it finishes."""
    with transaction.atomic():
        locked = _locked(transcript)
        snapshot(locked, TranscriptRevision.RERUN, user)
        return request_transcription(locked.audio, force=True)


def approve(transcript: Transcript, user) -> bool:
    """Publish a transcript that was held for review (``Transcript.held``), as the editor decided. False
    when it was not held (approved meanwhile, or transcribed again)."""
    with transaction.atomic():
        approved = Transcript.objects.filter(pk=transcript.pk, held=True).update(held=False, held_reason="")
    if approved:
        transcript.refresh_from_db()
        transcript_changed(transcript)
    return bool(approved)


# ------------------------------------------------------------------------------------------------- import


@dataclass(frozen=True)
class Captions:
    """A caption file read for import: its format ("vtt" or "srt"), its segments, and how many empty cues
    were left out (a cue with no text has nothing to transcribe)."""

    kind: str
    segments: list[dict]
    empty_cues: int


def _kind(name: str, text: str) -> str:
    if text.startswith("WEBVTT"):
        return "vtt"
    kind = IMPORT_EXTENSIONS.get(os.path.splitext(name)[1].lower())
    if kind:
        return kind
    first = text.lstrip().split("\n", 1)[0].strip()
    if first.isdigit() or "-->" in first:
        return "srt"
    raise ValueError(
        "This is neither a WebVTT nor an SRT file. Choose a .vtt file (it starts with WEBVTT) or an .srt "
        "file (numbered cues with times like 00:01:02,500 --> 00:01:04,000)."
    )


def read_captions(name: str, data: bytes, duration_ms: int) -> Captions:
    """Read a WebVTT or SRT file for import into a transcript of audio ``duration_ms`` long.

    The format is told from the content (a WebVTT file starts with WEBVTT), else from the extension.
    Raises ValueError with a message for the editor: empty, too big, not UTF-8 text, not a caption file,
    malformed (naming the line), no cue with text, or a cue past the end of the audio.
    """
    if not data.strip():
        raise ValueError("The file is empty.")
    if len(data) > MAX_IMPORT_BYTES:
        raise ValueError(
            f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; is it really captions?"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ValueError(
            f"The file is not UTF-8 text (see line {line}): save it as UTF-8, then try again."
        ) from error
    kind = _kind(name, text)
    parsed = (parse_vtt if kind == "vtt" else parse_srt)(text)
    segments = [s for s in parsed if s["text"].strip()]
    if not segments:
        raise ValueError("The file's cues have no text.")
    limit = duration_ms + TOLERANCE_MS
    for n, segment in enumerate(parsed, start=1):
        if segment["end_ms"] > limit:
            where = f" (line {segment['line']})" if segment.get("line") else ""
            end, audio_end = (
                format_timecode(ms, precision="milliseconds", hours=True)
                for ms in (segment["end_ms"], duration_ms)
            )
            raise ValueError(
                f"Cue {n}{where} ends at {end}, after the end of the audio "
                f"({audio_end}). Is this the transcript of another recording?"
            )
    return Captions(kind, segments, len(parsed) - len(segments))


def import_captions(audio, captions: Captions, *, name: str, user, language: str | None = None) -> Transcript:
    """Make ``captions`` the transcript of ``audio`` (creating the transcript if it has none), keeping the
    present segments as a revision first. The transcript is then DONE, of the audio's present content and
    counts as edited; a run queued or running meanwhile finds it changed and leaves it alone."""
    with transaction.atomic():
        transcript, _ = Transcript.objects.get_or_create(audio=audio)
        locked = _locked(transcript)
        snapshot(locked, TranscriptRevision.IMPORT, user)
        _replace_segments(locked, captions.segments)
        fields = {"language": language} if language is not None else {}
        Transcript.objects.filter(pk=locked.pk).update(
            audio_sha256=audio.sha256,
            engine=IMPORT_ENGINE,
            model=os.path.basename(name)[:255],
            held=False,  # the editor's own captions: nothing left to approve
            held_reason="",
            **fields,
            **_finished_now(),
            **_edited_now(user),
        )
    locked.refresh_from_db()
    transcript_changed(locked)
    return locked


def speaker_samples(transcript: Transcript) -> list[dict]:
    """The transcript's speakers, most segments first, each with a sample line to listen to: its longest
    line of at most 15 seconds (a whole sentence, long enough to know the voice)."""
    samples = []
    for label, count in speakers(transcript):
        lines = transcript.segments.filter(speaker=label).annotate(length=F("end_ms") - F("start_ms"))
        sample = lines.filter(length__lte=15_000).order_by("-length", "index").first() or lines.first()
        samples.append({"label": label, "count": count, "sample": sample})
    return samples


def page_people(transcript: Transcript) -> list[str]:
    """The people the episodes and interviews that use the audio credit, in their order there."""
    from episodes.models import EpisodePerson, InterviewPerson

    audio_id = transcript.audio_id
    names = list(
        EpisodePerson.objects.filter(page__audio_id=audio_id)
        .order_by("page_id", "sort_order")
        .values_list("person__name", flat=True)
    )
    names += (
        InterviewPerson.objects.filter(page__audio_id=audio_id)
        .order_by("page_id", "sort_order")
        .values_list("person__name", flat=True)
    )
    return list(dict.fromkeys(name for name in names if name))


def speaker_suggestions(transcript: Transcript) -> list[str]:
    """Names to offer for speakers: the people of the episodes and interviews that use the audio first,
    then the labels already in the transcript, then everyone in the catalogue."""
    from episodes.models import EpisodePerson, InterviewPerson, Person

    audio_id = transcript.audio_id
    names = list(EpisodePerson.objects.filter(page__audio_id=audio_id).values_list("person__name", flat=True))
    names += InterviewPerson.objects.filter(page__audio_id=audio_id).values_list("person__name", flat=True)
    names += (
        transcript.segments.exclude(speaker="")
        .order_by("speaker")
        .values_list("speaker", flat=True)
        .distinct()
    )
    names += Person.objects.values_list("name", flat=True)
    return list(dict.fromkeys(name for name in names if name))
