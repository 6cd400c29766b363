"""``manage.py prepare_audio``: what upgrading a site runs (docs/operators.md)."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from episodes.factories import AudioFileFactory
from episodes.models import AudioRendition

pytestmark = pytest.mark.django_db


def test_missing_renditions_are_prepared_once(masters):
    audio = AudioFileFactory(path=masters["quiet_mono_flac"], title="Existing")
    out = StringIO()

    call_command("prepare_audio", "--missing", "--sync", stdout=out, verbosity=0)

    rendition = audio.renditions.get()
    assert rendition.status == AudioRendition.DONE and rendition.channels == 1 and rendition.bitrate == 64_000
    assert "Done: Existing (64 kbit/s" in out.getvalue()
    call_command("prepare_audio", "--missing", "--sync", stdout=out, verbosity=0)
    assert audio.renditions.count() == 1


def test_ids_are_checked_and_required():
    with pytest.raises(CommandError, match="Name audio file ids"):
        call_command("prepare_audio")
    with pytest.raises(CommandError, match="No audio file with id 999"):
        call_command("prepare_audio", "999")
