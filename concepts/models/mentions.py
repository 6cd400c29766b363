from datetime import UTC, datetime

from django.db import models
from django.db.models import Q
from wagtail.models import Page

from episodes.models import released_pages
from episodes.privacy import public
from transcripts.models import Transcript


class MentionQuerySet(models.QuerySet):
    def visible(self):
        """Mentions a visitor may see: not hidden by an editor, on live pages without view restrictions,
        of live concepts, written in the page or said in a published transcript
        (``Transcript.objects.published``: not one whose audio has since been replaced)."""
        public = released_pages().public().values("pk")
        return self.filter(hidden=False, page__in=public, concept__live=True).said_in(
            Transcript.objects.published()
        )

    def said_in(self, transcripts):
        """Mentions in a page's written text, or said in one of ``transcripts`` (a Transcript queryset).

        Linking keeps the mentions of every finished transcript; which of them show is decided here, when
        they are read, so that a transcript that is current again (the old file put back) brings its
        mentions back with it."""
        return self.filter(Q(segment__isnull=True) | Q(segment__transcript__in=transcripts))


class Mention(models.Model):
    """A place where a concept's term or alias is said (a transcript segment) or written (a block of an
    interview). Found by ``concepts.linking``, never typed in; an editor can hide a wrong one, and a
    hidden mention stays hidden when linking runs again."""

    concept = models.ForeignKey("concepts.ConceptPage", on_delete=models.CASCADE, related_name="mentions")
    page = models.ForeignKey(
        "wagtailcore.Page",
        on_delete=models.CASCADE,
        related_name="concept_mentions",
        help_text="The episode or interview where it is discussed.",
    )
    segment = models.ForeignKey(
        "transcripts.Segment", null=True, blank=True, on_delete=models.CASCADE, related_name="mentions"
    )
    block_id = models.CharField(
        max_length=64, blank=True, help_text="For written text: the id of the interview's body block."
    )
    start_ms = models.PositiveIntegerField(null=True, blank=True)
    quote = models.TextField(help_text="The sentence where the term occurs.")
    hidden = models.BooleanField(default=False, help_text="A wrong match: not shown anywhere.")
    found_at = models.DateTimeField(auto_now=True)

    objects = MentionQuerySet.as_manager()

    class Meta:
        ordering = ["page", "start_ms", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["concept", "page", "segment"],
                condition=Q(segment__isnull=False),
                name="unique_segment_mention",
            ),
            models.UniqueConstraint(
                fields=["concept", "page", "block_id"],
                condition=Q(segment__isnull=True),
                name="unique_text_mention",
            ),
        ]
        indexes = [models.Index(fields=["page", "concept"])]

    def __str__(self):
        return f"{self.concept} in {self.page}"


class Moment:
    """A mention as the pages show it: a quote, who says it (``speaker``, "" when nobody is named or the
    words are written) and a link that opens the page playing from that time."""

    def __init__(self, page, start_ms, quote, *, by_hand=False, speaker=""):
        self.page, self.start_ms, self.quote, self.by_hand = page, start_ms, quote, by_hand
        self.speaker = " ".join((speaker or "").split())

    @property
    def seconds(self) -> int | None:
        return None if self.start_ms is None else self.start_ms // 1000

    @property
    def url(self) -> str:
        url = self.page.url or ""
        return url if self.start_ms is None else f"{url}?t={self.seconds}"


def moments_for_concept(concept) -> list[tuple]:
    """``[(page, [Moment, ...]), ...]`` for one concept: its visible mentions and the live, public pages
    linked by hand, grouped by page (newest first), moments in time order. A constant number of queries
    whatever the number of pages."""
    from .pages import ManualMention

    rows = list(
        Mention.objects.visible()
        .filter(concept=concept)
        .order_by("page_id", "start_ms", "pk")
        .values_list("page_id", "start_ms", "quote", "segment__speaker")  # the speaker as it is now
    )
    manual = list(
        ManualMention.objects.filter(page=concept, target__in=released_pages().public().values("pk"))
        .order_by("sort_order")
        .values_list("target_id", "start_ms", "note")
    )
    page_ids = {row[0] for row in rows} | {row[0] for row in manual}
    pages = {page.pk: page for page in Page.objects.filter(pk__in=page_ids).specific()}
    grouped: dict[int, list[Moment]] = {}
    for page_id, start_ms, note in manual:
        grouped.setdefault(page_id, []).append(Moment(pages[page_id], start_ms, note, by_hand=True))
    for page_id, start_ms, quote, speaker in rows:
        grouped.setdefault(page_id, []).append(Moment(pages[page_id], start_ms, quote, speaker=speaker))
    for moments in grouped.values():
        moments.sort(key=lambda m: (m.start_ms is None, m.start_ms or 0))
    order = sorted(grouped, key=lambda pk: _published(pages[pk]), reverse=True)
    return [(pages[pk], grouped[pk]) for pk in order]


def _published(page):
    """When a page came out, for ordering newest first (an episode's own date, else Wagtail's)."""
    date = getattr(page, "publication_date", None) or page.first_published_at
    return (date or datetime.min.replace(tzinfo=UTC), page.pk)


def concepts_on_page(page, transcript) -> list[tuple]:
    """``[(concept, first Moment or None), ...]``: the live, public concepts discussed on ``page`` (found in
    its text or in ``transcript``, the transcript it shows: ``Transcript.objects.shown_with(page.audio)``,
    None when it shows none; or linked by hand), A to Z, each with the earliest moment it comes up. Three
    plain queries: which concepts are live and public is asked once, of the few concepts found."""
    from .pages import ConceptPage, ManualMention

    first: dict[int, tuple] = {}
    said = Q(segment__isnull=True)  # written in the page
    if transcript is not None:
        said |= Q(segment__transcript=transcript)
    rows = (
        Mention.objects.filter(said, page=page, hidden=False)
        .order_by("concept_id", "start_ms", "pk")
        .values_list("concept_id", "start_ms", "quote")
    )
    for concept_id, start_ms, quote in rows:
        first.setdefault(concept_id, (start_ms, quote))
    for concept_id, start_ms, note in ManualMention.objects.filter(target=page).values_list(
        "page_id", "start_ms", "note"
    ):
        known = first.get(concept_id)
        if known is None or (start_ms is not None and (known[0] is None or start_ms < known[0])):
            first[concept_id] = (start_ms, note)
    # A link needs the title and the URL: not the definitions, bodies and references, most of a row.
    concepts = (
        public(ConceptPage.objects.live().filter(pk__in=first)).order_by("title").only("title", "url_path")
    )
    return [(concept, Moment(page, *first[concept.pk])) for concept in concepts]
