"""Delivery renditions: what listeners download, made from the master an editor uploaded (issue 14).

The master (``AudioFile``) is kept as it came; a rendition is a loudness-normalised file made from it by
ffmpeg in the background (``episodes.delivery``). Like the master's, a rendition's URL carries its own
content digest and ends in its extension, so it never serves other bytes. Replacing the master retires the
renditions made from the old content: they stay served for ``DELIVERY_GRACE_DAYS`` (apps mid-download),
then the scheduler deletes them and their files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from .shows import ShowPage

# Masters podcast apps take as they are: an episode with such a master is in the feed before (or without)
# its rendition, with the master as enclosure. Any other master waits for its rendition.
DELIVERABLE_AS_IS = frozenset({"mp3", "m4a"})


def rendition_upload_to(instance: AudioRendition, filename: str) -> str:
    return f"audio/renditions/{instance.sha256[:2]}/{filename}"


def grace_period() -> timedelta:
    return timedelta(days=getattr(settings, "DELIVERY_GRACE_DAYS", 7))


def enclosures(audio_ids) -> dict[int, dict]:
    """The ready MP3 rendition of each of these audio files, in one query: ``{audio_id: {sha256, size,
    duration_ms, bitrate}}``. Empty when delivery is off (the masters are the enclosures)."""
    return {
        audio_id: by_format[AudioRendition.MP3]
        for audio_id, by_format in ready_renditions(audio_ids, [AudioRendition.MP3]).items()
    }


def ready_renditions(audio_ids, formats=None) -> dict[int, dict[str, dict]]:
    """The ready renditions of these audio files in ``formats`` (all when None), in one query:
    ``{audio_id: {format: {sha256, size, duration_ms, bitrate}}}``. Empty when delivery is off."""
    if not getattr(settings, "DELIVERY_ENABLED", True):
        return {}
    rows = AudioRendition.objects.ready().filter(audio_id__in=audio_ids)
    if formats is not None:
        rows = rows.filter(format__in=formats)
    found: dict[int, dict[str, dict]] = {}
    for row in rows.values("audio_id", "format", "sha256", "size", "duration_ms", "bitrate"):
        found.setdefault(row["audio_id"], {})[row["format"]] = row
    return found


def formats_wanted(audio) -> list[str]:
    """The formats ``audio`` is delivered in: the MP3, and whatever extra formats the shows of the episodes
    using it ask for (the union, when several shows use it), in the order of ``FORMATS``."""
    parents = {path[: -ShowPage.steplen] for path in audio.episodes.values_list("path", flat=True)}
    wanted = {AudioRendition.MP3}
    for show in ShowPage.objects.filter(path__in=parents).only("deliver_aac", "deliver_opus"):
        wanted.update(show.delivery_formats())
    return [fmt for fmt, _ in AudioRendition.FORMATS if fmt in wanted]


def listed_without_rendition(extension: str) -> bool:
    """Whether an episode whose master has this extension may be in the feed with its master as enclosure."""
    return extension in DELIVERABLE_AS_IS or not getattr(settings, "DELIVERY_ENABLED", True)


@dataclass(frozen=True)
class Listening:
    """What the site's player plays: a URL, its type and size, and the waveform's URL when there is one."""

    url: str
    mime_type: str
    size: int
    waveform_url: str = ""


def listening(audio) -> Listening | None:
    """What a listener's browser plays for ``audio``, by the feed's rule: the ready MP3 rendition (one
    query, as ``enclosures``), else the master when podcast apps take it as it is or delivery is off.
    None while a master they would not take (WAV, FLAC, Ogg) waits for its rendition: the site offers
    listeners the same file as their podcast app.

    Remembered on the audio instance, so that a page's player, meta tags and JSON-LD (which all name
    this file) cost one query between them."""
    try:
        return audio._listening
    except AttributeError:
        audio._listening = _listening(audio)
        return audio._listening


def _listening(audio) -> Listening | None:
    if getattr(settings, "DELIVERY_ENABLED", True):
        row = (
            AudioRendition.objects.ready_for(audio)
            .filter(format=AudioRendition.MP3)
            .values("sha256", "size", "waveform")
            .first()
        )
        if row is not None:
            return Listening(
                url=AudioRendition.path_for(audio.pk, row["sha256"], AudioRendition.MP3),
                mime_type=AudioRendition.MIME_TYPES[AudioRendition.MP3],
                size=row["size"],
                waveform_url=AudioRendition.waveform_path_for(audio.pk, row["sha256"])
                if row["waveform"]
                else "",
            )
    if listed_without_rendition(audio.extension):
        return Listening(url=audio.url, mime_type=audio.content_type, size=audio.size)
    return None


# A re-tag still at work (or failed): it replaces its source only once it is done, so until then the source
# is the active rendition and this one is outside the "one active rendition per format" rule.
RETAG_AT_WORK = models.Q(retag_of__isnull=False) & ~models.Q(status="done")


class AudioRenditionQuerySet(models.QuerySet):
    def active(self):
        """Not retired: the renditions of the master's present content (or being made from it). A re-tag at
        work is not one of them until it is done (``retags_at_work``)."""
        return self.filter(retired_at__isnull=True).exclude(RETAG_AT_WORK)

    def retags_at_work(self):
        """Re-tags (new tags on an existing rendition's bytes) queued, running or failed, not yet in use."""
        return self.filter(RETAG_AT_WORK, retired_at__isnull=True)

    def ready(self):
        """Done and of the master's present content: what the feed offers."""
        return self.active().filter(status=AudioRendition.DONE, master_sha256=models.F("audio__sha256"))

    def ready_for(self, audio):
        """``ready()`` for one audio file in hand: its present content is ``audio.sha256``, so the query
        needs no join (a page's player asks on every render)."""
        return self.filter(
            audio_id=audio.pk,
            status=AudioRendition.DONE,
            retired_at__isnull=True,  # active(); a re-tag at work is not DONE, so RETAG_AT_WORK excludes none
            master_sha256=audio.sha256,
        )

    def servable(self):
        """Done, and either active or retired less than the grace period ago: what the audio view serves."""
        cutoff = timezone.now() - grace_period()
        return self.filter(status=AudioRendition.DONE).filter(
            models.Q(retired_at__isnull=True) | models.Q(retired_at__gt=cutoff)
        )

    def expired(self):
        """Retired longer than the grace period ago: the scheduler deletes them and their files."""
        return self.filter(retired_at__lte=timezone.now() - grace_period())


class AudioRendition(models.Model):
    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    STATUSES = [(QUEUED, "Queued"), (RUNNING, "Preparing"), (DONE, "Ready"), (FAILED, "Failed")]
    MP3, M4A, OPUS = "mp3", "m4a", "opus"
    FORMATS = [(MP3, "MP3"), (M4A, "M4A (AAC)"), (OPUS, "Opus")]
    MIME_TYPES = {MP3: "audio/mpeg", M4A: "audio/mp4", OPUS: "audio/ogg"}

    audio = models.ForeignKey("episodes.AudioFile", on_delete=models.CASCADE, related_name="renditions")
    format = models.CharField(max_length=8, choices=FORMATS, default=MP3)
    file = models.FileField(upload_to=rendition_upload_to, max_length=255, blank=True)
    size = models.PositiveBigIntegerField("size (bytes)", null=True, blank=True)
    duration_ms = models.PositiveBigIntegerField("duration (ms)", null=True, blank=True)
    bitrate = models.PositiveIntegerField("bitrate (bit/s)", null=True, blank=True)
    sample_rate = models.PositiveIntegerField("sample rate (Hz)", null=True, blank=True)
    channels = models.PositiveSmallIntegerField(null=True, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True, db_index=True)
    master_sha256 = models.CharField(
        "master SHA-256", max_length=64, help_text="The content of the master this rendition is made from."
    )
    tags_digest = models.CharField(
        max_length=64,
        blank=True,
        help_text="Of the tags written into the file (delivery.tags.tags_digest); when the episode's differ, "
        "a re-tagged copy replaces this rendition.",
    )
    retag_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="retags",
        help_text="The rendition whose bytes this one takes with new tags (not encoded again); this one "
        "replaces it once done.",
    )
    copied = models.BooleanField(
        default=False, help_text="The master's audio stream was copied as it is (it was podcast-ready)."
    )
    loudness_before = models.FloatField("loudness before (LUFS)", null=True, blank=True)
    true_peak_before = models.FloatField("true peak before (dBTP)", null=True, blank=True)
    loudness_after = models.FloatField("loudness after (LUFS)", null=True, blank=True)
    true_peak_after = models.FloatField("true peak after (dBTP)", null=True, blank=True)
    # JSON text, a few kilobytes (episodes/delivery/waveform.py): kept in the row, so that it is written in
    # the same UPDATE that makes the rendition DONE and deleted with it, and served without a storage trip.
    waveform = models.TextField(
        blank=True, editable=False, help_text="The player's waveform peaks (audiowaveform JSON)."
    )
    # Pass 1's loudness measurement of the master (encode.Measurement.as_json), so that the master's other
    # formats skip it.
    measurement = models.JSONField(null=True, blank=True, editable=False)

    status = models.CharField(max_length=10, choices=STATUSES, default=QUEUED, db_index=True)
    progress = models.FloatField(default=0, help_text="0 to 1 while preparing.")
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    retryable = models.BooleanField(
        default=False,
        help_text="The failure was transient (storage, a full disk, a stopped worker): the scheduler tries "
        "again at retry_at. A permanent one (the master does not decode, is empty) waits for the editor.",
    )
    retry_at = models.DateTimeField(null=True, blank=True, db_index=True)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="When the master was replaced; deleted after the grace period.",
    )

    objects = AudioRenditionQuerySet.as_manager()

    class Meta:
        ordering = ["-queued_at", "-pk"]
        constraints = [
            # One rendition per format of the master's present content; retired ones may pile up, and a
            # re-tag at work waits beside its source until the two swap in one transaction.
            models.UniqueConstraint(
                fields=["audio", "format"],
                condition=models.Q(retired_at__isnull=True) & ~RETAG_AT_WORK,
                name="one_active_rendition_per_format",
            )
        ]

    def __str__(self):
        return f"{self.get_format_display()} of {self.audio}"

    @property
    def extension(self) -> str:
        return self.format

    @property
    def content_type(self) -> str:
        return self.MIME_TYPES[self.format]

    @property
    def digest(self) -> str:
        return self.sha256[:16]

    @property
    def url(self) -> str:
        return self.path_for(self.audio_id, self.sha256, self.format)

    @staticmethod
    def path_for(audio_id: int, sha256: str, extension: str) -> str:
        return reverse(
            "episodes:rendition", kwargs={"pk": audio_id, "digest": sha256[:16], "extension": extension}
        )

    @staticmethod
    def waveform_path_for(audio_id: int, sha256: str) -> str:
        """The waveform's URL: named by the rendition's digest, so it never serves other peaks."""
        return reverse("episodes:waveform", kwargs={"pk": audio_id, "digest": sha256[:16]})

    @property
    def created_at(self):
        """When its bytes were made: the Last-Modified of its responses."""
        return self.finished_at or self.queued_at

    @property
    def is_current(self) -> bool:
        return self.retired_at is None and self.master_sha256 == self.audio.sha256
