"""`manage.py import_feed`: a podcast imported from its feed over real HTTP, keeping its guids, and
imported again without creating anything twice."""

import hashlib
import io
import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Page, Revision, Site

from episodes.factories import AudioFileFactory, EpisodePageFactory, PersonFactory, ShowPageFactory
from episodes.feeds import build_feed, chapters_json, feed_path
from episodes.importing import rich_text_from_html
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

pytestmark = pytest.mark.django_db

Image = get_image_model()

FEED_GUID = "0d9b1a9e-5b7c-5b43-9a4b-8d2c1e6f0a11"
GUID_1 = "tag:oldhost.example,2024:episode/1"  # kept byte for byte, however it looks
GUID_2 = "https://oldhost.example/?p=42&amp=1"


# -- A real HTTP server ---------------------------------------------------------------------------------


class FeedServer:
    """Files by path, served over HTTP on 127.0.0.1; records every request."""

    def __init__(self, httpd: ThreadingHTTPServer):
        self.httpd = httpd
        self.routes: dict[str, tuple[bytes, str]] = {}
        self.delays: dict[str, float] = {}  # seconds to wait before answering
        self.requests: list[tuple[str, str]] = []

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.root + path

    def add(self, path: str, body: bytes, content_type: str = "application/octet-stream") -> str:
        self.routes[path] = (body, content_type)
        return self.url(path)

    def gets(self, path: str) -> int:
        return self.requests.count(("GET", path))


class Handler(BaseHTTPRequestHandler):
    def _answer(self, with_body: bool) -> None:
        server: FeedServer = self.server.feed_server
        server.requests.append((self.command, self.path))
        time.sleep(server.delays.get(self.path, 0))
        if self.path not in server.routes:
            self.send_error(404)
            return
        body, content_type = server.routes[self.path]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_GET(self):
        self._answer(with_body=True)

    def do_HEAD(self):
        self._answer(with_body=False)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.feed_server = FeedServer(httpd)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.feed_server
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def png(size: int = 1400, colour: str = "teal") -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (size, size), colour).save(out, "PNG")
    return out.getvalue()


def import_feed(*args) -> str:
    out = StringIO()
    call_command("import_feed", *args, stdout=out)
    return out.getvalue()


def import_failing(*args) -> tuple[CommandError, str]:
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_feed", *args, stdout=out)
    return caught.value, out.getvalue()


def counts() -> dict[str, int]:
    models = [
        Page,
        Revision,
        AudioFile,
        Person,
        Image,
        Chapter,
        EpisodePerson,
        EpisodeTranscriptLink,
        Soundbite,
    ]
    return {model.__name__: model.objects.count() for model in models}


# -- The feed of the old host ---------------------------------------------------------------------------


CHANNEL = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
     xmlns:podcast="https://podcastindex.org/namespace/1.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
  <title>Making Health Together</title>
  <link>https://oldhost.example/show</link>
  <atom:link href="https://oldhost.example/feed.xml" rel="self" type="application/rss+xml"/>
  <description>Patients &amp; clinicians, &lt;b&gt;together&lt;/b&gt;.</description>
  <language>en-GB</language>
  <copyright>© 2024 The Collective</copyright>
  <itunes:author>The Collective</itunes:author>
  <itunes:owner>
    <itunes:name>Sam Owner</itunes:name><itunes:email>owner@example.org</itunes:email>
  </itunes:owner>
  <itunes:image href="{root}/art/show.png"/>
  <itunes:explicit>false</itunes:explicit>
  <itunes:type>serial</itunes:type>
  <itunes:category text="Health &amp; Fitness"><itunes:category text="Medicine"/></itunes:category>
  <itunes:category text="Education"><itunes:category text="Courses"/></itunes:category>
  <itunes:category text="Underwater Basket Weaving"/>
  <podcast:guid>{feed_guid}</podcast:guid>
  <podcast:locked owner="owner@example.org">no</podcast:locked>
  <podcast:funding url="https://example.org/support">Support the show</podcast:funding>
  <podcast:person role="host" img="{root}/art/amara.png">Dr Amara Okafor</podcast:person>
  {items}
</channel>
</rss>
"""

ITEM_1 = """
  <item>
    <guid isPermaLink="false">{guid}</guid>
    <title>Deciding   together</title>
    <description><![CDATA[<p>Every option on the table, <b>side by side</b>.</p>]]></description>
    <content:encoded><![CDATA[<p>Notes with
      <a href="https://example.org/reading" onclick="steal()">reading</a>
      and <a href="javascript:alert(1)">a trap</a>.</p><script>alert("x")</script>
      <ul><li>one<li>two</ul>Loose text]]></content:encoded>
    <pubDate>Sun, 01 Mar 2026 09:30:00 +0000</pubDate>
    <enclosure url="{root}/audio/one.mp3" length="{length}" type="audio/mpeg"/>
    <itunes:duration>3</itunes:duration>
    <itunes:season>2</itunes:season>
    <itunes:episode>7</itunes:episode>
    <itunes:episodeType>full</itunes:episodeType>
    <itunes:explicit>true</itunes:explicit>
    <itunes:image href="{root}/art/one.png"/>
    <podcast:chapters url="{chapters}" type="application/json+chapters"/>
    <podcast:transcript url="https://oldhost.example/one.vtt" type="text/vtt" language="en" rel="captions"/>
    <podcast:transcript url="https://oldhost.example/one.srt" type="application/srt"/>
    <podcast:person role="guest" href="https://example.org/tomasz">Tomasz Wren</podcast:person>
    <podcast:person role="host">Dr Amara Okafor</podcast:person>
    <podcast:soundbite startTime="1.5" duration="30">The key idea</podcast:soundbite>
  </item>
"""

ITEM_2 = """
  <item>
    <guid>{guid}</guid>
    <title>Trailer</title>
    <itunes:summary>What is coming.</itunes:summary>
    <pubDate>Sat, 01 Feb 2026 08:00:00 GMT</pubDate>
    <enclosure url="{root}/audio/two.m4a" length="{length}" type="audio/mp4"/>
    <itunes:episodeType>trailer</itunes:episodeType>
  </item>
"""

CHAPTERS = {
    "version": "1.2.0",
    "chapters": [
        {"startTime": 0, "title": "Hello"},
        {"startTime": 1.25, "title": "Options", "url": "https://example.org/options"},
        {"startTime": 2, "title": "Hidden", "toc": False},
    ],
}


@pytest.fixture
def old_host(server, audio_dir):
    """The old host's feed with two episodes, their audio, artwork and chapters."""
    one, two = (audio_dir / "tone.mp3").read_bytes(), (audio_dir / "tone.m4a").read_bytes()
    server.add("/audio/one.mp3", one, "audio/mpeg")
    server.add("/audio/two.m4a", two, "audio/mp4")
    for name, colour in (("show", "teal"), ("one", "orange"), ("amara", "purple")):
        server.add(f"/art/{name}.png", png(1400 if name == "show" else 400, colour), "image/png")
    chapters = server.add("/chapters/one.json", json.dumps(CHAPTERS).encode(), "application/json+chapters")
    items = ITEM_1.format(root=server.root, guid=GUID_1, length=len(one), chapters=chapters) + ITEM_2.format(
        root=server.root, guid=GUID_2.replace("&", "&amp;"), length=len(two)
    )
    feed = CHANNEL.format(root=server.root, feed_guid=FEED_GUID, items=items)
    server.add("/feed.xml", feed.encode(), "application/rss+xml")
    return server


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


def test_a_missing_or_bad_enclosure_is_reported_and_the_rest_imported(old_host, home_page):
    bad = f"""
      <item><guid>missing</guid><title>Gone</title><pubDate>Mon, 02 Mar 2026 09:00:00 GMT</pubDate>
        <enclosure url="{old_host.root}/audio/gone.mp3" length="1000" type="audio/mpeg"/></item>
      <item><guid>web-page</guid><title>Web page</title><pubDate>Tue, 03 Mar 2026 09:00:00 GMT</pubDate>
        <enclosure url="{old_host.root}/audio/page.mp3" length="60" type="audio/mpeg"/></item>
      <item><guid>refused</guid><title>Refused connection</title>
        <enclosure url="http://127.0.0.1:9/nobody.mp3" length="60" type="audio/mpeg"/></item>
    """
    old_host.add("/audio/page.mp3", b"<!DOCTYPE html><html><body>Not found</body></html>", "audio/mpeg")

    body, content_type = old_host.routes["/feed.xml"]
    old_host.add("/feed.xml", body.replace(b"</channel>", bad.encode() + b"</channel>"), content_type)

    error, output = import_failing(old_host.url("/feed.xml"), "--publish")

    assert error.returncode == 2
    assert "3 episode(s) could not be imported" in str(error)
    assert set(EpisodePage.objects.values_list("guid", flat=True)) == {GUID_1, GUID_2}
    lines = output.splitlines()
    gone = next(line for line in lines if "[guid missing]" in line)
    assert "failed" in gone and "HTTP 404" in gone and "episode skipped" in gone
    web_page = next(line for line in lines if "[guid web-page]" in line)
    assert "failed" in web_page and "not audio" in web_page
    refused = next(line for line in lines if "[guid refused]" in line)
    assert "could not connect" in refused and "refused" in refused.lower()
    assert "Summary: 2 imported, 0 updated, 0 published, 0 unchanged, 0 skipped, 3 failed." in output
    assert AudioFile.objects.count() == 2  # nothing stored for the refused files


def test_downloads_have_a_size_limit_and_a_timeout(old_host, home_page, settings):
    settings.AUDIO_MAX_UPLOAD_BYTES = 1000
    old_host.delays["/audio/two.m4a"] = 1.0

    error, output = import_failing(old_host.url("/feed.xml"), "--timeout", "0.2")

    assert error.returncode == 2 and not EpisodePage.objects.exists()
    assert "larger than the limit of 1000" in output
    assert "did not answer within 0.2 s" in output
    assert ShowPage.objects.exists()  # the show was imported; its episodes can be retried


def test_a_broken_chapters_url_imports_the_episode_without_chapters(old_host, home_page, audio_dir):
    old_host.add("/audio/speech.mp3", (audio_dir / "speech.mp3").read_bytes(), "audio/mpeg")
    item = f"""
      <item><guid>chapterless</guid><title>Chapters broken</title>
        <enclosure url="{old_host.root}/audio/speech.mp3" type="audio/mpeg"/>
        <podcast:chapters url="{old_host.root}/chapters/gone.json" type="application/json+chapters"/></item>
    """
    body, content_type = old_host.routes["/feed.xml"]
    old_host.add("/feed.xml", body.replace(b"</channel>", item.encode() + b"</channel>"), content_type)

    output = import_feed(old_host.url("/feed.xml"))

    episode = EpisodePage.objects.get(guid="chapterless")
    assert episode.audio is not None and not episode.chapters.exists()
    assert "chapters not imported (imported without chapters)" in output and "HTTP 404" in output
    assert "3 imported" in output and "0 failed" in output

    output = import_feed(old_host.url("/feed.xml"))  # no pubDate, no chapters: still nothing changed
    assert "Nothing changed" in output and "its chapters kept as they were" in output


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(
            b"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Blog</title></head><body><p>Hi",
            "web page (HTML)",
            id="html page",
        ),
        pytest.param(None, "not well-formed XML", id="truncated xml"),
        pytest.param(b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>', "Atom", id="atom"),
        pytest.param(b'<?xml version="1.0"?><opml version="2.0"/>', "root element is <opml>", id="not rss"),
    ],
)
def test_a_broken_feed_fails_clearly_and_creates_nothing(old_host, home_page, body, reason):
    if body is None:
        body = old_host.routes["/feed.xml"][0][:1500]  # cut off mid-channel
    old_host.add("/broken.xml", body, "application/rss+xml")
    before = counts()

    error, _ = import_failing(old_host.url("/broken.xml"), "--publish")

    assert error.returncode == 1
    assert "Nothing was imported" in str(error) and reason in str(error)
    assert counts() == before
    assert old_host.gets("/audio/one.mp3") == 0


def test_an_unreachable_feed_fails_clearly(old_host, home_page):
    error, _ = import_failing(old_host.url("/nowhere.xml"))
    assert error.returncode == 1 and "HTTP 404" in str(error)


def test_entities_are_not_expanded(old_host, home_page, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    body = old_host.routes["/feed.xml"][0].replace(
        b'<?xml version="1.0" encoding="UTF-8"?>',
        f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'.encode(),
    )
    body = body.replace(b"<title>Trailer</title>", b"<title>Trailer &xxe;</title>")
    old_host.add("/feed.xml", body, "application/rss+xml")

    import_feed(old_host.url("/feed.xml"))

    assert "SECRET" not in EpisodePage.objects.get(guid=GUID_2).title


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


# -- The round trip: our own feed, imported into another show --------------------------------------------


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
