"""The show (with artwork) and its episode (with audio) whose machine-readable data the tests read."""

from datetime import datetime

import pytest
import wagtail_factories
from django.utils import timezone

from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory


@pytest.fixture
def artwork():
    return wagtail_factories.ImageFactory(title="Show artwork", description="A microphone between two chairs")


@pytest.fixture
def show(home_page, artwork):
    return ShowPageFactory(parent=home_page, title="The Power of Coproduction", artwork=artwork)


@pytest.fixture
def audio(audio_dir):
    return AudioFileFactory(path=audio_dir / "tone.mp3")


@pytest.fixture
def episode(show, audio):
    return EpisodePageFactory(
        parent=show,
        title="Deciding together",
        summary="Two people talk about deciding together.",
        audio=audio,
        episode_number=3,
        season=1,
        publication_date=timezone.make_aware(datetime(2026, 2, 1, 10, 0)),
    )
