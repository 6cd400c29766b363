"""Chapters suggested from the episode's transcript, for the editor to accept or not, in a new draft.

The method is described in ``chapters.py``. What the editor ticks is added to the page's latest revision
and saved as a new draft (``EpisodePage.add_chapters_to_draft``): nothing is published, and a
chapter is never added at a time where the draft already has one. The episode's Transcript panel links
here (``transcript_review_tags.transcript_status_panel``).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.pages.utils import get_breadcrumbs_items_for_page

from episodes.models import Chapter, EpisodePage
from episodes.timecodes import format_timecode

from .chapters import Suggestion, suggest_chapters
from .models import Transcript

MAX_SUGGESTIONS = 50


class ChapterChoiceForm(forms.Form):
    add = forms.BooleanField(label="Add this chapter", required=False)
    start_ms = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    title = forms.CharField(
        label="Title", max_length=Chapter._meta.get_field("title").max_length, required=False
    )

    def __init__(self, *args, duration_ms: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if duration_ms is not None:
            end = format_timecode(duration_ms, precision="auto")
            self.fields["start_ms"].validators.append(
                MaxValueValidator(duration_ms, message=f"This is after the end of the audio ({end}).")
            )

    def clean(self):
        data = super().clean()
        if data.get("add") and not data.get("title"):
            self.add_error("title", "Give the chapter a title, or leave it unticked.")
        return data

    @property
    def start_label(self) -> str:
        start = self["start_ms"].value()
        try:
            return format_timecode(int(start), precision="auto", hours=True)
        except (TypeError, ValueError):
            return "?"


ChapterChoiceFormSet = forms.formset_factory(
    ChapterChoiceForm, extra=0, max_num=MAX_SUGGESTIONS, validate_max=True, absolute_max=MAX_SUGGESTIONS
)


def suggest_for(transcript: Transcript) -> list[Suggestion]:
    """Chapters proposed from a finished transcript, at most ``MAX_SUGGESTIONS``, the first at 0."""
    return suggest_chapters(transcript.segments.only("start_ms", "end_ms", "text"))[:MAX_SUGGESTIONS]


class SuggestChaptersView(WagtailAdminTemplateMixin, TemplateView):
    """Lists the chapters suggested for an episode; those the editor ticks go into a new draft."""

    template_name = "transcripts/admin/chapter_suggestions.html"
    page_title = "Suggested chapters"
    header_icon = "list-ol"

    def dispatch(self, request, page_id: int):
        self.page = get_object_or_404(EpisodePage, pk=page_id)
        if not self.page.permissions_for_user(request.user).can_edit():
            raise PermissionDenied
        lock = self.page.get_lock()
        if lock and lock.for_user(request.user):
            messages.error(request, f"Chapters cannot be added now: {lock.get_message(request.user)}")
            return redirect(self.edit_url)

        self.draft = self.page.get_latest_revision_as_object()
        problem = self.transcript_problem()
        if problem:
            messages.warning(request, problem)
            return redirect(self.edit_url)
        return super().dispatch(request, page_id)

    @cached_property
    def edit_url(self) -> str:
        return reverse("wagtailadmin_pages:edit", args=[self.page.pk])

    @cached_property
    def transcript(self) -> Transcript | None:
        audio = self.draft.audio
        return getattr(audio, "transcript", None) if audio else None

    def transcript_problem(self) -> str:
        """Why chapters cannot be suggested for the draft's audio, or "" when they can."""
        if not self.draft.audio:
            return "Chapters are suggested from the transcript: choose the episode's audio and save first."
        transcript = self.transcript
        if transcript is None or transcript.status != Transcript.DONE:
            status = transcript.get_status_display().lower() if transcript else "not started"
            return (
                f"Chapters can be suggested once the transcript is done (it is {status}); "
                "the Transcript line on the edit page shows its progress."
            )
        if not transcript.is_current:
            return (
                "The transcript is of an earlier version of the audio file; "
                "have it transcribed again before asking for chapters."
            )
        return ""

    def get_page_subtitle(self):
        return self.page.get_admin_display_title()

    def get_breadcrumbs_items(self):
        return get_breadcrumbs_items_for_page(self.page, self.request.user) + [
            {"url": None, "label": self.page_title}
        ]

    def get(self, request, page_id: int):
        suggestions = suggest_for(self.transcript)
        taken = {chapter.start_ms: chapter.title for chapter in self.draft.chapters.all()}
        fresh = [suggestion for suggestion in suggestions if suggestion.start_ms not in taken]
        formset = ChapterChoiceFormSet(
            initial=[{"start_ms": s.start_ms, "title": s.title} for s in fresh],
            form_kwargs={"duration_ms": self.draft.audio.duration_ms},
        )
        keywords = {s.start_ms: s.keywords for s in fresh}
        already = [
            (format_timecode(s.start_ms, precision="auto", hours=True), taken[s.start_ms])
            for s in suggestions
            if s.start_ms in taken
        ]
        return self.render_to_response(
            self.get_context_data(formset=formset, already=already, keywords=keywords)
        )

    def post(self, request, page_id: int):
        formset = ChapterChoiceFormSet(
            request.POST, form_kwargs={"duration_ms": self.draft.audio.duration_ms}
        )
        if not formset.is_valid():
            messages.error(request, "The chapters could not be added; see the errors below.")
            return self.render_to_response(self.get_context_data(formset=formset))
        chosen = [
            (form.cleaned_data["start_ms"], form.cleaned_data["title"])
            for form in formset
            if form.cleaned_data.get("add")
        ]
        if not chosen:
            messages.error(request, "Tick the chapters you want to add.")
            return self.render_to_response(self.get_context_data(formset=formset))

        added, skipped = self.page.add_chapters_to_draft(chosen, request.user)
        skipped_text = ""
        if skipped:
            times = ", ".join(format_timecode(ms, precision="auto") for ms in skipped)
            skipped_text = f" Not added, as a chapter already starts there: {times}."
        if added:
            messages.success(
                request,
                f"{added} chapter{'s' if added != 1 else ''} added to a new draft; review and publish."
                + skipped_text,
            )
        else:
            messages.warning(request, "No chapters added." + skipped_text)
        return redirect(self.edit_url)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        formset = context["formset"]
        keywords = context.get("keywords", {})
        starts = [_valid_start(form) for form in formset]
        # The words the transcript says at each suggested start, to help the editor judge it.
        openings = dict(
            self.transcript.segments.filter(start_ms__in=[s for s in starts if s is not None]).values_list(
                "start_ms", "text"
            )
        )
        context.update(
            page=self.page,
            edit_url=self.edit_url,
            rows=[
                (form, keywords.get(start, ()), openings.get(start, ""))
                for form, start in zip(formset, starts, strict=True)
            ],
        )
        return context


def _valid_start(form: ChapterChoiceForm) -> int | None:
    """The form's start, if it is one (a tampered value must not reach a query)."""
    if not form.is_bound:
        return form.initial.get("start_ms")
    return getattr(form, "cleaned_data", {}).get("start_ms")
