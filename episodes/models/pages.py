import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Prefetch
from django.utils import timezone
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    MultipleChooserPanel,
)
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from ..blocks import InterviewBodyBlock, RelatedContentBlock
from ..categories import category_choices
from ..fields import MillisecondsField
from ..panels import DirectoryChecksPanel, TranscriptStatusPanel

PERSON_ROLES = [
    ("host", "Host"),
    ("co-host", "Co-host"),
    ("guest", "Guest"),
    ("producer", "Producer"),
    ("editor", "Editor"),
    ("composer", "Composer"),
    ("interviewer", "Interviewer"),
]

language_validator = RegexValidator(
    r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$", "Use a language code such as 'en' or 'en-GB'."
)


def new_guid() -> str:
    return str(uuid.uuid4())


EPISODES_PER_PAGE = 20
INTERVIEWS_PER_PAGE = 20
# ShowPage's links to the show in podcast apps, in the order they are shown; each field's verbose name is
# the app's name.
APP_LINK_FIELDS = ("apple_podcasts_url", "spotify_url", "pocket_casts_url", "overcast_url", "youtube_url")


def paginate(items, request, per_page: int):
    """One page of ``items`` for ``?page=``; a page number that is not a number gives the first page, one
    out of range the last (never an error). The page carries ``links``: the numbers to link to, with
    ``Paginator.ELLIPSIS`` for gaps."""
    page = Paginator(items, per_page).get_page(request.GET.get("page"))
    page.links = list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


@dataclass
class SeasonGroup:
    season: int | None  # None: the episodes without a season
    episodes: list = field(default_factory=list)


def group_by_season(episodes) -> list[SeasonGroup]:
    """Consecutive episodes of the same season together, in the order given."""
    groups: list[SeasonGroup] = []
    for episode in episodes:
        if not groups or groups[-1].season != episode.season:
            groups.append(SeasonGroup(episode.season))
        groups[-1].episodes.append(episode)
    return groups


class ShowPage(Page):
    """A podcast: the channel of its feed. Its children are the episodes."""

    EPISODIC, SERIAL = "episodic", "serial"

    description = models.TextField(
        help_text="What the show is about, for podcast apps and search engines (plain text)."
    )
    artwork = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Square, 1400 to 3000 pixels, JPEG or PNG (Apple's requirement).",
    )
    author = models.CharField(max_length=255, help_text="Shown as the show's author in apps.")
    owner_name = models.CharField(max_length=255)
    owner_email = models.EmailField(
        help_text="Published in the feed; podcast directories send ownership checks here."
    )
    language = models.CharField(max_length=35, default="en", validators=[language_validator])
    explicit = models.BooleanField(default=False)
    show_type = models.CharField(
        max_length=10,
        choices=[(EPISODIC, "Episodic (newest first)"), (SERIAL, "Serial (oldest first)")],
        default=EPISODIC,
    )
    copyright = models.CharField(max_length=255, blank=True)
    podcast_locked = models.BooleanField(
        "locked",
        default=True,
        help_text="Tell podcast platforms not to let anyone else import this show (podcast:locked).",
    )
    funding_url = models.URLField(
        "funding link", blank=True, help_text="Where listeners can support the show (podcast:funding)."
    )
    funding_text = models.CharField(
        "funding link text", max_length=128, blank=True, help_text='For example "Support the show".'
    )
    podcast_guid = models.CharField(
        "podcast GUID",
        max_length=36,
        blank=True,
        editable=False,
        help_text="podcast:guid, derived from the feed URL when the feed is first built; never changes.",
    )
    # When anything in the feed last changed; the feed's cache key and Last-Modified. Kept on the row so
    # that every process (web servers, task workers) agrees without sharing a cache.
    feed_changed_at = models.DateTimeField(null=True, editable=False)
    apple_podcasts_url = models.URLField(
        "Apple Podcasts",
        blank=True,
        help_text="The show's page on Apple Podcasts (https://podcasts.apple.com/…/id123456789).",
    )
    spotify_url = models.URLField(
        "Spotify", blank=True, help_text="The show's page on Spotify (https://open.spotify.com/show/…)."
    )
    pocket_casts_url = models.URLField(
        "Pocket Casts", blank=True, help_text="The show's page on Pocket Casts (https://pca.st/…)."
    )
    overcast_url = models.URLField(
        "Overcast",
        blank=True,
        help_text="The show's page on Overcast (https://overcast.fm/itunes123456789).",
    )
    youtube_url = models.URLField(
        "YouTube", blank=True, help_text="The show's channel or playlist on YouTube."
    )

    content_panels = Page.content_panels + [
        DirectoryChecksPanel(heading="Podcast directory checks"),
        FieldPanel("description"),
        FieldPanel("artwork"),
        MultipleChooserPanel("hosts", label="Hosts", chooser_field_name="person"),
        MultiFieldPanel(
            [
                FieldPanel("author"),
                FieldRowPanel([FieldPanel("owner_name"), FieldPanel("owner_email")]),
                FieldRowPanel([FieldPanel("language"), FieldPanel("show_type")]),
                FieldPanel("explicit"),
                FieldPanel("copyright"),
                InlinePanel("categories", label="Category", min_num=1, max_num=3),
            ],
            heading="Podcast directory details",
        ),
        MultiFieldPanel(
            [
                FieldPanel("podcast_locked"),
                FieldRowPanel([FieldPanel("funding_url"), FieldPanel("funding_text")]),
            ],
            heading="Podcasting 2.0",
        ),
        MultiFieldPanel(
            [FieldPanel(name) for name in APP_LINK_FIELDS],
            heading="Listen in apps",
            help_text="Links to the show in podcast apps, shown next to the feed address. Leave empty "
            "those where the show is not listed; the feed address works in every app.",
        ),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("description"),
        index.SearchField("author"),
    ]

    parent_page_types = ["website.HomePage"]
    subpage_types = ["episodes.EpisodePage"]

    def episodes(self):
        """Live, public episodes, newest first (oldest first for a serial show)."""
        order = "publication_date" if self.show_type == self.SERIAL else "-publication_date"
        return (
            EpisodePage.objects.child_of(self)
            .live()
            .public()
            .select_related("audio", "artwork")
            .order_by(order)
        )

    def episodes_by_season(self):
        """Live, public episodes for the show page: newest season first, episodes without a season last
        (a serial show: first season first, oldest first)."""
        if self.show_type == self.SERIAL:
            order = [F("season").asc(nulls_last=True), "publication_date", "pk"]
        else:
            order = [F("season").desc(nulls_last=True), "-publication_date", "-pk"]
        return self.episodes().order_by(*order)

    def app_links(self) -> list[tuple[str, str]]:
        """(app name, URL) for each podcast app the editor linked, in a fixed order."""
        return [
            (self._meta.get_field(name).verbose_name, getattr(self, name))
            for name in APP_LINK_FIELDS
            # The form accepts only web addresses; a value set in code must not become a javascript: link.
            if getattr(self, name).lower().startswith(("https://", "http://"))
        ]

    def feed_url(self) -> str:
        """The feed's full address, as the feed itself gives it (atom:link rel="self")."""
        from ..feeds import feed_url  # feeds imports these models

        # The site's root URL from Wagtail's cached site paths, without the query get_site() makes.
        url_parts = self.get_url_parts()
        return feed_url(self, url_parts[1] if url_parts else None)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        episodes = paginate(self.episodes_by_season(), request, EPISODES_PER_PAGE)
        context["episodes"] = episodes
        context["seasons"] = group_by_season(episodes)
        context["hosts"] = self.hosts.select_related("person", "person__photo")
        return context


class ShowCategory(Orderable):
    page = ParentalKey(ShowPage, on_delete=models.CASCADE, related_name="categories")
    category = models.CharField(max_length=100, choices=category_choices())

    panels = [FieldPanel("category")]

    def __str__(self):
        return self.category


class ShowHost(Orderable):
    page = ParentalKey(ShowPage, on_delete=models.CASCADE, related_name="hosts")
    person = models.ForeignKey("episodes.Person", on_delete=models.CASCADE, related_name="+")

    panels = [FieldPanel("person")]


class EpisodePage(Page):
    FULL, TRAILER, BONUS = "full", "trailer", "bonus"

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
        TranscriptStatusPanel(heading="Transcript"),
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
    # A copy is a new episode: podcast apps must not mistake it for the original.
    exclude_fields_in_copy = ["guid"]

    class Meta:
        verbose_name = "episode"

    @property
    def show(self):
        return ShowPage.objects.parent_of(self).first()

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["show"] = self.show
        # The photos' renditions in one query: a cold rendition cache must not cost a query per person.
        context["people"] = self.people.select_related("person", "person__photo").prefetch_related(
            "person__photo__renditions"
        )
        context["chapters"] = self.chapters.select_related("image")
        context["soundbites"] = self.soundbites.all()
        return context


class EpisodePerson(Orderable):
    page = ParentalKey(EpisodePage, on_delete=models.CASCADE, related_name="people")
    person = models.ForeignKey("episodes.Person", on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=20, choices=PERSON_ROLES, default="guest")

    panels = [FieldPanel("person"), FieldPanel("role")]


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


class InterviewIndexPage(Page):
    intro = RichTextField(blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["website.HomePage"]
    subpage_types = ["episodes.InterviewPage"]
    max_count_per_parent = 1

    def interviews(self):
        return (
            InterviewPage.objects.child_of(self)
            .live()
            .public()
            .select_related("show", "audio")
            .prefetch_related(Prefetch("people", InterviewPerson.objects.select_related("person")))
            .order_by("-date", "-pk")
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["interviews"] = paginate(self.interviews(), request, INTERVIEWS_PER_PAGE)
        return context


class InterviewPage(Page):
    """A written interview in question-and-answer form, with optional audio."""

    date = models.DateField(default=timezone.localdate)
    intro = models.TextField(help_text="A short introduction shown above the interview and in lists.")
    body = StreamField(InterviewBodyBlock(), use_json_field=True)
    audio = models.ForeignKey(
        "episodes.AudioFile",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interviews",
    )
    show = models.ForeignKey(
        ShowPage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interviews",
        help_text="Optional: the show this interview belongs to.",
    )
    related = StreamField(
        RelatedContentBlock(), blank=True, verbose_name="further reading", use_json_field=True
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldRowPanel([FieldPanel("date"), FieldPanel("show")]),
        FieldPanel("audio"),
        MultipleChooserPanel("people", label="People", chooser_field_name="person"),
        FieldPanel("body"),
        FieldPanel("related"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("intro"),
        index.SearchField("body"),
        index.FilterField("date"),
    ]

    parent_page_types = ["episodes.InterviewIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = "interview"

    def numbered_body(self) -> list[tuple]:
        """The body's blocks, each with its pull quote's number (1, 2, …; None for other blocks): the
        quotes' anchors, ``#quote-<n>``."""
        numbered, count = [], 0
        for block in self.body:
            if block.block_type == "pull_quote":
                count += 1
                numbered.append((block, count))
            else:
                numbered.append((block, None))
        return numbered

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["people"] = self.people.select_related("person", "person__photo")
        context["body"] = self.numbered_body()
        return context


class InterviewPerson(Orderable):
    page = ParentalKey(InterviewPage, on_delete=models.CASCADE, related_name="people")
    person = models.ForeignKey("episodes.Person", on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=20, choices=PERSON_ROLES, default="guest")

    panels = [FieldPanel("person"), FieldPanel("role")]
