"""Creating audio files outside the admin, through the admin's own form and checks."""

from pathlib import Path

from django.core.files import File

from .audioinfo import AudioError
from .forms import AudioFileForm
from .models import AudioFile


class AudioFileUploadForm(AudioFileForm):
    """The admin's upload form outside the admin (commands, the demo loader)."""

    class Meta:
        model = AudioFile
        fields = ["title", "file"]


def create_audio_file(path, *, title: str = "", user=None) -> AudioFile:
    """Create an AudioFile from a local file through the same checks as an admin upload.

    Raises :class:`AudioError` with the form's message when the file is refused; nothing is saved then.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"There is no file at {path}.")
    with path.open("rb") as fh:
        form = AudioFileUploadForm(
            data={"title": title}, files={"file": File(fh, name=path.name)}, for_user=user
        )
        if not form.is_valid():
            messages = [str(message) for errors in form.errors.values() for message in errors]
            raise AudioError(" ".join(messages))
        return form.save()
