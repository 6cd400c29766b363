"""Written interviews, in question-and-answer form: InterviewIndexPage and its InterviewPages."""

from django.db import models
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.text import Truncator
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultipleChooserPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from ..blocks import InterviewBodyBlock, RelatedContentBlock
from ..panels import DOWNLOADS_PANEL_HOOK, HookPanel
from ..seo import SeoMixin, audio_object_ld, person_ld
from .pages import PagePerson, paginate
from .shows import ShowPage

INTERVIEWS_PER_PAGE = 20


class InterviewIndexPage(SeoMixin, Page):
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


class InterviewPage(SeoMixin, Page):
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
        HookPanel(DOWNLOADS_PANEL_HOOK, heading="Downloads"),
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

    def share_image(self):
        """The artwork of the show the interview belongs to, if any."""
        return self.show.artwork if self.show_id and self.show else None

    def open_graph(self, meta, request, *, root: str, url: str) -> None:
        meta.og_type = "article"
        meta.published_time = self.date.isoformat()

    def json_ld(self, meta, request, *, root: str, url: str) -> list[dict]:
        data = self.schema_ld("Article", meta, url)
        data["headline"] = Truncator(meta.title).chars(110)
        data["datePublished"] = self.date.isoformat()
        if self.last_published_at:
            data["dateModified"] = self.last_published_at.isoformat()
        data["publisher"] = {"@type": "Organization", "name": meta.site_name, "url": root + "/"}
        credits = list(self.people.select_related("person"))
        authors = [person_ld(credit.person) for credit in credits if credit.role == "interviewer"]
        data["author"] = authors or data["publisher"]
        others = [person_ld(credit.person) for credit in credits if credit.role != "interviewer"]
        if others:
            data["contributor"] = others
        if self.show_id and self.show and self.show.live:
            data["isPartOf"] = self.show.schema_ref(request, root)
        if self.audio is not None:
            data["associatedMedia"] = audio_object_ld(self.audio, root)
        return [data]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["people"] = self.people.select_related("person", "person__photo")
        context["body"] = self.numbered_body()
        return context


class InterviewPerson(PagePerson):
    page = ParentalKey(InterviewPage, on_delete=models.CASCADE, related_name="people")
