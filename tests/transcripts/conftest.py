"""Fixtures for the transcript review tests (test_review_*.py). A module that defines a fixture of the
same name (test_admin's ``episode``, test_accuracy's ``spoken``) keeps its own."""

import pytest
from wagtail import hooks

from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory


@pytest.fixture
def show(home_page):
    return ShowPageFactory(parent=home_page)


@pytest.fixture
def episode(show, audio_dir):
    """An episode whose audio is the 3-second tone."""
    return EpisodePageFactory(parent=show, audio=AudioFileFactory(path=audio_dir / "tone.mp3", title="Tone"))


@pytest.fixture
def spoken(audio_dir):
    """Audio of real speech, not yet transcribed (made outside any on-commit capture)."""
    return AudioFileFactory(path=audio_dir / "speech.mp3", title="Speech")


@pytest.fixture
def changed_transcripts():
    """The transcripts that ``transcript_changed`` hooks were told about."""
    told = []
    with hooks.register_temporarily("transcript_changed", told.append):
        yield told
