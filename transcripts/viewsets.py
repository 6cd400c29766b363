from django.utils.text import Truncator
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from .models import Transcript


class MadeByTranscriptionPolicy(ModelPermissionPolicy):
    """Transcripts are made by transcription, not typed in: the admin lists and inspects them (and
    deletes one to start again); segments are corrected in their own editor."""

    def user_has_permission(self, user, action):
        return action not in ("add", "copy", "change") and super().user_has_permission(user, action)


class ProgressColumn(Column):
    def get_value(self, instance):
        if instance.status == Transcript.RUNNING:
            return f"{instance.progress:.0%}"
        return ""


class ErrorColumn(Column):
    def get_value(self, instance):
        return Truncator(instance.error).chars(120)


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
    list_filter = ["status", "edited", "language"]
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
        "edited",
        "edited_at",
        "edited_by",
    ]
    form_fields = ["language"]
