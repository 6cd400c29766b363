"""`manage.py import_feed` on our own feed: a published show, served over real HTTP, imported into another
show with every field it had."""

import json
from datetime import UTC, datetime

import pytest
from wagtail.models import Site

from episodes.factories import AudioFileFactory, EpisodePageFactory, PersonFactory, ShowPageFactory
from episodes.feeds import build_feed, chapters_json, feed_path
from episodes.models import (
    AudioFile,
    Chapter,
    EpisodePage,
    EpisodePerson,
    EpisodeTranscriptLink,
    Person,
    ShowCategory,
    ShowHost,
    ShowPage,
    Soundbite,
)
from tests.episodes.feed_server import import_feed

pytestmark = pytest.mark.django_db


@pytest.fixture
def published_show(home_page, audio_dir):
    show = ShowPageFactory(parent=home_page, slug="original", title="The Power of Coproduction")
    ShowCategory.objects.create(page=show, category="Health & Fitness > Medicine")
    ShowHost.objects.create(page=show, person=PersonFactory(name="Dr Amara Okafor"))
    show.save_revision().publish()
    guest = PersonFactory(name="Tomasz Wren")
    for number, (name, title) in enumerate(
        [("tone.mp3", "Deciding together"), ("speech.mp3", "Self-care")], 1
    ):
        episode = EpisodePageFactory(
            parent=show,
            title=title,
            summary=f"Summary of {title}.",
            show_notes=f'<p>Notes for <a href="https://example.org/{number}">{title}</a>.</p>',
            publication_date=datetime(2026, number, 1, 9, 30, tzinfo=UTC),
            season=1,
            episode_number=number,
            audio=AudioFileFactory(path=audio_dir / name),
        )
        EpisodePerson.objects.create(page=episode, person=guest, role="guest", sort_order=0)
        Chapter.objects.create(page=episode, start_ms=0, title="Hello")
        Chapter.objects.create(
            page=episode, start_ms=1500, title="Options", url="https://example.org/options"
        )
        Soundbite.objects.create(page=episode, start_ms=500, duration_ms=2000, title="The key idea")
        EpisodeTranscriptLink.objects.create(
            page=episode, url=f"https://example.org/{number}.vtt", mime_type="text/vtt", language="en"
        )
        episode.save_revision().publish()
    return ShowPage.objects.get(pk=show.pk)


def snapshot(show: ShowPage) -> list[tuple]:
    return [
        (
            e.guid,
            e.title,
            e.summary,
            e.show_notes,
            e.publication_date,
            e.season,
            e.episode_number,
            e.episode_type,
            e.audio.sha256,
            e.audio.duration_ms,
            [(p.person.name, p.role) for p in e.people.all()],
            [(c.start_ms, c.title, c.url) for c in e.chapters.all()],
            [(t.url, t.mime_type, t.language, t.rel) for t in e.transcript_links.all()],
            [(s.start_ms, s.duration_ms, s.title) for s in e.soundbites.all()],
        )
        for e in EpisodePage.objects.child_of(show).select_related("audio").order_by("publication_date")
    ]


def test_round_trip_our_feed_imports_into_another_show(published_show, server, home_page):
    # Our site answers at the test server's address, so the feed's enclosure and chapters URLs point there.
    site = Site.objects.get(is_default_site=True)
    site.hostname, site.port = "127.0.0.1", int(server.root.rsplit(":", 1)[1])
    site.save()
    for episode in EpisodePage.objects.child_of(published_show).select_related("audio"):
        server.add(episode.audio.url, episode.audio.file.read(), episode.audio.content_type)
        server.add(f"/chapters/{episode.pk}.json", json.dumps(chapters_json(episode, server.root)).encode())
    server.add(feed_path(published_show), build_feed(published_show), "application/rss+xml")
    expected = snapshot(published_show)
    original_guid = published_show.podcast_guid
    assert len(expected) == 2 and all(row[10] and row[11] and row[12] for row in expected)

    # Guids are unique across the site: the original goes, as when a show moves between platforms.
    published_show.delete()
    AudioFile.objects.all().delete()
    target = ShowPageFactory(parent=home_page, slug="imported", title="Imported")
    target.save_revision().publish()

    output = import_feed(server.url(feed_path(published_show)), "--show", "imported", "--publish")

    imported = ShowPage.objects.get(pk=target.pk)
    assert snapshot(imported) == expected
    assert "2 imported" in output and "0 failed" in output
    assert [h.person.name for h in imported.hosts.all()] == ["Dr Amara Okafor"]
    assert [c.category for c in imported.categories.all()] == ["Health & Fitness > Medicine"]
    assert original_guid and imported.podcast_guid == original_guid
    assert Person.objects.filter(name="Tomasz Wren").count() == 1  # found by name, not duplicated
