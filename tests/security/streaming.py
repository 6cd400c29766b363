"""Streaming a large request body at a real gunicorn, to see when it answers and how much it read: the
server (the production server command, one sync worker, the test settings and database), the request's head,
a body generated lazily, and the peak memory of the worker."""

import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DEADLINE_SECONDS = 30  # far more than an early answer takes; sending a whole large body takes longer
CHUNK = 256 * 1024
BOUNDARY = "hostile-upload-boundary"


def database_url() -> str:
    """The test database, for the server process (a file on SQLite, see settings/test.py)."""
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    url = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(url._replace(path=f"/{name}"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} for process {pid}")


class Server:
    def __init__(self, folder: Path):
        self.port = free_port()
        self.log = folder / "gunicorn.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "website.settings.test",
            "DATABASE_URL": database_url(),
            "TEST_MEDIA_ROOT": str(folder / "media"),
            "TMPDIR": str(folder),  # where Django would spill an upload it reads
            "HF_HUB_OFFLINE": "1",
        }
        env.pop("AUDIO_MAX_UPLOAD_BYTES", None)
        with self.log.open("wb") as out:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "website.wsgi", "--bind", f"127.0.0.1:{self.port}"]
                + ["--workers", "1", "--worker-class", "sync", "--timeout", "120", "--graceful-timeout", "1"],
                cwd=BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.popen.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start:\n{self.log.read_text()}")
                time.sleep(0.1)

    @property
    def worker_pid(self) -> int:
        children = Path(f"/proc/{self.popen.pid}/task/{self.popen.pid}/children").read_text().split()
        assert len(children) == 1, children
        return int(children[0])

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def stop(self):
        self.popen.terminate()
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=10)


def request_head(path: str, cookies: dict, *, length: int | None) -> bytes:
    token = cookies.get("csrftoken", "")
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: localhost",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
        "Cookie: " + "; ".join(f"{name}={value}" for name, value in cookies.items()),
        f"X-CSRFToken: {token}",
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def multipart(
    size: int, fields: dict, file_field: str, filename: str, content_type: str = "application/octet-stream"
):
    """A multipart body of exactly ``size`` bytes, made as it is sent: the fields, then a file of zeros."""
    head = "".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    )
    head += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    )
    head, tail = head.encode(), f"\r\n--{BOUNDARY}--\r\n".encode()
    remaining = size - len(head) - len(tail)
    assert remaining >= 0, "the fields alone are longer than the body"
    zeros = bytes(CHUNK)
    yield head
    while remaining > 0:
        piece = zeros[: min(CHUNK, remaining)]
        remaining -= len(piece)
        yield piece
    yield tail


def body_chunks(size: int):
    """A multipart body of ``size`` bytes, made as it is sent: a title, then an MP3 'file' of zeros."""
    return multipart(size, {"title": "Huge"}, "file", "huge.mp3", "audio/mpeg")


def stream(port: int, head: bytes, chunks, *, chunked: bool) -> tuple[bytes, int, float]:
    """Send ``head`` and then the chunks, reading whenever the server has something to say. Returns what
    the server answered, how many body bytes it was sent and the seconds until the answer began."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(head)
    sock.setblocking(False)
    started = time.monotonic()
    sent, answer, answered_at, pending = 0, b"", None, b""
    chunks = iter(chunks)
    try:
        while time.monotonic() - started < DEADLINE_SECONDS:
            readable, writable, _ = select.select([sock], [sock] if pending is not None else [], [], 1)
            if readable:
                data = sock.recv(65536)
                if not data:
                    break
                answered_at = answered_at or time.monotonic() - started
                answer += data
                continue
            if writable:
                if not pending:
                    piece = next(chunks, None)
                    if piece is None:
                        pending = None
                        if chunked:
                            sock.setblocking(True)
                            sock.sendall(b"0\r\n\r\n")
                            sock.setblocking(False)
                        continue
                    pending = (b"%x\r\n%s\r\n" % (len(piece), piece)) if chunked else piece
                    sent += len(piece)
                done = sock.send(pending)
                pending = pending[done:]
    except (ConnectionResetError, BrokenPipeError):
        pass  # the server closed the connection while we were still sending: what it should do
    finally:
        sock.close()
    return answer, sent, answered_at


def status_of(answer: bytes) -> int:
    assert answer.startswith(b"HTTP/1."), answer[:200]
    return int(answer.split(b" ", 2)[1])
