"""Fixtures shared by the episodes tests: a local WebSub hub, and the old host that import_feed reads (real
HTTP servers on 127.0.0.1)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from tests.episodes.feed_server import (
    CHANNEL,
    CHAPTERS,
    FEED_GUID,
    GUID_1,
    GUID_2,
    ITEM_1,
    ITEM_2,
    FeedServer,
    Handler,
    png,
)


@dataclass
class Received:
    method: str
    path: str
    headers: Message
    body: bytes

    @property
    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode("ascii"), strict_parsing=True)


@dataclass
class Hub:
    """A WebSub hub on 127.0.0.1 that records what it receives and answers the statuses it is given."""

    url: str
    received: list[Received] = field(default_factory=list)
    # Answered in turn; the last one repeats for every later request.
    statuses: list[int] = field(default_factory=lambda: [202])
    location: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, *statuses: int) -> None:
        self.statuses = list(statuses)

    @property
    def posts(self) -> list[Received]:
        return [request for request in self.received if request.method == "POST"]

    def record(self, request: Received) -> int:
        with self.lock:
            self.received.append(request)
            return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]


def _handler_for(hub: Hub) -> type[BaseHTTPRequestHandler]:
    class HubHandler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = hub.record(Received(self.command, self.path, self.headers, body))
            payload = b"hub says no" if status >= 400 else b""
            self.send_response(status)
            if hub.location:
                self.send_header("Location", hub.location)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_POST = do_GET = _handle

        def log_message(self, format, *args):
            pass  # keep test output clean

    return HubHandler


@pytest.fixture
def make_hub() -> Iterator:
    """Start local hubs on demand; each runs in its own thread and is shut down after the test."""
    servers: list[tuple[ThreadingHTTPServer, threading.Thread]] = []

    def start() -> Hub:
        hub = Hub(url="")
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(hub))
        host, port = server.server_address[:2]
        hub.url = f"http://{host}:{port}/hub"
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        servers.append((server, thread))
        return hub

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def hub(make_hub) -> Hub:
    return make_hub()


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
