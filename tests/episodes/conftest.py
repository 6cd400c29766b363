"""Fixtures shared by the episodes tests: a local WebSub hub (a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest


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
