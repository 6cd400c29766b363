from django.urls import path
from django.utils.functional import cached_property
from django.utils.text import Truncator
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button
from wagtail.permission_policies import ModelPermissionPolicy

from . import admin_views
from .models import Transcript


class MadeByTranscriptionPolicy(ModelPermissionPolicy):
    """Transcripts are made by transcription, not typed in: the admin lists and inspects them (and
    deletes one to start again); segments are corrected in their own editor (``admin_views``), which
    checks the ``change_transcript`` permission itself."""

    def user_has_permission(self, user, action):
        return action not in ("add", "copy", "change") and super().user_has_permission(user, action)


class ProgressColumn(Column):
    def get_value(self, instance):
        if instance.status == Transcript.RUNNING:
            return f"{instance.progress:.0%}"
        return ""


class ErrorColumn(Column):
    def get_value(self, instance):
        held = f"Held for review: {instance.held_reason}" if instance.held else ""
        return Truncator(instance.error or held).chars(120)


def review_buttons(transcript, user) -> list[Button]:
    """Links to a transcript's review views, for those who may use them."""
    if not admin_views.can_review(user):
        return []
    links = admin_views.review_links(transcript)
    rerun = "Try again" if transcript.status == Transcript.FAILED else "Transcribe again"
    return [
        Button("Edit segments", url=links["segments"], icon_name="edit", priority=1),
        Button("Name speakers", url=links["speakers"], icon_name="user", priority=2),
        Button(rerun, url=links["rerun"], icon_name="rotate", priority=3),
        Button("Import WebVTT or SRT", url=links["import"], icon_name="upload", priority=4),
        Button("Revisions", url=links["revisions"], icon_name="history", priority=5),
    ]


class TranscriptInspectView(InspectView):
    @cached_property
    def header_more_buttons(self):
        return review_buttons(self.object, self.request.user) + super().header_more_buttons


class TranscriptIndexView(IndexView):
    def get_list_more_buttons(self, instance):
        return review_buttons(instance, self.request.user) + super().get_list_more_buttons(instance)


class TranscriptViewSet(ModelViewSet):
    model = Transcript
    url_prefix = "transcripts"
    url_namespace = "transcripts_admin"  # "transcripts" names the public transcript files
    icon = "doc-full-inverse"
    menu_label = "Transcripts"
    menu_order = 270
    add_to_admin_menu = True
    list_display = [
        "audio",
        "status",
        ProgressColumn("progress", label="Progress"),
        "language",
        "attempts",
        ErrorColumn("error", label="Problem"),
        "finished_at",
    ]
    list_filter = ["status", "held", "edited", "language"]
    search_fields = ["audio__title"]
    inspect_view_enabled = True
    inspect_view_fields = [
        "audio",
        "status",
        "progress",
        "engine",
        "model",
        "language",
        "attempts",
        "error",
        "queued_at",
        "started_at",
        "finished_at",
        "heartbeat_at",
        "held",
        "held_reason",
        "edited",
        "edited_at",
        "edited_by",
    ]
    form_fields = ["language"]
    index_view_class = TranscriptIndexView
    inspect_view_class = TranscriptInspectView

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("<int:pk>/segments/", admin_views.SegmentsView.as_view(), name="segments"),
            path("<int:pk>/speakers/", admin_views.SpeakersView.as_view(), name="speakers"),
            path("<int:pk>/rerun/", admin_views.RerunView.as_view(), name="rerun"),
            path("<int:pk>/approve/", admin_views.ApproveView.as_view(), name="approve"),
            path("<int:pk>/revisions/", admin_views.RevisionsView.as_view(), name="revisions"),
            path(
                "<int:pk>/revisions/<int:revision_pk>/", admin_views.RevisionView.as_view(), name="revision"
            ),
            path("import/<int:audio_pk>/", admin_views.ImportView.as_view(), name="import"),
        ]
