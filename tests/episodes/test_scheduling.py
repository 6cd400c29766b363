"""Scheduled episodes: an episode is listed from its publication date, and from its go-live date when the
scheduler's job (Wagtail's scheduled publishing) has made it live; what caches a listing moves then."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from wagtail.models import Revision

from concepts.factories import ConceptIndexPageFactory, ConceptPageFactory
from concepts.models import Mention
from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from episodes.feeds import build_feed, get_feed
from episodes.models import EpisodePage, ShowPage, released_pages
from episodes.scheduling import announce_releases, publish_scheduled, schedule_warnings
from pagecache.caching import path_tag, tag_key
from search.indexing import index_transcript
from transcripts.models import Segment, Transcript

pytestmark = pytest.mark.django_db


@pytest.fixture
def show(home_page):
    show = ShowPageFactory(parent=home_page, slug="coproduction")
    show.save_revision().publish()
    return ShowPage.objects.get(pk=show.pk)


@pytest.fixture
def audio(audio_dir):
    return AudioFileFactory(path=audio_dir / "tone.mp3", title="Tone")


def future(seconds: float = 3600):
    return timezone.now() + timedelta(seconds=seconds)


def past(seconds: float = 3600):
    return timezone.now() - timedelta(seconds=seconds)


def test_released_means_live_and_the_publication_date_has_come(show):
    out = EpisodePageFactory(parent=show, title="Out", publication_date=past())
    held = EpisodePageFactory(parent=show, title="Held", publication_date=future())
    draft = EpisodePageFactory(parent=show, title="Draft", publication_date=past(), live=False)

    assert list(EpisodePage.objects.released()) == [out]
    assert list(EpisodePage.objects.upcoming()) == [held]
    assert list(EpisodePage.objects.released(at=future(7200)).order_by("pk")) == [out, held]
    assert (out.released, held.released, draft.released) == (True, False, False)
    # Mixed lists of pages (concept mentions, learning paths) leave out the held episode only.
    mixed = set(released_pages().values_list("pk", flat=True))
    assert out.pk in mixed and show.pk in mixed
    assert held.pk not in mixed and draft.pk not in mixed


def test_an_episode_dated_in_the_future_is_nowhere_for_listeners_until_its_date(client, show, audio):
    episode = EpisodePageFactory(
        parent=show, title="From the future", slug="from-the-future", audio=audio, publication_date=future()
    )
    transcript = Transcript.objects.create(
        audio=audio, status=Transcript.DONE, audio_sha256=audio.sha256, language="en"
    )
    Segment.objects.create(transcript=transcript, index=0, start_ms=0, end_ms=2000, text="Marmalade recipe.")
    index_transcript(transcript.pk)
    concept = ConceptPageFactory(parent=ConceptIndexPageFactory(parent=show.get_parent()), title="Marmalade")
    Mention.objects.create(concept=concept, page=episode, quote="Marmalade, written down.")

    def seen() -> dict[str, bool]:
        return {
            "feed": b"From the future" in build_feed(ShowPage.objects.get(pk=show.pk)),
            "show page": "From the future" in client.get(show.url).content.decode(),
            "home page": "From the future" in client.get("/").content.decode(),
            "episode page": client.get(episode.url).status_code == 200,
            "chapters": client.get(f"/chapters/{episode.pk}.json").status_code == 200,
            "sitemap": episode.slug in client.get("/sitemap.xml").content.decode(),
            "search": "recipe" in client.get("/search/", {"q": "marmalade"}).content.decode(),
            "search (pages)": "From the future" in client.get("/search/", {"q": "future"}).content.decode(),
            "concept's mentions": Mention.objects.visible().filter(page=episode).exists(),
            "transcript": Transcript.objects.published().filter(pk=transcript.pk).exists(),
        }

    assert not any(seen().values()), seen()
    # The date comes (no write to the show or the feed: only the episode's own date is moved here).
    EpisodePage.objects.filter(pk=episode.pk).update(publication_date=past(1))
    assert all(seen().values()), seen()


def test_the_feed_changes_when_a_publication_date_passes_with_no_write_at_all(show, audio):
    EpisodePageFactory(parent=show, title="Already out", audio=audio, publication_date=past())
    EpisodePageFactory(parent=show, title="Soon out", audio=audio, publication_date=future(1.5))
    changed_at = ShowPage.objects.get(pk=show.pk).feed_changed_at

    before = get_feed(show.pk)
    assert b"Already out" in before.content and b"Soon out" not in before.content
    assert get_feed(show.pk) is before or get_feed(show.pk).etag == before.etag  # cached meanwhile

    time.sleep(2)
    after = get_feed(show.pk)
    assert b"Soon out" in after.content
    assert after.etag != before.etag
    assert after.last_modified > before.last_modified
    assert ShowPage.objects.get(pk=show.pk).feed_changed_at == changed_at  # nothing was written


def test_the_scheduler_job_announces_a_release_once(
    show, audio, hub, settings, django_capture_on_commit_callbacks
):
    settings.WEBSUB_HUBS = [hub.url]
    EpisodePageFactory(parent=show, title="Old", audio=audio, publication_date=past(7200))
    soon = EpisodePageFactory(parent=show, title="Soon", audio=audio, publication_date=future(1))
    assert announce_releases() == []  # the first round: nothing came out in the last minutes
    assert cache.get(tag_key(path_tag(soon.url))) is None
    changed_at = ShowPage.objects.get(pk=show.pk).feed_changed_at
    hub.received.clear()

    time.sleep(1.2)
    with django_capture_on_commit_callbacks(execute=True):
        assert announce_releases() == [soon.pk]

    # The page cache purged the pages that list it now: its own, its show's, the home page.
    for url in (soon.url, show.url, "/"):
        assert cache.get(tag_key(path_tag(url))) is not None
    assert ShowPage.objects.get(pk=show.pk).feed_changed_at > changed_at
    assert [post.form["hub.url"] for post in hub.posts] == [[show.feed_url()]]
    assert announce_releases() == []  # told once


def schedule(page, go_live_at, **fields):
    """Publish ``page`` with a go-live date, as the admin's Publish button does."""
    for name, value in fields.items():
        setattr(page, name, value)
    page.go_live_at = go_live_at
    page.save_revision().publish()
    return EpisodePage.objects.get(pk=page.pk)


def test_the_scheduler_job_publishes_at_the_go_live_date_and_unpublishes_at_expiry(show, audio):
    episode = EpisodePageFactory(parent=show, title="Scheduled", audio=audio, live=False)
    go_live_at = future(1)
    episode = schedule(episode, go_live_at, publication_date=go_live_at)
    assert not episode.live
    revision = Revision.objects.get(approved_go_live_at=go_live_at)
    publish_scheduled()
    assert not EpisodePage.objects.get(pk=episode.pk).live  # not yet

    time.sleep(1.2)
    publish_scheduled()
    episode = EpisodePage.objects.get(pk=episode.pk)
    assert episode.live and episode.live_revision_id == revision.pk
    assert list(EpisodePage.objects.released()) == [episode]
    assert b"Scheduled" in get_feed(show.pk).content

    EpisodePage.objects.filter(pk=episode.pk).update(expire_at=past(1))  # as if its expiry had come
    publish_scheduled()
    episode = EpisodePage.objects.get(pk=episode.pk)
    assert not episode.live and episode.expired
    assert b"Scheduled" not in get_feed(show.pk).content


def test_a_future_publication_date_without_a_go_live_date_is_a_warning(show):
    held = EpisodePageFactory.build(publication_date=future(), go_live_at=None)
    (warning,) = schedule_warnings(held)
    assert "no go-live date" in warning and "out of the feed" in warning
    assert schedule_warnings(EpisodePageFactory.build(publication_date=future(), go_live_at=future())) == []
    assert schedule_warnings(EpisodePageFactory.build(publication_date=past())) == []


def test_the_editor_sees_the_warning_when_saving(client, show, admin_user):
    from tests.episodes.admin_forms import episode_form_data

    episode = EpisodePageFactory(parent=show, title="Next year")
    client.force_login(admin_user)
    when = timezone.localtime(future(86400 * 30)).strftime("%Y-%m-%d %H:%M")

    response = client.post(
        f"/admin/pages/{episode.pk}/edit/",
        episode_form_data(title="Next year", slug="next-year", publication_date=when, publish=True),
        follow=True,
    )

    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert any("no go-live date" in m for m in messages), messages
    episode = EpisodePage.objects.get(pk=episode.pk)
    assert episode.live and not episode.released  # published, and held back until its date

    response = client.post(
        f"/admin/pages/{episode.pk}/edit/",
        episode_form_data(title="Next year", slug="next-year", publication_date="2026-01-01 10:00"),
        follow=True,
    )
    assert not any("no go-live date" in str(m) for m in response.context["messages"])
