"""A Redis server of the test's own, to stop and start while workers use it, as private_postgres.py does
for PostgreSQL: the Redis this machine (or CI) runs for others is never touched by a test.

``redis-server`` (the Debian package redis-server; ``make system-deps`` installs it) runs on a free port
of 127.0.0.1 with its data in a temporary folder, with an append-only file written at every command, as a
queue's Redis should be configured (docs/operators.md): a restart loses no job.
"""

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from .private_postgres import free_port

BINARY = shutil.which("redis-server")


class PrivateRedis:
    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="private-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> None:
        log = (self.folder / "server.log").open("ab")
        self.process = subprocess.Popen(
            [BINARY, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
            + ["--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            try:
                if redis.Redis.from_url(self.url, socket_connect_timeout=1).ping():
                    return
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start:\n{self.log()}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM, as ``systemctl restart redis`` does: the server closes every connection and exits."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        # Until it is started again, nothing listens on the port.
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", self.port)) != 0, "the port is still taken"

    def restart(self, down: float = 0) -> None:
        self.stop()
        time.sleep(down)
        self.start()

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def destroy(self) -> None:
        try:
            if self.process is not None and self.process.poll() is None:
                self.process.kill()
                self.process.wait(timeout=10)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
