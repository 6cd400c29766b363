"""Scheduled publishing with the real scheduler: `manage.py scheduler` runs as its own process (production
settings, the test database) and publishes an episode when its go-live date comes, and unpublishes one
when its expiry date comes, without anyone asking; the feed follows, and the owner is told by email (the
console backend of production's default EMAIL_URL, in the scheduler's output)."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from episodes.feeds import build_feed
from episodes.models import EpisodePage, ShowPage

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

INTERVAL = 0.5  # seconds between the scheduler's rounds (60 in production)


@pytest.fixture
def show(home_page):
    show = ShowPageFactory(parent=home_page, slug="coproduction", notification_addresses="team@example.org")
    show.save_revision().publish()
    return ShowPage.objects.get(pk=show.pk)


def in_feed(show, title: str) -> bool:
    return f"<title>{title}</title>".encode() in build_feed(ShowPage.objects.get(pk=show.pk))


def test_the_scheduler_publishes_at_go_live_and_unpublishes_at_expiry(cluster, show, audio_dir):
    owner = get_user_model().objects.create_user("producer", email="producer@example.org")
    audio = AudioFileFactory(path=audio_dir / "tone.mp3", title="Tone")
    leaving = EpisodePageFactory(parent=show, title="Leaving soon", audio=audio)
    scheduler = cluster.start("scheduler", "scheduler", "--interval", str(INTERVAL))
    cluster.wait_for_output(scheduler, "Scheduler started", timeout=60)

    # Scheduled as the admin's Publish with a go-live date does, a few seconds ahead.
    go_live_at = timezone.now() + timedelta(seconds=2.5)
    episode = EpisodePageFactory(parent=show, title="Monday morning", audio=audio, live=False, owner=owner)
    episode.go_live_at = episode.publication_date = go_live_at
    episode.save_revision().publish()
    leaving.expire_at = timezone.now() + timedelta(seconds=3)
    leaving.save_revision().publish()
    assert not EpisodePage.objects.get(pk=episode.pk).live
    assert not in_feed(show, "Monday morning") and in_feed(show, "Leaving soon")

    cluster.wait_until(
        lambda: EpisodePage.objects.get(pk=episode.pk).live, timeout=30, what="the go-live date to publish"
    )
    published = EpisodePage.objects.get(pk=episode.pk)
    assert go_live_at <= published.last_published_at <= go_live_at + timedelta(seconds=INTERVAL + 5)
    assert in_feed(show, "Monday morning")

    cluster.wait_until(
        lambda: not EpisodePage.objects.get(pk=leaving.pk).live,
        timeout=30,
        what="the expiry date to unpublish",
    )
    assert EpisodePage.objects.get(pk=leaving.pk).expired
    assert not in_feed(show, "Leaving soon")

    cluster.wait_for_output(scheduler, "Now live: Monday morning", timeout=10)
    output = scheduler.output()
    assert "Published 'Monday morning'" in output and "its go-live date came" in output
    assert "Unpublished 'Leaving soon'" in output
    assert "To: producer@example.org" in output and "To: team@example.org" in output
    assert f"/admin/pages/{episode.pk}/edit/" in output
    assert scheduler.terminate() == 0, output
