"""``AudioRendition.objects.ready_for(audio)``, the page's join-free question, answers as ``ready()`` does for
that audio file, through every state a rendition passes (done, retired, a re-tag at work and done, another
master's, failed)."""

from __future__ import annotations

import secrets

import pytest
from django.utils import timezone

from episodes.factories import AudioFileFactory
from episodes.models import AudioRendition
from episodes.models.renditions import listening

pytestmark = pytest.mark.django_db


def rendition(audio, fmt=AudioRendition.MP3, *, status=AudioRendition.DONE, master=None, **fields):
    return AudioRendition.objects.create(
        audio=audio,
        format=fmt,
        master_sha256=master or audio.sha256,
        status=status,
        sha256=secrets.token_hex(32),
        size=1000,
        duration_ms=audio.duration_ms,
        **fields,
    )


def both(audio) -> tuple[set, set]:
    renditions = AudioRendition.objects
    return set(renditions.ready_for(audio)), set(renditions.ready().filter(audio=audio))


def test_ready_for_agrees_with_ready_in_every_state(audio_dir):
    audio = AudioFileFactory(path=audio_dir / "tone.mp3", title="Tone")
    other = AudioFileFactory(path=audio_dir / "tone.mp3", title="Another file")
    current = rendition(audio)
    rendition(audio, retired_at=timezone.now())  # an older rendition, retired
    rendition(audio, AudioRendition.M4A, master="0" * 64)  # made from the file's earlier content
    rendition(audio, AudioRendition.OPUS, status=AudioRendition.FAILED)
    rendition(other)  # another file's
    retag = rendition(audio, status=AudioRendition.QUEUED, retag_of=current)  # new tags at work

    ready_for, ready = both(audio)
    assert ready_for == ready == {current}
    assert listening(audio).url == AudioRendition.path_for(audio.pk, current.sha256, AudioRendition.MP3)

    # The re-tag done replaces its source, as retagging does: the new file is the one offered.
    current.retired_at = timezone.now()
    current.save(update_fields=["retired_at"])
    retag.status = AudioRendition.DONE
    retag.save(update_fields=["status"])
    ready_for, ready = both(audio)
    assert ready_for == ready == {retag}

    # A new master (new content): nothing of the old content is offered.
    audio.sha256 = "f" * 64
    audio.save(update_fields=["sha256"])
    ready_for, ready = both(audio)
    assert ready_for == ready == set()
