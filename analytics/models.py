"""What download counting keeps: a salt per UTC day, each listener's progress through an episode today,
and the daily aggregates reports read.

No raw address or User-Agent is stored anywhere: a listener is a keyed hash of the address (IPv6 cut to
its /64) and the User-Agent under the day's salt, and the salt of a past day is deleted, so yesterday's
hashes cannot be tied to an address by anyone, us included. An app is stored as the name the OPAWG list
gives it, never as the header.
"""

from __future__ import annotations

from django.db import models


class DailySalt(models.Model):
    """The secret that today's listener hashes are keyed with; made on first use, deleted the next day."""

    day = models.DateField(unique=True)
    salt = models.CharField(max_length=64)

    def __str__(self):
        return f"salt of {self.day}"


class ListenerDay(models.Model):
    """One listener's requests for one episode's audio on one UTC day: the byte ranges served so far per
    file (master or rendition), until they add up to a download. Pruned once its day is over."""

    day = models.DateField()
    listener = models.CharField(max_length=32, help_text="Keyed hash of address and User-Agent.")
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    # {"a<pk>" or "r<pk>": [[first, end), ...]}: merged, sorted half-open intervals of each file served.
    ranges = models.JSONField(default=dict)
    counted = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "listener", "page"], name="one_listener_day_per_page")
        ]
        indexes = [models.Index(fields=["day"], name="listenerday_day")]

    def __str__(self):
        return f"{self.listener[:8]}… on {self.day}"


class DailyDownloads(models.Model):
    """Downloads of one episode (or interview) on one UTC day by one app: what reports add up.

    One row per (day, page, app): a year of a thousand episodes is a few hundred thousand rows, read by
    show and day range (``show``, ``day``) or by episode (``page``, ``day``) with an index each, so that a
    report is a few aggregate queries whatever its span.
    """

    day = models.DateField()
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    show = models.ForeignKey(
        "episodes.ShowPage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    app = models.CharField(max_length=100, blank=True, help_text="OPAWG name; empty when unrecognised.")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "daily downloads"
        constraints = [
            models.UniqueConstraint(fields=["day", "page", "app"], name="one_daily_downloads_per_app")
        ]
        indexes = [
            models.Index(fields=["show", "day"], name="dailydownloads_show_day"),
            models.Index(fields=["page", "day"], name="dailydownloads_page_day"),
            models.Index(fields=["day"], name="dailydownloads_day"),
        ]

    def __str__(self):
        return f"{self.count} on {self.day}"


class DownloadEvent(models.Model):
    """One counted-for request, as the audio view hands it over: appended with a single INSERT (no lock,
    no read), so that counting costs a download almost nothing. The scheduler's ``aggregate`` job applies
    the rules to these rows (``analytics.aggregating``) and deletes them in the same transaction: a row
    here is a request not yet aggregated, and nothing is lost if a process dies in between.

    It keeps what the rules need and nothing more: the listener's hash (never the address or the header),
    the file's key and the bytes of a minute of it, the byte range sent (both None when the storage sent
    them: redirect mode, counted at once) and the OPAWG name of the app.
    """

    day = models.DateField(help_text="The request's UTC day: the download counts for it, however late.")
    listener = models.CharField(max_length=32, help_text="Keyed hash of address and User-Agent.")
    # No index but the primary key's: the table holds a round's requests at most, and every index would be
    # one more B-tree each request's INSERT writes.
    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+", db_index=False)
    show = models.ForeignKey(
        "episodes.ShowPage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    app = models.CharField(max_length=100, blank=True)
    file = models.CharField(max_length=24, help_text="'a<pk>' for a master, 'r<pk>' for a rendition.")
    minute = models.PositiveBigIntegerField(help_text="Bytes of one minute of the file (or all of it).")
    first_byte = models.PositiveBigIntegerField(null=True, blank=True)
    end_byte = models.PositiveBigIntegerField(null=True, blank=True, help_text="Exclusive.")
    at = models.DateTimeField()

    def __str__(self):
        return f"{self.listener[:8]}… on {self.day}"
