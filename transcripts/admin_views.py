"""The editor's review of transcripts in the Wagtail admin: the segment editor, naming speakers, re-running,
revisions, importing captions and the report of failed transcriptions.

The Transcripts listing itself stays read-only (``viewsets.MadeByTranscriptionPolicy``); these views check
the model permission ``transcripts.change_transcript`` themselves, which the Editors and Moderators groups
have (migration 0003). The work is done in ``editing``; the views only show and ask.
"""

from __future__ import annotations

from django.contrib.admin.utils import quote
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.views import View
from wagtail.admin import messages
from wagtail.admin.admin_url_finder import AdminURLFinder
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.reports import ReportView

from episodes.models import AudioFile

from . import editing
from .forms import ImportCaptionsForm, SegmentFormSet, SpeakerNamesForm, initial_for, page_token
from .models import Transcript
from .speakers import is_label
from .words import uncertain_below

PERMISSION = "transcripts.change_transcript"
SEGMENTS_PER_PAGE = 50


def can_review(user) -> bool:
    return user.has_perm(PERMISSION)


def forbidden(request):
    """A 403 in the admin's look, saying which permission is missing. (Wagtail turns a raised
    PermissionDenied into a redirect to the dashboard; a 403 tells the browser and the editor plainly.)"""
    return TemplateResponse(
        request,
        "transcripts/admin/forbidden.html",
        {"header_title": "Permission denied", "breadcrumbs_items": []},
        status=403,
    )


class ReviewView(WagtailAdminTemplateMixin, View):
    """A view for those who may change transcripts (403 for anyone else), in the admin's furniture."""

    header_icon = "doc-full-inverse"

    def dispatch(self, request, *args, **kwargs):
        if not can_review(request.user):
            return forbidden(request)
        self.load(**kwargs)
        return super().dispatch(request, *args, **kwargs)

    def load(self, **kwargs):
        """Fetch what the view is about, once the user may see it."""

    def render(self, **context):
        return TemplateResponse(self.request, self.template_name, self.get_context_data(**context))

    def redirect_next(self, default: str):
        return HttpResponseRedirect(get_valid_next_url_from_request(self.request) or default)


class TranscriptView(ReviewView):
    """A review view of one transcript: /admin/transcripts/<pk>/..."""

    current = ""  # which of ACTIONS this view is

    def load(self, pk, **kwargs):
        self.transcript = get_object_or_404(Transcript.objects.select_related("audio"), pk=pk)
        self.audio = self.transcript.audio

    def get_page_subtitle(self):
        return self.audio.title

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("transcripts_admin:index"), "label": "Transcripts"},
            {
                "url": reverse("transcripts_admin:inspect", args=[quote(self.transcript.pk)]),
                "label": self.audio.title,
            },
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        links = review_links(self.transcript)
        context.update(
            transcript=self.transcript,
            audio=self.audio,
            links=links,
            actions=[
                {"url": links[name], "label": label, "current": name == self.current}
                for name, label in ACTIONS
            ],
        )
        return context


ACTIONS = [
    ("segments", "Edit segments"),
    ("speakers", "Name speakers"),
    ("rerun", "Transcribe again"),
    ("import", "Import WebVTT or SRT"),
    ("revisions", "Revisions"),
]


def review_links(transcript: Transcript) -> dict[str, str]:
    """The URLs of a transcript's review views, by name."""
    pk = quote(transcript.pk)
    links = {
        name: reverse(f"transcripts_admin:{name}", args=[pk])
        for name in ("segments", "speakers", "rerun", "revisions", "inspect", "approve")
    }
    links["import"] = reverse("transcripts_admin:import", args=[transcript.audio_id])
    return links


# ------------------------------------------------------------------------------------------ segment editor


class SegmentsView(TranscriptView):
    """The segments of a transcript, a page at a time, to correct their text, times and speakers."""

    page_title = "Edit segments"
    current = "segments"
    template_name = "transcripts/admin/segments.html"

    @cached_property
    def page(self):
        segments = self.transcript.segments.order_by("index")
        return WagtailPaginator(segments, SEGMENTS_PER_PAGE).get_page(self.request.GET.get("p"))

    def formset(self, data=None):
        rows = list(self.page.object_list)
        formset = SegmentFormSet(
            data,
            initial=None if data is not None else initial_for(rows),
            audio=self.audio,
            first_number=self.page.start_index(),
        )
        formset.uncertain_count = formset.mark_uncertain(rows)
        return formset

    def get(self, request, pk):
        return self.render(formset=self.formset(), token=page_token(self.page.object_list))

    def post(self, request, pk):
        formset = self.formset(request.POST)
        token = request.POST.get("token", "")
        if token != page_token(self.page.object_list):
            return self.conflict(formset, token)
        if not formset.is_valid():
            messages.error(request, "Nothing was saved: some segments need correcting (see below).")
            return self.render(formset=formset, token=token)
        changes, deletions = formset.changes()
        try:
            changed, deleted = editing.correct_segments(self.transcript, changes, deletions, request.user)
        except editing.Conflict:
            return self.conflict(formset, token)
        if changed or deleted:
            done = [f"{changed} segment{'s' if changed != 1 else ''} corrected"] if changed else []
            done += [f"{deleted} deleted"] if deleted else []
            messages.success(
                request,
                f"{', '.join(done).capitalize()}. The transcript as it was is kept in its revisions.",
            )
        else:
            messages.info(request, "Nothing had changed.")
        return HttpResponseRedirect(request.get_full_path())

    def conflict(self, formset, token):
        formset.is_valid()  # to show the editor's input as they typed it
        messages.error(
            self.request,
            "Nothing was saved: the segments on this page changed since you opened it (another editor, an "
            "import or a re-run). Your changes are still in the form below; copy what you need, then reload "
            "the page.",
        )
        return self.render(formset=formset, token=token)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            page=self.page,
            elided_page_range=self.page.paginator.get_elided_page_range(self.page.number),
            speaker_names=editing.speaker_suggestions(self.transcript),
            busy=self.transcript.status in (Transcript.QUEUED, Transcript.RUNNING),
            uncertain_percent=round(uncertain_below() * 100),
        )
        return context


class SpeakersView(TranscriptView):
    """Name each speaker once: every label with a sample line to play, mapped to one of the episode's people
    or a typed name; every line with that label follows (``editing.name_speakers``)."""

    page_title = "Name speakers"
    current = "speakers"
    template_name = "transcripts/admin/speakers.html"

    def form(self, data=None):
        return SpeakerNamesForm(
            data, speakers=editing.speakers(self.transcript), people=editing.page_people(self.transcript)
        )

    def get(self, request, pk):
        return self.render(form=self.form())

    def post(self, request, pk):
        form = self.form(request.POST)
        if not form.is_valid():
            messages.error(request, "Nothing was renamed; see the message below.")
            return self.render(form=form)
        names = form.names()
        if not names:
            messages.info(request, "Nothing had changed: no speaker was given a new name.")
            return self.render(form=form)
        count = editing.name_speakers(self.transcript, names, request.user)
        renamed = ", ".join(f"{old} is now {new}" for old, new in names.items())
        messages.success(
            request,
            f"{renamed} ({count} segment{'s' if count != 1 else ''}). A re-run gives these voices the same "
            "names; the transcript as it was is kept in its revisions.",
        )
        return HttpResponseRedirect(reverse("transcripts_admin:speakers", args=[self.transcript.pk]))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        samples = {row["label"]: row["sample"] for row in editing.speaker_samples(self.transcript)}
        form = context["form"]
        for row in form.rows:
            row["sample"] = samples.get(row["label"])
        context["speaker_names"] = editing.speaker_suggestions(self.transcript)
        return context


# ------------------------------------------------------------------------------------------------- re-run


class RerunView(TranscriptView):
    """Transcribe again. GET asks (saying what happens to an editor's corrections); only POST runs."""

    page_title = "Transcribe again"
    current = "rerun"
    template_name = "transcripts/admin/rerun.html"

    def get(self, request, pk):
        return self.render(
            next=get_valid_next_url_from_request(request),
            segment_count=self.transcript.segments.count(),
            named_speakers=[name for name in self.transcript.voices if not is_label(name)],
        )

    def post(self, request, pk):
        kept = " The present segments are kept in its revisions." if self.transcript.segments.exists() else ""
        editing.rerun(self.transcript, request.user)
        messages.success(request, f"{self.audio} is queued to be transcribed again.{kept}")
        return self.redirect_next(reverse("transcripts_admin:inspect", args=[quote(self.transcript.pk)]))


class ApproveView(TranscriptView):
    """Publish a transcript held for review (POST only): the editor has checked it."""

    def get(self, request, pk):
        return HttpResponseRedirect(review_links(self.transcript)["segments"])

    def post(self, request, pk):
        if editing.approve(self.transcript, request.user):
            messages.success(request, f"The transcript of {self.audio} is approved and published with it.")
        else:
            messages.info(request, f"The transcript of {self.audio} was not held for review.")
        return self.redirect_next(review_links(self.transcript)["segments"])


# ---------------------------------------------------------------------------------------------- revisions


class RevisionsView(TranscriptView):
    page_title = "Revisions"
    current = "revisions"
    template_name = "transcripts/admin/revisions.html"

    def get(self, request, pk):
        revisions = self.transcript.revisions.defer("segments").select_related("user")
        return self.render(revisions=revisions)


class RevisionView(TranscriptView):
    """One revision's segments, to read before restoring them (GET), and the restore itself (POST)."""

    current = "revisions"
    template_name = "transcripts/admin/revision.html"

    def load(self, pk, revision_pk, **kwargs):
        super().load(pk)
        self.revision = get_object_or_404(self.transcript.revisions.select_related("user"), pk=revision_pk)

    def get_page_title(self):
        return f"Revision: {self.revision}"

    def get(self, request, pk, revision_pk):
        return self.render(revision=self.revision)

    def post(self, request, pk, revision_pk):
        editing.restore(self.revision, request.user)
        messages.success(
            request,
            f"Restored the revision of {self.revision.created_at:%Y-%m-%d %H:%M}. The transcript as it was "
            "before is kept as a new revision.",
        )
        return HttpResponseRedirect(reverse("transcripts_admin:segments", args=[self.transcript.pk]))


# ------------------------------------------------------------------------------------------------- import


class ImportView(ReviewView):
    """Import a WebVTT or SRT file as the transcript of an audio file, instead of transcribing it."""

    page_title = "Import captions"
    template_name = "transcripts/admin/import.html"

    def load(self, audio_pk, **kwargs):
        self.audio = get_object_or_404(AudioFile, pk=audio_pk)
        self.transcript = Transcript.objects.filter(audio=self.audio).first()

    def get_page_subtitle(self):
        return self.audio.title

    def get_breadcrumbs_items(self):
        items = [{"url": reverse("transcripts_admin:index"), "label": "Transcripts"}]
        if self.transcript:
            url = reverse("transcripts_admin:inspect", args=[quote(self.transcript.pk)])
            items.append({"url": url, "label": self.audio.title})
        return self.breadcrumbs_items + items + [{"url": "", "label": self.page_title}]

    def form(self, data=None, files=None):
        initial = {"language": self.transcript.language if self.transcript else ""}
        return ImportCaptionsForm(data, files, audio=self.audio, initial=initial)

    def get(self, request, audio_pk):
        return self.render(form=self.form())

    def post(self, request, audio_pk):
        form = self.form(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, "Nothing was imported; see the message below.")
            return self.render(form=form)
        had_segments = self.transcript is not None and self.transcript.segments.exists()
        captions = form.captions
        transcript = editing.import_captions(
            self.audio,
            captions,
            name=form.cleaned_data["file"].name,
            user=request.user,
            language=form.cleaned_data["language"].strip(),
        )
        count = len(captions.segments)
        notes = [f"Imported {count} cue{'s' if count != 1 else ''} from {form.cleaned_data['file'].name}."]
        if captions.empty_cues:
            notes.append(
                f"{captions.empty_cues} cue{'s' if captions.empty_cues != 1 else ''} without text left out."
            )
        if had_segments:
            notes.append("The previous segments are kept in the transcript's revisions.")
        messages.success(request, " ".join(notes))
        return HttpResponseRedirect(reverse("transcripts_admin:segments", args=[transcript.pk]))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(audio=self.audio, transcript=self.transcript)
        return context


# ------------------------------------------------------------------------------------------ failed report


class FailedTranscriptionsReport(ReportView):
    """Transcriptions that failed for good (the retries are used up), with the reason and a way to try
    again. Exports as CSV or XLSX."""

    page_title = "Failed transcriptions"
    header_icon = "warning"
    template_name = "transcripts/admin/failed_report.html"
    results_template_name = "transcripts/admin/failed_report_results.html"
    index_url_name = "transcripts_reports:failed"
    index_results_url_name = "transcripts_reports:failed_results"
    model = Transcript
    verbose_name_plural = "failed transcriptions"
    list_export = ["audio.title", "error", "attempts", "queued_at", "finished_at", "engine", "model"]
    export_headings = {"audio.title": "Audio"}
    export_filename = "failed-transcriptions"

    def dispatch(self, request, *args, **kwargs):
        if not can_review(request.user):
            return forbidden(request)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return (
            Transcript.objects.filter(status=Transcript.FAILED)
            .select_related("audio")
            .prefetch_related("audio__episodes", "audio__interviews")
            .order_by("-finished_at", "-pk")
        )

    def decorate_paginated_queryset(self, object_list):
        finder = AdminURLFinder(self.request.user)
        for transcript in object_list:
            transcript.audio_admin_url = finder.get_edit_url(transcript.audio)
            transcript.pages = [*transcript.audio.episodes.all(), *transcript.audio.interviews.all()]
        return object_list
