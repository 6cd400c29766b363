from django.utils.html import format_html
from wagtail.admin.ui.tables import Column
from wagtail.snippets.views.chooser import ChooseView, SnippetChooserViewSet, SnippetCreateView
from wagtail.snippets.views.snippets import SnippetViewSet

from .fields import format_timestamp
from .models import AudioFile, Person
from .uploads import AudioFileUploadForm


class DurationColumn(Column):
    def get_value(self, instance):
        return format_timestamp(instance.duration_ms - instance.duration_ms % 1000)


class ListenColumn(Column):
    def get_value(self, instance):
        return format_html(
            '<audio controls preload="none" src="{}" aria-label="Play {}"></audio>',
            instance.url,
            instance.title,
        )


class UploaderMixin:
    """Gives the upload form the signed-in user, who is recorded as the uploader."""

    def get_creation_form_kwargs(self):
        return {**super().get_creation_form_kwargs(), "for_user": self.request.user}


class AudioChooseView(UploaderMixin, ChooseView):
    pass


class AudioChooserCreateView(UploaderMixin, SnippetCreateView):
    pass


class AudioFileChooserViewSet(SnippetChooserViewSet):
    """The audio chooser on an episode's edit page, with an 'Upload' tab beside the list."""

    choose_view_class = AudioChooseView
    create_view_class = AudioChooserCreateView
    creation_form_class = AudioFileUploadForm
    create_action_label = "Upload"
    create_action_clicked_label = "Uploading and checking…"


class AudioFileViewSet(SnippetViewSet):
    model = AudioFile
    icon = "media"
    menu_label = "Audio"
    menu_order = 250
    add_to_admin_menu = True
    add_to_reference_index = True
    search_fields = ["title"]
    list_display = [
        "title",
        DurationColumn("duration", label="Duration"),
        "mime_type",
        ListenColumn("listen", label="Listen"),
        "created_at",
    ]
    list_filter = ["mime_type"]
    chooser_viewset_class = AudioFileChooserViewSet
    inspect_view_enabled = True
    inspect_view_fields = [
        "title",
        "file",
        "mime_type",
        "duration_ms",
        "bitrate",
        "sample_rate",
        "channels",
        "size",
        "sha256",
        "created_at",
        "uploaded_by",
    ]


class PersonViewSet(SnippetViewSet):
    model = Person
    icon = "user"
    menu_label = "People"
    menu_order = 260
    add_to_admin_menu = True
    list_display = ["name", "role_description"]
    search_fields = ["name", "role_description"]
