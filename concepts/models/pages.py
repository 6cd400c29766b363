from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Count, Min, Q
from django.utils.functional import cached_property
from modelcluster.fields import ParentalKey
from wagtail import blocks
from wagtail.admin.panels import (
    FieldPanel,
    InlinePanel,
    MultiFieldPanel,
    MultipleChooserPanel,
    PageChooserPanel,
    TitleFieldPanel,
)
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from episodes.blocks import RelatedContentBlock
from episodes.fields import MillisecondsField
from episodes.models import released_pages
from episodes.seo import SeoMixin, plain_text

from ..matching import name_pattern
from ..spectrum import layout, spectrum_points
from .learning import LearningPathPage

SPECTRUM_HELP = (
    "Where this idea mostly lives, from 0 (the professional leads: emergency care, surgery, critical care) "
    "to 100 (the person leads: self-care, daily living). Leave empty to keep it off the spectrum figure."
)


class ReferenceBlock(blocks.StructBlock):
    citation = blocks.TextBlock(help_text="Author, title, year, publisher or journal.")
    url = blocks.URLBlock(label="URL", required=False)
    note = blocks.TextBlock(required=False, help_text="Why it is worth reading.")

    class Meta:
        icon = "doc-full"
        label = "Reference"


class ConceptIndexPage(SeoMixin, Page):
    """The glossary: every concept from A to Z with its short definition, and the coproduction spectrum."""

    intro = RichTextField(blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["website.HomePage"]
    subpage_types = ["concepts.ConceptPage", "concepts.LearningPathPage"]
    max_count = 1

    def json_ld(self, meta, request, *, root: str, url: str) -> list[dict]:
        return [self.schema_ld("DefinedTermSet", meta, url)]

    def concepts(self):
        """The live concepts under this index, A to Z, each with ``episode_count``: the live, public pages
        where it is discussed (found in a transcript or linked by hand, hidden mentions not counted)."""
        from .mentions import Mention

        visible = Mention.objects.visible()
        return (
            ConceptPage.objects.child_of(self)
            .live()
            .public()
            .annotate(
                mentioned=Count("mentions__page", filter=Q(mentions__in=visible.values("pk")), distinct=True),
            )
            .order_by("title")
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        concepts = list(self.concepts())
        manual = ManualMention.counts([c.pk for c in concepts])
        letters: dict[str, list] = {}
        for concept in concepts:
            concept.episode_count = concept.mentioned + manual.get(concept.pk, 0)
            letters.setdefault(concept.title[:1].upper(), []).append(concept)
        context["letters"] = letters
        context["concepts"] = concepts
        context["figure"] = layout(spectrum_points(self))
        context["learning_paths"] = self.get_children().live().public().type(LearningPathPage).specific()
        return context


class ConceptPage(SeoMixin, Page):
    """One idea of the field, in our own words, and every moment in the catalogue where it is discussed.

    The page title is the term. Aliases are other names and spellings of it; the term and the aliases
    are what ``concepts.linking`` finds in transcripts and interviews (see ``concepts.matching`` for the
    rules) and what the transcription glossary prompt spells out for Whisper.
    """

    other_names = models.TextField(
        "aliases",
        blank=True,
        help_text="Other names, abbreviations and spellings, one per line (e.g. SDM). Plurals and simple "
        "endings (-s, -ed, -ing) are found without listing them.",
    )
    definition = models.CharField(
        max_length=300, help_text="One sentence, shown in the glossary and in search."
    )
    body = RichTextField(
        "explanation", blank=True, help_text="The longer explanation: where the idea comes from, examples."
    )
    references = StreamField([("reference", ReferenceBlock())], blank=True, use_json_field=True)
    further_reading = StreamField(RelatedContentBlock(), blank=True, use_json_field=True)
    spectrum = models.PositiveSmallIntegerField(
        "place on the coproduction spectrum",
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=SPECTRUM_HELP,
    )

    content_panels = [
        TitleFieldPanel("title", heading="Term"),
        FieldPanel("other_names"),
        FieldPanel("definition"),
        FieldPanel("body"),
        MultipleChooserPanel(
            "related_links",
            chooser_field_name="concept",
            label="Related concept",
            heading="Related concepts",
            help_text="Shown on both concepts' pages: link each pair once.",
        ),
        FieldPanel("spectrum"),
        FieldPanel("references"),
        FieldPanel("further_reading"),
        MultiFieldPanel(
            [InlinePanel("manual_mentions", label="Moment")],
            heading="Linked by hand",
            help_text="Episodes or interviews that discuss this concept without naming it (mentions that "
            "name it are found automatically).",
        ),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("other_names"),
        index.SearchField("definition"),
        index.SearchField("body"),
        index.AutocompleteField("other_names"),
    ]
    parent_page_types = ["concepts.ConceptIndexPage"]
    subpage_types = []

    @property
    def term(self) -> str:
        return self.title

    @property
    def alias_list(self) -> list[str]:
        return [line.strip() for line in self.other_names.splitlines() if line.strip()]

    @property
    def names(self) -> list[str]:
        """The term and its aliases, as linking and the glossary prompt use them."""
        return list(dict.fromkeys([self.title, *self.alias_list]))

    def clean(self):
        super().clean()
        empty = [name for name in self.names if name_pattern(name) is None]
        if empty:
            raise ValidationError(
                {"other_names": f"These have no letters or digits to find: {', '.join(empty)}"}
            )

    def related_concepts(self):
        """Live concepts linked to this one from either page: the relation is two-way."""
        return (
            ConceptPage.objects.live()
            .public()
            .filter(Q(related_links_in__page=self) | Q(related_links__concept=self))
            .exclude(pk=self.pk)
            .distinct()
            .order_by("title")
        )

    @cached_property
    def moments(self):
        """Where this concept is discussed, grouped by page: ``[(page, [moment, ...]), ...]``, newest page
        first; a moment has ``start_ms`` (None for interview text), ``quote`` and ``url``."""
        from .mentions import moments_for_concept

        return moments_for_concept(self)

    def open_graph(self, meta, request, *, root: str, url: str) -> None:
        meta.og_type = "article"

    def json_ld(self, meta, request, *, root: str, url: str) -> list[dict]:
        data = self.schema_ld("DefinedTerm", meta, url)
        data["name"] = self.title  # the term itself, even when an SEO title is set
        data["description"] = plain_text(self.definition, None)
        if self.alias_list:
            data["alternateName"] = self.alias_list
        glossary = self.get_parent()
        if glossary is not None:
            data["inDefinedTermSet"] = {
                "@type": "DefinedTermSet",
                "name": glossary.title,
                "url": glossary.get_full_url(request),
            }
        return [data]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["related_concepts"] = self.related_concepts()
        context["moments"] = self.moments
        return context


class RelatedConcept(Orderable):
    page = ParentalKey(ConceptPage, on_delete=models.CASCADE, related_name="related_links")
    concept = models.ForeignKey(ConceptPage, on_delete=models.CASCADE, related_name="related_links_in")

    panels = [FieldPanel("concept")]

    class Meta(Orderable.Meta):
        constraints = [models.UniqueConstraint(fields=["page", "concept"], name="unique_related_concept")]

    def clean(self):
        if self.page_id and self.concept_id == self.page_id:
            raise ValidationError({"concept": "A concept cannot be related to itself."})


class ManualMention(Orderable):
    """An editor's link from a concept to an episode or interview that discusses it without the words."""

    page = ParentalKey(ConceptPage, on_delete=models.CASCADE, related_name="manual_mentions")
    target = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="+", verbose_name="episode or interview"
    )
    start_ms = MillisecondsField("start", null=True, blank=True, help_text="Where in the audio, e.g. 12:30.")
    note = models.TextField(blank=True, help_text="Shown as the quote: what is said there.")

    panels = [
        PageChooserPanel("target", ["episodes.EpisodePage", "episodes.InterviewPage"]),
        FieldPanel("start_ms"),
        FieldPanel("note"),
    ]

    def clean(self):
        from episodes.models import EpisodePage, InterviewPage

        if self.target_id and not isinstance(self.target.specific, EpisodePage | InterviewPage):
            raise ValidationError({"target": "Choose an episode or an interview."})

    @classmethod
    def counts(cls, concept_ids) -> dict[int, int]:
        """Live, public pages linked by hand per concept, not counting pages its mentions already count."""
        from .mentions import Mention

        public = released_pages().public().values("pk")
        rows = (
            cls.objects.filter(page_id__in=concept_ids, target__in=public)
            .exclude(
                target__in=Mention.objects.visible()
                .filter(concept_id=models.OuterRef("page_id"))
                .values("page")
            )
            .values("page_id")
            .annotate(n=Count("target", distinct=True), first=Min("start_ms"))
        )
        return {row["page_id"]: row["n"] for row in rows}
