"""An episode of a show: EpisodePage, and what it lists (people, chapters, soundbites, transcripts kept
elsewhere)."""

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.http import Http404
from django.utils import timezone
from django.utils.functional import cached_property
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, MultipleChooserPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page, PageManager, PageViewRestriction
from wagtail.query import PageQuerySet
from wagtail.search import index

from pagecache.caching import remember

from ..blocks import RelatedContentBlock
from ..fields import MillisecondsField
from ..licences import EPISODE_LICENCE_CHOICES, effective_licence
from ..panels import (
    DOWNLOADS_PANEL_HOOK,
    DeliveryStatusPanel,
    DirectoryChecksPanel,
    HookPanel,
    TranscriptStatusPanel,
)
from ..privacy import is_restricted
from ..seo import SeoMixin, audio_object_ld, iso_duration, people_ld
from .pages import PagePerson, language_validator, new_guid
from .shows import ShowPage


class EpisodePageQuerySet(PageQuerySet):
    """Which episodes a listener may be shown: the one answer for the feed, the show, home and concept
    pages, the sitemap, search and embeds.

    Wagtail's go-live and expiry dates make a page live and not live (the scheduler runs Wagtail's
    scheduled publishing); the episode's own publication date, which podcast apps show, holds a live
    episode back until it comes. Nothing is written when that moment passes, so the rule is asked of
    the clock at query time."""

    def released(self, at: datetime | None = None) -> "EpisodePageQuerySet":
        """Live episodes whose publication date has come (by ``at``, default now)."""
        return self.live().filter(publication_date__lte=at or timezone.now())

    def upcoming(self, at: datetime | None = None) -> "EpisodePageQuerySet":
        """Live episodes held back until their publication date, soonest first."""
        return self.live().filter(publication_date__gt=at or timezone.now()).order_by("publication_date")


def released_pages(pages: PageQuerySet | None = None) -> PageQuerySet:
    """Live pages of any type (``pages``, default all), less the episodes whose publication date has not
    come: for lists that mix page types (concept mentions, learning paths, the audio a page uses)."""
    pages = Page.objects.all() if pages is None else pages
    return pages.live().exclude(pk__in=EpisodePage.objects.upcoming().values("pk"))


class EpisodePage(SeoMixin, Page):
    FULL, TRAILER, BONUS = "full", "trailer", "bonus"

    objects = PageManager.from_queryset(EpisodePageQuerySet)()

    guid = models.CharField(
        "GUID",
        max_length=255,
        unique=True,
        editable=False,
        default=new_guid,
        help_text="Podcast apps identify the episode by this; it never changes.",
    )
    summary = models.TextField(
        max_length=4000, help_text="One or two sentences; podcast apps show this in lists."
    )
    show_notes = RichTextField(blank=True)
    publication_date = models.DateTimeField(
        default=timezone.now, help_text="The date podcast apps show for the episode."
    )
    season = models.PositiveIntegerField(null=True, blank=True)
    episode_number = models.PositiveIntegerField(null=True, blank=True)
    episode_type = models.CharField(
        max_length=10,
        choices=[(FULL, "Full episode"), (TRAILER, "Trailer"), (BONUS, "Bonus")],
        default=FULL,
    )
    explicit = models.BooleanField(default=False)
    artwork = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Optional; the show's artwork is used when empty.",
    )
    audio = models.ForeignKey(
        "episodes.AudioFile",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="episodes",
        help_text="An episode without audio stays out of the feed.",
    )
    licence = models.CharField(
        max_length=20,
        choices=EPISODE_LICENCE_CHOICES,
        blank=True,
        help_text="Only if this episode may be reused differently from the rest of the show "
        "(podcast:license).",
    )
    related = StreamField(
        RelatedContentBlock(), blank=True, verbose_name="further reading", use_json_field=True
    )
    spectrum = models.PositiveSmallIntegerField(
        "place on the coproduction spectrum",
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text="Where the care this episode is about sits, from 0 (the professional leads: emergency "
        "care, surgery, critical care) to 100 (the person leads: self-care, daily living). Optional; shown "
        "on the concepts page's spectrum figure.",
    )

    content_panels = Page.content_panels + [
        DirectoryChecksPanel(heading="Podcast directory checks"),
        FieldPanel("audio"),
        DeliveryStatusPanel(heading="File for listeners"),
        TranscriptStatusPanel(heading="Transcript"),
        HookPanel(DOWNLOADS_PANEL_HOOK, heading="Downloads"),
        FieldPanel("summary"),
        FieldPanel("show_notes"),
        MultiFieldPanel(
            [
                FieldPanel("publication_date"),
                FieldRowPanel(
                    [FieldPanel("season"), FieldPanel("episode_number"), FieldPanel("episode_type")]
                ),
                FieldPanel("explicit"),
                FieldPanel("artwork"),
                FieldPanel("licence"),
                FieldPanel("spectrum"),
            ],
            heading="Episode details",
        ),
        MultipleChooserPanel("people", label="People", chooser_field_name="person"),
        InlinePanel("chapters", label="Chapter"),
        InlinePanel(
            "soundbites",
            label="Soundbite",
            help_text="Moments podcast apps may play as a preview (podcast:soundbite).",
        ),
        InlinePanel(
            "transcript_links",
            label="External transcript",
            help_text="Transcripts hosted elsewhere, e.g. kept from an imported feed.",
        ),
        FieldPanel("related"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("show_notes"),
        index.FilterField("publication_date"),
    ]

    parent_page_types = ["episodes.ShowPage"]
    subpage_types = []
    # Fetched with the page when it is served (website/routing.py): the player, meta tags and JSON-LD need it.
    serve_select_related = ("audio",)
    # A copy is a new episode: podcast apps must not mistake it for the original.
    exclude_fields_in_copy = ["guid"]

    class Meta:
        verbose_name = "episode"

    @cached_property
    def show(self):
        """The show it belongs to, with its artwork (the episode's share image when it has none of its own),
        read once per page instance (a page asks several times). For a page in the tree it is remembered
        beside the cached pages (``pagecache.caching.remember``), shared by all the show's episodes, until
        the next full purge: a show, an image or a move purges every page (no rules of their own), so the
        value never outlives the show it copies. With the page cache off it is read each time."""
        if not self.path:  # a new page's preview, not in the tree yet
            return None
        parent_path = self.path[: -self.steplen]
        return remember(
            f"show-at:{parent_path}",
            lambda: ShowPage.objects.filter(path=parent_path).select_related("artwork").first(),
        )

    def get_view_restrictions(self):
        """Wagtail's, evaluated once per page instance (the privacy check before serving and the embed
        player's check in ``open_graph`` both ask), and no query at all when no restricted section holds the
        page (``episodes.privacy``, remembered). A page served is a new instance per request."""
        try:
            return self._view_restrictions
        except AttributeError:
            if self.pk and not is_restricted(self):
                self._view_restrictions = PageViewRestriction.objects.none()
            else:
                self._view_restrictions = super().get_view_restrictions()
                list(self._view_restrictions)  # evaluated: exists() and iteration read the result
            return self._view_restrictions

    @cached_property
    def credits(self) -> list:
        """The people credited, with their photos and the photos' renditions (one query each, however many
        people): the page lists them and its JSON-LD names them, from this one list."""
        return list(
            self.people.select_related("person", "person__photo").prefetch_related(
                "person__photo__renditions"
            )
        )

    @property
    def released(self) -> bool:
        """Live and its publication date has come (``EpisodePageQuerySet.released`` for one page)."""
        return self.live and self.publication_date <= timezone.now()

    def route(self, request, path_components):
        # Until its publication date a live episode is not there for visitors (previews do not route).
        if not path_components and not self.released:
            raise Http404
        return super().route(request, path_components)

    def get_sitemap_urls(self, request=None):
        return super().get_sitemap_urls(request) if self.released else []

    def share_image(self):
        """The episode's own artwork, else its show's."""
        if self.artwork is not None:
            return self.artwork
        show = self.show
        return show.artwork if show else None

    def open_graph(self, meta, request, *, root: str, url: str) -> None:
        from ..embed import EMBED_HEIGHT, EMBED_WIDTH, embed_url, oembed_url

        meta.published_time = self.publication_date.isoformat()
        # What embeddable_episodes() asks of an episode, for this one: only its privacy needs a query.
        if self.pk and self.released and self.audio_id and not self.get_view_restrictions().exists():
            meta.player_url = embed_url(self, request)
            meta.player_width, meta.player_height = EMBED_WIDTH, EMBED_HEIGHT
            meta.oembed_url = oembed_url(url, root)

    def json_ld(self, meta, request, *, root: str, url: str) -> list[dict]:
        data = self.schema_ld("PodcastEpisode", meta, url)
        data["datePublished"] = self.publication_date.isoformat()
        if self.episode_number:
            data["episodeNumber"] = self.episode_number
        if self.season:
            data["partOfSeason"] = {"@type": "PodcastSeason", "seasonNumber": self.season}
        show = self.show
        if show is not None:
            data["partOfSeries"] = show.schema_ref(request, root)
        if self.audio is not None:
            data["timeRequired"] = data["duration"] = iso_duration(self.audio.duration_ms)
            data["associatedMedia"] = audio_object_ld(self.audio, root)
        people_ld(self, data)
        return [data]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["show"] = show = self.show
        context["artwork"] = self.artwork or (show.artwork if show else None)
        context["licence"] = effective_licence(self.licence, show.licence if show else "")
        context["people"] = self.credits
        context["chapters"] = self.chapters.all()  # the page lists times and titles, not their images
        context["soundbites"] = self.soundbites.all()
        return context

    def add_chapters_to_draft(self, chapters: Iterable[tuple[int, str]], user) -> tuple[int, list[int]]:
        """Add ``(start_ms, title)`` chapters to the page's latest revision and save it as a new draft.

        Returns how many were added and the start times skipped because the draft (or an earlier item of
        ``chapters``) already has a chapter there. No revision is made when nothing is added. The live page
        is not touched: ``save_revision`` stores the chapters in the revision only. (The transcripts app's
        chapter suggestions add the chapters an editor picks through this.)
        """
        draft = self.get_latest_revision_as_object()
        existing = list(draft.chapters.all())
        taken = {chapter.start_ms for chapter in existing}
        added, skipped = [], []
        for start_ms, title in chapters:
            if start_ms in taken:
                skipped.append(start_ms)
                continue
            taken.add(start_ms)
            added.append(Chapter(start_ms=start_ms, title=title))
        if added:
            # Chapters are listed by time; number them so that the editor's inline panel shows that order.
            ordered = sorted(existing + added, key=lambda chapter: chapter.start_ms)
            for number, chapter in enumerate(ordered):
                chapter.sort_order = number
            draft.chapters = ordered
            draft.save_revision(user=user, log_action=True)
        return len(added), skipped


class EpisodePerson(PagePerson):
    page = ParentalKey(EpisodePage, on_delete=models.CASCADE, related_name="people")


class Chapter(Orderable):
    page = ParentalKey(EpisodePage, on_delete=models.CASCADE, related_name="chapters")
    start_ms = MillisecondsField("start")
    title = models.CharField(max_length=255)
    url = models.URLField("link", blank=True)
    image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    panels = [FieldPanel("start_ms"), FieldPanel("title"), FieldPanel("url"), FieldPanel("image")]

    class Meta(Orderable.Meta):
        ordering = ["start_ms", "sort_order"]


class Soundbite(Orderable):
    page = ParentalKey(EpisodePage, on_delete=models.CASCADE, related_name="soundbites")
    start_ms = MillisecondsField("start")
    duration_ms = MillisecondsField("duration", help_text="How long, e.g. 0:30 (apps expect 15 s to 2 min).")
    title = models.CharField(max_length=255, blank=True)

    panels = [FieldPanel("start_ms"), FieldPanel("duration_ms"), FieldPanel("title")]

    def clean(self):
        if not self.duration_ms:
            raise ValidationError({"duration_ms": "A soundbite needs a duration."})


class EpisodeTranscriptLink(Orderable):
    """A transcript published elsewhere, listed in the feed as a podcast:transcript tag."""

    page = ParentalKey(EpisodePage, on_delete=models.CASCADE, related_name="transcript_links")
    url = models.URLField("URL", max_length=1000)
    mime_type = models.CharField(
        "type",
        max_length=64,
        choices=[
            ("text/vtt", "WebVTT"),
            ("application/x-subrip", "SRT"),
            ("application/json", "Podcasting JSON"),
            ("text/html", "HTML"),
            ("text/plain", "Plain text"),
        ],
    )
    language = models.CharField(max_length=35, blank=True, validators=[language_validator])
    rel = models.CharField(max_length=20, blank=True, help_text='"captions" for timed captions.')

    panels = [FieldPanel("url"), FieldPanel("mime_type"), FieldPanel("language"), FieldPanel("rel")]
