from django.core.exceptions import ValidationError
from django.db import models
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, PageChooserPanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page
from wagtail.search import index

from episodes.fields import MillisecondsField
from episodes.models import released_pages
from episodes.seo import SeoMixin
from episodes.timecodes import format_timecode


class LearningPathPage(SeoMixin, Page):
    """For a class or a workshop: moments from the catalogue in an order, each with a note and questions
    to discuss, and questions for the whole session."""

    intro = RichTextField(blank=True, help_text="Who it is for and what they will take away.")
    audience = models.CharField(max_length=255, blank=True, help_text="e.g. second-year nursing students.")
    duration_minutes = models.PositiveSmallIntegerField(
        "session length (minutes)", null=True, blank=True, help_text="How long the session takes."
    )
    closing_questions = models.TextField(
        "questions for the whole session", blank=True, help_text="One question per line."
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldRowPanel([FieldPanel("audience"), FieldPanel("duration_minutes")]),
        InlinePanel("steps", label="Moment", min_num=1),
        FieldPanel("closing_questions"),
    ]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("audience")]
    parent_page_types = ["concepts.ConceptIndexPage"]
    subpage_types = []

    @property
    def closing_question_list(self) -> list[str]:
        return [line.strip() for line in self.closing_questions.splitlines() if line.strip()]

    def visible_steps(self):
        """The steps whose episode or interview is live and public, each with ``target`` (specific page),
        ``url`` (opening at the start), ``quote`` (what is said between start and end, from the
        published transcript) and ``turns``, the same quote as ``[(speaker, text), ...]``, a run of lines
        by one speaker each ("" when nobody is named), for quoting who said what. A constant number of
        queries, however many steps."""
        from transcripts.formats import turns
        from transcripts.models import Segment, Transcript

        steps = list(self.steps.all())
        public = {
            page.pk: page
            for page in released_pages().public().filter(pk__in=[s.target_id for s in steps]).specific()
        }
        steps = [step for step in steps if step.target_id in public]
        audio_ids = {getattr(public[s.target_id], "audio_id", None) for s in steps} - {None}
        transcripts = dict(
            Transcript.objects.published().filter(audio_id__in=audio_ids).values_list("audio_id", "pk")
        )
        lines: dict[int, list[tuple[int, int, str, str]]] = {}
        for transcript_id, start, end, text, speaker in Segment.objects.filter(
            transcript_id__in=transcripts.values()
        ).values_list("transcript_id", "start_ms", "end_ms", "text", "speaker"):
            lines.setdefault(transcript_id, []).append((start, end, text, speaker))
        for step in steps:
            step.target = public[step.target_id]
            step.url = step.target.url + (f"?t={step.start_ms // 1000}" if step.start_ms else "")
            transcript_id = transcripts.get(getattr(step.target, "audio_id", None))
            end = step.end_ms if step.end_ms is not None else step.start_ms + 60_000
            said = [
                {"speaker": speaker, "text": text}
                for start_ms, end_ms, text, speaker in sorted(lines.get(transcript_id, []))
                if end_ms > step.start_ms and start_ms < end
            ]
            step.quote = " ".join(line["text"] for line in said)
            step.turns = [
                (speaker, " ".join(line["text"].strip() for line in run)) for speaker, run in turns(said)
            ]
        return steps

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["steps"] = self.visible_steps()
        return context


class LearningPathStep(Orderable):
    page = ParentalKey(LearningPathPage, on_delete=models.CASCADE, related_name="steps")
    target = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="+", verbose_name="episode or interview"
    )
    start_ms = MillisecondsField("from", default=0, help_text="e.g. 4:30")
    end_ms = MillisecondsField(
        "to", null=True, blank=True, help_text="Leave empty for a minute from the start."
    )
    note = models.TextField(blank=True, help_text="What to listen for.")
    questions = models.TextField("discussion questions", blank=True, help_text="One question per line.")

    panels = [
        PageChooserPanel("target", ["episodes.EpisodePage", "episodes.InterviewPage"]),
        FieldRowPanel([FieldPanel("start_ms"), FieldPanel("end_ms")]),
        FieldPanel("note"),
        FieldPanel("questions"),
    ]

    @property
    def question_list(self) -> list[str]:
        return [line.strip() for line in self.questions.splitlines() if line.strip()]

    def clean(self):
        from episodes.models import EpisodePage, InterviewPage

        errors = {}
        if self.end_ms is not None and self.start_ms is not None and self.end_ms <= self.start_ms:
            errors["end_ms"] = "The moment must end after it starts."
        if self.target_id:
            target = self.target.specific
            if not isinstance(target, EpisodePage | InterviewPage):
                errors["target"] = "Choose an episode or an interview."
            else:
                duration = getattr(getattr(target, "audio", None), "duration_ms", None)
                if duration and self.start_ms and self.start_ms >= duration:
                    errors["start_ms"] = f"The audio is only {format_timecode(duration)} long."
        if errors:
            raise ValidationError(errors)
