import os

from django import forms
from django.db import transaction
from wagtail.admin.forms import WagtailAdminModelForm, WagtailAdminPageForm

from .audioinfo import EMPTY_MESSAGE, EXTENSIONS, AudioError, inspect_audio
from .storing import store_upload


class AudioFileForm(WagtailAdminModelForm):
    """Upload form for AudioFile: the file is checked by content and described before it is saved."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._previous_file_name = self.instance.file.name if self.instance.pk else ""
        self.fields["file"].widget = forms.ClearableFileInput(
            attrs={"accept": ",".join(f".{ext}" for ext in EXTENSIONS) + ",audio/*"}
        )
        # Django's file field refuses an empty upload before clean_file sees it: say it in the same words.
        self.fields["file"].error_messages["empty"] = EMPTY_MESSAGE
        self.fields["file"].help_text = (
            "MP3, M4A/AAC, Ogg Opus/Vorbis, FLAC or WAV. The type is checked from the content; "
            "duration, bitrate and a checksum are read when you save."
        )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is None or upload is False:
            return upload
        if "file" not in self.changed_data and self.instance.pk:
            return upload  # unchanged file on an edit: it was checked when it was uploaded
        try:
            self.audio_info = inspect_audio(upload, getattr(upload, "size", None))
        except AudioError as exc:
            raise forms.ValidationError(str(exc), code="invalid_audio") from exc
        return upload

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("title") and getattr(self, "audio_info", None):
            name = os.path.basename(getattr(cleaned.get("file"), "name", "") or "")
            cleaned["title"] = os.path.splitext(name)[0] or "Untitled audio"
        return cleaned

    def save(self, commit=True):
        info = getattr(self, "audio_info", None)
        if info is not None:
            self.instance.apply_info(info)
            if self.for_user is not None and self.instance.uploaded_by_id is None:
                self.instance.uploaded_by = self.for_user
            if commit:
                # The bytes before the row: a storage failure (a full disk) then saves nothing, and says so.
                store_upload(self.instance)
        instance = super().save(commit=commit)
        old_name = self._previous_file_name
        if commit and info is not None and old_name and old_name != instance.file.name:
            # The file was replaced: its old URL stops working, so the old bytes can go.
            storage = instance.file.storage
            transaction.on_commit(lambda: storage.delete(old_name))
        return instance


class ShowPageForm(WagtailAdminPageForm):
    """The show's edit form. The owner email may be blank in the database (a show imported from a feed
    without one must be saved), but an editor saving the show gives one: Apple requires it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "owner_email" in self.fields:
            self.fields["owner_email"].required = True
