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


class DownloadTotals(models.Model):
    """One page's downloads counted under one show, added up: all time, and its first 7 and first 30 days
    from ``went_live`` (the UTC day of its first publication, day 1). What the per-episode table of
    *Reports → Downloads* reads: a row or two per episode rather than a year of daily rows.

    Kept by ``analytics.aggregating`` in the same transaction as ``DailyDownloads`` (atomic increments), so
    that it always equals a sum of the daily rows (``analytics.totals.rebuild`` recomputes a page from
    them). Keyed by page *and* show, as the daily rows are, so that a show filter reads the same downloads
    from either table (an interview that moved to another show keeps its earlier downloads under the first).
    ``went_live`` is the day the windows were counted from: when a page's first publication moves, the
    scheduler's next round recomputes its rows, and the report meanwhile counts that page's windows from
    the daily rows (``analytics.totals.stale_pages``).
    """

    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    # No database constraint and no cascade: the daily rows of a deleted show become show-less, and this
    # table follows them through a rebuild of the pages concerned (``analytics.totals``), which a
    # database-level SET NULL would pre-empt with a clash of two show-less rows of one page.
    show = models.ForeignKey(
        "episodes.ShowPage",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    went_live = models.DateField(null=True, blank=True, help_text="Day 1 of the first 7 and 30 days.")
    first_7_days = models.PositiveBigIntegerField(default=0)
    first_30_days = models.PositiveBigIntegerField(default=0)
    all_time = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name_plural = "download totals"
        constraints = [
            models.UniqueConstraint(
                fields=["page", "show"],
                condition=models.Q(show__isnull=False),
                name="one_download_totals_per_page_and_show",
            ),
            models.UniqueConstraint(
                fields=["page"],
                condition=models.Q(show__isnull=True),
                name="one_download_totals_per_showless_page",
            ),
        ]

    def __str__(self):
        return f"{self.all_time} in all"


class ShowDailyDownloads(models.Model):
    """A show's downloads on one UTC day by one app, all its pages together: what the report's chart and
    top apps read for a show or for all of them (a year of a show is about a thousand rows, where its
    episodes' daily rows are hundreds of thousands). Kept by the aggregator in the same transaction as
    ``DailyDownloads``, so it is always their sum per (day, show, app) over the rows that name a show; the
    downloads of pages without a show are read from the daily rows. A deleted show's rows go with it (its
    daily rows become show-less, and are read as such)."""

    day = models.DateField()
    show = models.ForeignKey("episodes.ShowPage", on_delete=models.CASCADE, related_name="+")
    app = models.CharField(max_length=100, blank=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "show daily downloads"
        constraints = [
            models.UniqueConstraint(fields=["show", "day", "app"], name="one_show_daily_downloads_per_app")
        ]
        indexes = [models.Index(fields=["day"], name="showdailydownloads_day")]

    def __str__(self):
        return f"{self.count} on {self.day}"
