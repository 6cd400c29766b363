"""Transcripts belong to audio files, not pages: the same audio is transcribed once, wherever it is used.

A Transcript keeps its own state (status, progress, heartbeat, attempts) because the task queue's
database backend has no lease or retry: a worker that dies leaves its task RUNNING forever, so stale work
is found from the transcript's heartbeat instead.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


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
    edited_at = models.DateTimeField(null=True, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-queued_at"]

    def __str__(self):
        return f"Transcript of {self.audio}"

    @property
    def is_current(self) -> bool:
        """Whether the transcript is of the audio's present content (a replaced file needs a new one)."""
        return self.audio_sha256 == self.audio.sha256


class Segment(models.Model):
    """A timed stretch of speech. ``words`` holds ``[start_ms, end_ms, text, probability]`` lists."""

    transcript = models.ForeignKey(Transcript, on_delete=models.CASCADE, related_name="segments")
    index = models.PositiveIntegerField()
    start_ms = models.PositiveIntegerField()
    end_ms = models.PositiveIntegerField()
    text = models.TextField()
    speaker = models.CharField(max_length=100, blank=True)
    words = models.JSONField(default=list, blank=True)

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
