"""Transcripts belong to audio files, not pages: the same audio is transcribed once, wherever it is used.

A Transcript keeps its own state (status, progress, heartbeat, attempts) because the task queue's
database backend has no lease or retry: a worker that dies leaves its task RUNNING forever, so stale work
is found from the transcript's heartbeat instead.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from wagtail.search import index as search_index

from episodes.models import AudioFile


class TranscriptQuerySet(models.QuerySet):
    """Which transcript a visitor may see, defined once: every page, file, feed, search, concept and
    learning path that shows a transcript or its lines asks here (issue 13)."""

    def finished(self):
        """Finished and of the audio's present content, held for review or not: nothing to transcribe."""
        return self.filter(status=Transcript.DONE, audio_sha256=models.F("audio__sha256"))

    def current(self):
        """Finished, of the audio's present content and not held for review: the transcript a page playing
        the audio shows. A replaced file (new content, new sha256) leaves its old transcript out, corrected or
        not, until it is transcribed again; a transcript held for review (``Transcript.held``, e.g. an
        English-only model given German) stays out until an editor approves it. The page's own visibility is
        Wagtail's to check when it serves the page."""
        return self.finished().filter(held=False)

    def published(self):
        """``current`` transcripts of audio that a live page without view restrictions uses: what may be
        listed for anyone (feed, search, concept pages, learning paths)."""
        return self.current().filter(audio__in=AudioFile.objects.public())

    def shown_with(self, audio) -> Transcript | None:
        """The ``current`` transcript of one audio file, or None: for a page that plays it."""
        transcript = self.current().filter(audio=audio).first()
        if transcript is not None:
            transcript.audio = audio
        return transcript


class SegmentQuerySet(models.QuerySet):
    def published(self):
        """Lines of ``Transcript.objects.published()`` transcripts."""
        return self.filter(transcript__in=Transcript.objects.published())


class Transcript(models.Model):
    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    STATUSES = [(QUEUED, "Queued"), (RUNNING, "Running"), (DONE, "Done"), (FAILED, "Failed")]

    audio = models.OneToOneField("episodes.AudioFile", on_delete=models.CASCADE, related_name="transcript")
    status = models.CharField(max_length=10, choices=STATUSES, default=QUEUED, db_index=True)
    progress = models.FloatField(default=0, help_text="0 to 1 while running.")
    audio_sha256 = models.CharField(
        "audio SHA-256", max_length=64, blank=True, help_text="The audio content this transcript is of."
    )
    engine = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=255, blank=True)
    language = models.CharField(max_length=35, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    edited = models.BooleanField(default=False, help_text="An editor has corrected this transcript.")
    held = models.BooleanField(
        "held for review",
        default=False,
        help_text="Stored but shown nowhere until an editor approves it (held_reason says why).",
    )
    held_reason = models.TextField(blank=True)
    speakers_note = models.TextField(
        blank=True, help_text="Why the last run's lines name no speakers (turned off, model missing, failed)."
    )
    voices = models.JSONField(
        default=dict,
        blank=True,
        help_text="A voice print per speaker name, so that a re-run gives the same voices the same names.",
    )
    edited_at = models.DateTimeField(null=True, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = TranscriptQuerySet.as_manager()

    class Meta:
        ordering = ["-queued_at"]

    def __str__(self):
        return f"Transcript of {self.audio}"

    @property
    def is_current(self) -> bool:
        """Whether the transcript is of the audio's present content (a replaced file needs a new one), for
        the admin's warnings. What a visitor may see is ``Transcript.objects.current`` and ``published``."""
        return self.audio_sha256 == self.audio.sha256


class Segment(search_index.Indexed, models.Model):
    """A timed stretch of speech. ``words`` holds ``[start_ms, end_ms, text, probability]`` lists.

    Searchable, so that a search hit can point at a moment; segments are written in bulk, so the search
    app indexes them when their transcript changes rather than on each save (``search_auto_update``).
    """

    transcript = models.ForeignKey(Transcript, on_delete=models.CASCADE, related_name="segments")
    index = models.PositiveIntegerField()
    start_ms = models.PositiveIntegerField()
    end_ms = models.PositiveIntegerField()
    text = models.TextField()
    speaker = models.CharField(max_length=100, blank=True)
    words = models.JSONField(default=list, blank=True)

    search_fields = [
        search_index.SearchField("text"),
        search_index.FilterField("id"),
        search_index.FilterField("transcript"),
    ]
    search_auto_update = False

    objects = SegmentQuerySet.as_manager()

    class Meta:
        ordering = ["transcript", "index"]
        constraints = [
            models.UniqueConstraint(fields=["transcript", "index"], name="unique_segment_index"),
            models.CheckConstraint(
                condition=models.Q(end_ms__gte=models.F("start_ms")), name="segment_ends_after_start"
            ),
        ]

    def __str__(self):
        return self.text[:80]


class TranscriptRevision(models.Model):
    """A transcript's segments as they were just before something replaced or changed them.

    Every change that can undo an editor's work keeps one first: a save in the segment editor, a re-run, an
    import, a restore. Restoring a revision brings its segments back (see ``editing.restore``).
    """

    EDIT, RERUN, IMPORT, RESTORE = "edit", "rerun", "import", "restore"
    REASONS = [
        (EDIT, "Before an editor's corrections"),
        (RERUN, "Before a re-run"),
        (IMPORT, "Before an import"),
        (RESTORE, "Before restoring a revision"),
    ]

    transcript = models.ForeignKey(Transcript, on_delete=models.CASCADE, related_name="revisions")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=10, choices=REASONS)
    # Where the segments came from, so that a restore brings back the whole transcript, not only its text.
    audio_sha256 = models.CharField("audio SHA-256", max_length=64, blank=True)
    engine = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=255, blank=True)
    language = models.CharField(max_length=35, blank=True)
    edited = models.BooleanField(default=False)
    segment_count = models.PositiveIntegerField(default=0)
    segments = models.JSONField(
        default=list, blank=True, help_text="[{start_ms, end_ms, text, speaker, words}, ...] in order."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_reason_display()}, {self.created_at:%Y-%m-%d %H:%M}"


SNAPSHOT_FIELDS = ("start_ms", "end_ms", "text", "speaker", "words")


def snapshot(transcript: Transcript, reason: str, user=None) -> TranscriptRevision | None:
    """Keep ``transcript``'s present segments as a revision, before they are replaced or changed.

    Returns the revision that holds them: a new one, or the newest one when it already holds exactly these
    segments (a re-run asked for in the admin is kept at once, and the run finds it kept when it ends).
    None when there are no segments to keep. Call it in the transaction that then changes the segments.
    """
    rows = list(transcript.segments.order_by("index").values(*SNAPSHOT_FIELDS))
    if not rows:
        return None
    latest = transcript.revisions.first()
    if latest is not None and latest.segments == rows:
        return latest
    return TranscriptRevision.objects.create(
        transcript=transcript,
        user=user if user is not None and user.is_authenticated else None,
        reason=reason,
        audio_sha256=transcript.audio_sha256,
        engine=transcript.engine,
        model=transcript.model,
        language=transcript.language,
        edited=transcript.edited,
        segment_count=len(rows),
        segments=rows,
    )
