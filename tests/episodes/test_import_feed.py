"""`manage.py import_feed`: a podcast imported from its feed over real HTTP, keeping its guids, and
imported again without creating anything twice."""

import hashlib
from datetime import UTC, datetime

import pytest
from wagtail.models import Revision

from episodes.factories import ShowPageFactory
from episodes.importing import rich_text_from_html
from episodes.models import EpisodePage, Person, ShowPage
from tests.episodes.feed_server import (
    CHANNEL,
    FEED_GUID,
    GUID_1,
    GUID_2,
    ITEM_2,
    counts,
    import_feed,
)

pytestmark = pytest.mark.django_db


def test_a_full_import_keeps_guids_and_every_field(old_host, home_page, audio_dir):
    output = import_feed(old_host.url("/feed.xml"), "--publish")

    show = ShowPage.objects.get()
    assert show.get_parent().pk == home_page.pk
    assert show.live and show.slug == "making-health-together"
    assert show.title == "Making Health Together"
    assert show.description == "Patients & clinicians, together."
    assert (show.author, show.owner_name, show.owner_email) == (
        "The Collective",
        "Sam Owner",
        "owner@example.org",
    )
    assert (show.language, show.explicit, show.show_type) == ("en-GB", False, ShowPage.SERIAL)
    assert show.copyright == "© 2024 The Collective"
    assert show.podcast_locked is False
    assert (show.funding_url, show.funding_text) == ("https://example.org/support", "Support the show")
    assert show.podcast_guid == FEED_GUID
    assert [c.category for c in show.categories.all()] == [
        "Health & Fitness > Medicine",
        "Education > Courses",
    ]
    assert "Underwater Basket Weaving" in output  # reported, not imported
    assert [h.person.name for h in show.hosts.all()] == ["Dr Amara Okafor"]
    assert (show.artwork.width, show.artwork.height) == (1400, 1400)

    one = EpisodePage.objects.get(guid=GUID_1)
    two = EpisodePage.objects.get(guid=GUID_2)
    assert {e.pk for e in EpisodePage.objects.child_of(show)} == {one.pk, two.pk}
    assert one.live and two.live
    assert one.title == "Deciding together"
    assert one.summary == "Every option on the table, side by side."
    assert one.show_notes == (
        '<p>Notes with <a href="https://example.org/reading">reading</a> and a trap.</p>'
        "<ul><li>one</li><li>two</li></ul><p>Loose text</p>"
    )
    assert one.publication_date == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert (one.season, one.episode_number, one.episode_type, one.explicit) == (2, 7, "full", True)
    assert (one.artwork.width, one.artwork.height) == (400, 400)
    assert one.audio.sha256 == hashlib.sha256((audio_dir / "tone.mp3").read_bytes()).hexdigest()
    assert one.audio.mime_type == "audio/mpeg" and one.audio.duration_ms == pytest.approx(3000, abs=100)
    assert [(p.person.name, p.role) for p in one.people.all()] == [
        ("Tomasz Wren", "guest"),
        ("Dr Amara Okafor", "host"),
    ]
    assert Person.objects.get(name="Tomasz Wren").link == "https://example.org/tomasz"
    assert Person.objects.get(name="Dr Amara Okafor").photo is not None
    assert [(c.start_ms, c.title, c.url) for c in one.chapters.all()] == [
        (0, "Hello", ""),
        (1250, "Options", "https://example.org/options"),
    ]
    assert [(t.url, t.mime_type, t.language, t.rel) for t in one.transcript_links.all()] == [
        ("https://oldhost.example/one.vtt", "text/vtt", "en", "captions"),
        ("https://oldhost.example/one.srt", "application/x-subrip", "", ""),
    ]
    assert [(s.start_ms, s.duration_ms, s.title) for s in one.soundbites.all()] == [
        (1500, 30000, "The key idea")
    ]

    assert two.title == "Trailer" and two.summary == "What is coming." and two.episode_type == "trailer"
    assert two.audio.mime_type == "audio/mp4" and two.show_notes == ""
    assert two.season is None and two.episode_number is None and two.explicit is False
    assert not two.chapters.exists() and not two.people.exists()

    # Created as the admin creates pages: one published revision each, logged.
    assert one.live_revision_id == one.latest_revision_id
    assert Revision.objects.filter(object_id=str(one.pk)).count() == 1
    assert "Summary: 2 imported, 0 updated" in output and "0 failed" in output


def test_a_second_run_creates_nothing_and_says_so(old_host, home_page):
    import_feed(old_host.url("/feed.xml"), "--publish")
    before = counts()
    downloads = [
        old_host.gets(p) for p in ("/audio/one.mp3", "/audio/two.m4a", "/art/show.png", "/art/one.png")
    ]

    output = import_feed(old_host.url("/feed.xml"), "--publish")

    assert counts() == before
    assert "Nothing changed" in output and "2 unchanged" in output
    # Audio of the announced size and images from known URLs are not fetched again.
    after = [old_host.gets(p) for p in ("/audio/one.mp3", "/audio/two.m4a", "/art/show.png", "/art/one.png")]
    assert after == downloads == [1, 1, 1, 1]

    # A change in the feed gives that episode, and only it, a new revision.
    body, content_type = old_host.routes["/feed.xml"]
    old_host.add(
        "/feed.xml", body.replace(b"<title>Trailer</title>", b"<title>The trailer</title>"), content_type
    )
    output = import_feed(old_host.url("/feed.xml"), "--publish")

    assert EpisodePage.objects.get(guid=GUID_2).title == "The trailer"
    assert counts() == {**before, "Revision": before["Revision"] + 1}
    assert "0 imported, 1 updated" in output and "Nothing changed" not in output


def test_a_repeated_guid_is_imported_once(old_host, home_page):
    body, content_type = old_host.routes["/feed.xml"]
    repeat = ITEM_2.format(root=old_host.root, guid=GUID_2.replace("&", "&amp;"), length=1).replace(
        "<title>Trailer</title>", "<title>Trailer again</title>"
    )
    old_host.add("/feed.xml", body.replace(b"</channel>", repeat.encode() + b"</channel>"), content_type)

    output = import_feed(old_host.url("/feed.xml"))

    assert EpisodePage.objects.get(guid=GUID_2).title == "Trailer"
    assert "skipped: Trailer again [guid https://oldhost.example/?p=42&amp=1]: an earlier item" in output
    assert "Nothing changed" in import_feed(old_host.url("/feed.xml"))


def test_drafts_first_then_publish_publishes_without_new_revisions(old_host, home_page):
    import_feed(old_host.url("/feed.xml"))  # --no-publish is the default
    assert not ShowPage.objects.get().live
    assert not EpisodePage.objects.live().exists()
    revisions = Revision.objects.count()

    output = import_feed(old_host.url("/feed.xml"), "--publish")

    assert EpisodePage.objects.live().count() == 2 and ShowPage.objects.get().live
    assert Revision.objects.count() == revisions
    assert "2 published" in output


def test_with_show_an_existing_show_is_updated(old_host, home_page):
    existing = ShowPageFactory(parent=home_page, slug="our-show", title="Old title")
    existing.save_revision().publish()

    import_feed(old_host.url("/feed.xml"), "--show", "our-show", "--publish")

    show = ShowPage.objects.get()
    assert show.pk == existing.pk and show.slug == "our-show"
    assert show.title == "Making Health Together"
    assert show.podcast_guid == FEED_GUID  # an empty show takes the podcast's identity
    assert EpisodePage.objects.child_of(show).count() == 2


def test_a_local_feed_file_with_relative_enclosures(home_page, audio_dir, tmp_path):
    (tmp_path / "audio").mkdir()
    (tmp_path / "audio" / "tone.ogg").write_bytes((audio_dir / "tone.ogg").read_bytes())
    item = '<item><guid>local-1</guid><enclosure url="audio/tone.ogg"/><title>Local</title></item>'
    feed = tmp_path / "feed.xml"
    # Nothing listens on port 9 (discard): the artwork cannot be fetched.
    feed.write_text(CHANNEL.format(root="http://127.0.0.1:9", feed_guid=FEED_GUID, items=item))

    output = import_feed(str(feed), "--show", "local")

    episode = EpisodePage.objects.get(guid="local-1")
    assert episode.audio.extension == "ogg"
    assert "artwork not imported" in output  # the remote artwork host does not exist: a note, not a failure


def test_show_notes_are_cleaned_to_rich_text():
    html = '<div>Intro<br>line</div><blockquote>Quote</blockquote><iframe src="x">i</iframe><img src="y.png">'
    assert rich_text_from_html(html) == "<p>Intro<br/>line</p><p>Quote</p>"
    assert rich_text_from_html("Plain <b>words</b> here") == "<p>Plain <b>words</b> here</p>"
    assert rich_text_from_html('<a href="/about">About</a>', "https://old.example/ep/1") == (
        '<p><a href="https://old.example/about">About</a></p>'
    )
    assert rich_text_from_html("<script>x</script>  ") == ""
