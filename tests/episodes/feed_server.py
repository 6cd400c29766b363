"""The old host for the import_feed tests: a real HTTP server on 127.0.0.1, the feed it serves, and how
the tests run the command and count what it created. The ``server`` and ``old_host`` fixtures are in
conftest.py."""

import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Page, Revision

from episodes.models import (
    AudioFile,
    Chapter,
    EpisodePerson,
    EpisodeTranscriptLink,
    Person,
    Soundbite,
)

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
        self.redirects: dict[str, tuple[int, str]] = {}  # path -> (status, Location)
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.in_flight = self.most_in_flight = 0  # requests being answered at once, and the most seen

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
        with server.lock:
            server.requests.append((self.command, self.path))
            server.in_flight += 1
            server.most_in_flight = max(server.most_in_flight, server.in_flight)
        try:
            self._respond(server, with_body)
        finally:
            with server.lock:
                server.in_flight -= 1

    def _respond(self, server: "FeedServer", with_body: bool) -> None:
        time.sleep(server.delays.get(self.path, 0))
        if self.path in server.redirects:
            status, location = server.redirects[self.path]
            self.send_response(status)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
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
