from django.utils.html import format_html
from wagtail.admin.ui.tables import Column
from wagtail.snippets.views.chooser import ChooseView, SnippetChooserViewSet, SnippetCreateView
from wagtail.snippets.views.snippets import CreateView, EditView, SnippetViewSet

from .models import AudioFile, Person
from .storing import StorageError
from .timecodes import format_timecode
from .upload_limits import refuse_oversized_uploads
from .uploads import AudioFileUploadForm


class DurationColumn(Column):
    def get_value(self, instance):
        return format_timecode(instance.duration_ms)


class DeliveryColumn(Column):
    """The status of the file listeners get (annotated by ``with_delivery_status``: no query per row)."""

    def get_value(self, instance):
        from .delivery.admin import status_label

        return status_label(
            getattr(instance, "delivery_status", None),
            getattr(instance, "delivery_progress", None),
            getattr(instance, "delivery_bitrate", None),
        )


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


class StorageErrorMixin:
    """A storage failure while the upload is saved (a full disk) is shown on the form, beside the file
    field, as a refused file is; nothing was saved (see ``episodes.storing``)."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except StorageError as error:
            form.add_error("file", str(error))
            self.produced_error_code = "storage_error"
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class AudioFileCreateView(StorageErrorMixin, CreateView):
    pass


class AudioFileEditView(StorageErrorMixin, EditView):
    pass


class AudioChooseView(UploaderMixin, ChooseView):
    pass


class AudioChooserCreateView(UploaderMixin, SnippetCreateView):
    def post(self, request):
        self.form = self.get_creation_form()
        if not self.form.is_valid():
            return self.get_reshow_creation_form_response()
        try:
            audio = self.save_form(self.form)
        except StorageError as error:  # see StorageErrorMixin
            self.form.add_error("file", str(error))
            return self.get_reshow_creation_form_response()
        return self.get_chosen_response(audio)


class AudioFileChooserViewSet(SnippetChooserViewSet):
    """The audio chooser on an episode's edit page, with an 'Upload' tab beside the list."""

    choose_view_class = AudioChooseView
    create_view_class = AudioChooserCreateView
    creation_form_class = AudioFileUploadForm
    create_action_label = "Upload"
    create_action_clicked_label = "Uploading and checking…"

    @property
    def create_view(self):
        return refuse_oversized_uploads(super().create_view)


class AudioFileViewSet(SnippetViewSet):
    model = AudioFile
    add_view_class = AudioFileCreateView
    edit_view_class = AudioFileEditView
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
        DeliveryColumn("delivery", label="For listeners"),
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

    def get_queryset(self, request):
        from .delivery.admin import with_delivery_status

        return with_delivery_status(AudioFile.objects.all())

    # The views that receive files refuse one larger than AUDIO_MAX_UPLOAD_BYTES before reading it.
    @property
    def add_view(self):
        return refuse_oversized_uploads(super().add_view)

    @property
    def edit_view(self):
        return refuse_oversized_uploads(super().edit_view)


class PersonViewSet(SnippetViewSet):
    model = Person
    icon = "user"
    menu_label = "People"
    menu_order = 260
    add_to_admin_menu = True
    list_display = ["name", "role_description"]
    search_fields = ["name", "role_description"]
