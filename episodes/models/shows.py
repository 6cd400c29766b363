"""A podcast: ShowPage, the channel of its feed, with its categories and hosts."""

from dataclasses import dataclass, field

from django.db import models
from django.db.models import F
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, MultipleChooserPanel
from wagtail.models import Orderable, Page
from wagtail.search import index

from ..categories import category_choices
from ..forms import ShowPageForm
from ..licences import SHOW_LICENCE_CHOICES
from ..panels import DirectoryChecksPanel, MoveChecklistPanel
from ..seo import SeoMixin, person_ld
from .pages import language_validator, paginate, split_addresses, validate_addresses

EPISODES_PER_PAGE = 20
# ShowPage's links to the show in podcast apps, in the order they are shown; each field's verbose name is
# the app's name.
APP_LINK_FIELDS = ("apple_podcasts_url", "spotify_url", "pocket_casts_url", "overcast_url", "youtube_url")


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


class ShowPage(SeoMixin, Page):
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
    # Blank in the database so that a show imported from a feed without one can be saved (issue 19); the
    # admin's form still asks for it (ShowPageForm), and the directory checks list it until it is given.
    owner_email = models.EmailField(
        blank=True, help_text="Published in the feed; podcast directories send ownership checks here."
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
    licence = models.CharField(
        max_length=20,
        choices=SHOW_LICENCE_CHOICES,
        blank=True,
        help_text="How others may reuse the episodes, e.g. in teaching (podcast:license). An episode may "
        "choose its own.",
    )
    new_feed_url = models.URLField(
        "new feed address",
        blank=True,
        help_text="Only when the show moves to another host: the feed address there. Apps and directories "
        "then follow the show to it (itunes:new-feed-url). Keep this feed online until they have.",
    )
    itunes_block = models.BooleanField(
        "hide from Apple Podcasts",
        default=False,
        help_text="Ask Apple Podcasts not to list the show (itunes:block). Other apps may still show it.",
    )
    itunes_complete = models.BooleanField(
        "complete",
        default=False,
        help_text="The show has ended and no more episodes will be added (itunes:complete).",
    )
    verification_text = models.CharField(
        "verification text",
        max_length=4000,
        blank=True,
        help_text="A token a directory asks you to publish to prove the show is yours, e.g. Apple's "
        "(podcast:txt).",
    )
    verification_purpose = models.CharField(
        "verification purpose",
        max_length=128,
        blank=True,
        help_text='What the token is for, as the directory names it, e.g. "applepodcastsverify".',
    )
    deliver_aac = models.BooleanField(
        "also AAC (M4A)",
        default=False,
        help_text="Besides the MP3 every app plays, make each episode in AAC (an .m4a file, about three "
        "quarters of the MP3's size at the same quality; Apple's apps and most Android apps play it). Listed "
        "in the feed as an alternative that apps reading Podcasting 2.0 tags may offer.",
    )
    deliver_opus = models.BooleanField(
        "also Opus",
        default=False,
        help_text="Besides the MP3, make each episode in Opus (an .opus file about a third of the MP3's "
        "size, clear for speech), for listeners on slow or metered connections. Listed in the feed as an "
        "alternative; apps that do not know it play the MP3.",
    )
    old_feed_url = models.URLField(
        "old feed address",
        max_length=1000,
        blank=True,
        help_text="Where the show's feed was before it moved here (set by the import). Checked for a "
        "redirect to this show's feed, and followed for new episodes while syncing is on.",
    )
    sync_from_old_feed = models.BooleanField(
        "keep importing new episodes from the old feed",
        default=False,
        help_text="Until the move is complete: episodes published at the old host arrive here too, checked "
        "every IMPORT_SYNC_SECONDS. Only new episodes are added; nothing here is changed or removed. Switch "
        "it off once the old host redirects to this show's feed.",
    )
    # The last check of the old feed (on demand, from the move checklist): when, whether it sends podcast
    # apps here, and what was found.
    old_feed_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    old_feed_redirected = models.BooleanField(null=True, blank=True, editable=False)
    old_feed_check = models.TextField(blank=True, editable=False)
    notification_addresses = models.TextField(
        "notify these addresses",
        blank=True,
        validators=[validate_addresses],
        help_text="Email addresses told, besides each episode's owner, when an episode's transcript is done "
        "or has failed and when a scheduled episode has gone live. One per line, or separated by commas.",
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
                FieldRowPanel([FieldPanel("copyright"), FieldPanel("licence")]),
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
            [FieldRowPanel([FieldPanel("deliver_aac"), FieldPanel("deliver_opus")])],
            heading="Files for listeners",
            help_text="Every episode goes out as a loudness-normalised MP3. Extra formats are made in the "
            "background after publishing; changing this applies to every episode of the show.",
        ),
        MultiFieldPanel(
            [FieldPanel(name) for name in APP_LINK_FIELDS],
            heading="Listen in apps",
            help_text="Links to the show in podcast apps, shown next to the feed address. Leave empty "
            "those where the show is not listed; the feed address works in every app.",
        ),
    ]
    settings_panels = Page.settings_panels + [
        MultiFieldPanel(
            [
                FieldPanel("itunes_complete"),
                FieldPanel("itunes_block"),
                FieldPanel("new_feed_url"),
                FieldRowPanel([FieldPanel("verification_text"), FieldPanel("verification_purpose")]),
            ],
            heading="Podcast feed",
            help_text="Rarely changed: for a show that has ended, leaves Apple Podcasts, moves to another "
            "host, or proves to a directory that it is yours.",
        ),
        MultiFieldPanel(
            [MoveChecklistPanel(), FieldPanel("old_feed_url"), FieldPanel("sync_from_old_feed")],
            heading="Moving from another host",
            help_text="For a show imported from its feed at another host (manage.py import_feed): what is "
            "left to do before listeners and directories follow it here. See docs/moving-a-show.md.",
        ),
        FieldPanel("notification_addresses", heading="Notifications"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("description"),
        index.SearchField("author"),
    ]

    parent_page_types = ["website.HomePage"]
    subpage_types = ["episodes.EpisodePage"]
    base_form_class = ShowPageForm

    def delivery_formats(self) -> list[str]:
        """The formats of the files listeners get besides the MP3 (AudioRendition formats)."""
        return [fmt for fmt, wanted in (("m4a", self.deliver_aac), ("opus", self.deliver_opus)) if wanted]

    def episodes(self):
        """Released, public episodes, newest first (oldest first for a serial show)."""
        from .episodes import EpisodePage  # episodes imports this module

        order = "publication_date" if self.show_type == self.SERIAL else "-publication_date"
        return (
            EpisodePage.objects.child_of(self)
            .released()
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

    def notification_recipients(self) -> list[str]:
        """The addresses in ``notification_addresses``, in order, without repeats."""
        return split_addresses(self.notification_addresses)

    def feed_url(self) -> str:
        """The feed's full address, as the feed itself gives it (atom:link rel="self")."""
        from ..feeds import feed_url  # feeds imports these models

        # The site's root URL from Wagtail's cached site paths, without the query get_site() makes.
        url_parts = self.get_url_parts()
        return feed_url(self, url_parts[1] if url_parts else None)

    def schema_ref(self, request, root: str) -> dict:
        """The show as a schema.org reference, for the episodes and interviews that belong to it."""
        from ..feeds import feed_url

        return {
            "@type": "PodcastSeries",
            "name": self.title,
            "url": self.get_full_url(request),
            "webFeed": feed_url(self, root),
        }

    def json_ld(self, meta, request, *, root: str, url: str) -> list[dict]:
        from ..feeds import feed_url

        data = self.schema_ld("PodcastSeries", meta, url)
        data["webFeed"] = feed_url(self, root)
        data["inLanguage"] = self.language
        hosts = [host.person for host in self.hosts.select_related("person")]
        author = next((person for person in hosts if person.name == self.author), None)
        data["author"] = person_ld(author) if author else {"@type": "Organization", "name": self.author}
        if hosts:
            data["actor"] = [person_ld(person) for person in hosts]
        return [data]

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
