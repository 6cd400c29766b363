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
