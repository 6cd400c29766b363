"""A PostgreSQL server of the test's own, to stop and start while workers use it: the shared server on
this machine (and in CI) must never be restarted by a test.

``initdb`` makes a cluster in a temporary folder, ``pg_ctl`` runs it on a free port of 127.0.0.1 with
its socket in that folder; the test database's schema and rows are copied in with ``pg_dump`` (a second
or two, where ``migrate`` takes twenty). PostgreSQL refuses to run as root: as root (a container, CI)
the server runs as the ``postgres`` user that the Debian package creates.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def server_binaries() -> Path | None:
    """The folder of initdb, pg_ctl and pg_dump: Debian's newest /usr/lib/postgresql/<version>/bin, or the
    one on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivatePostgres:
    def __init__(self, binaries: Path):
        self.binaries = binaries
        self.as_root = os.geteuid() == 0
        self.folder = Path(tempfile.mkdtemp(prefix="private-postgres-"))
        if self.as_root:
            os.chown(self.folder, pwd.getpwnam("postgres").pw_uid, -1)
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = free_port()

    def _run(self, program: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
        command = [str(self.binaries / program), *args]
        if self.as_root and program in ("initdb", "pg_ctl"):
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120, **kwargs)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def create(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")

    def stop(self) -> None:
        """A fast shutdown, as ``systemctl restart postgresql`` does: open transactions are rolled back and
        every connection is closed."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def copy_database(self, source_url: str, name: str) -> str:
        """A new database ``name`` holding the schema and rows of the database at ``source_url``."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        dump = self._run("pg_dump", "--no-owner", "--no-privileges", source_url).stdout
        self._run("psql", "-q", "-v", "ON_ERROR_STOP=1", self.url(name), input=dump)
        return self.url(name)

    def destroy(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
