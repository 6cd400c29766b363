"""A shared-nothing cluster on loopback: two web processes and three workers, each in its own empty
directory, sharing only what a real deployment shares, over the network: one PostgreSQL, one Redis and an
S3 bucket.

``python -m tests.cluster.launcher`` (``make cluster``) starts it for a person to try and stops it on
Ctrl-C; ``tests/cluster/test_cluster.py`` starts it once and proves each clause of the deployment through
HTTP.

What it starts, all on 127.0.0.1 on free ports:

- a PostgreSQL server of its own (``tests/reliability/private_postgres.py``: ``initdb`` in a temporary
  folder), not a database on the machine's server: ``make cluster`` then needs no server running nor any
  password, and the cluster can never touch a database someone else uses;
- a Redis server of its own (``private_redis.py``): the task queue on database 0, the cache (and so the
  page cache) on database 1, as docs/operators.md asks;
- moto's S3 server with a private bucket (the bucket policy docs/operators.md gives: images public);
- the release step, once: ``migrate``, ``collectstatic`` into a release folder (copied into each web
  process's own directory, as a deploy ships its artefact to each machine), and the site's first content
  (an administrator, a show, and a second show that nothing below touches);
- web A and web B: gunicorn with the production settings;
- worker-1, worker-2, worker-3: ``manage.py rqworker default transcription delivery`` (worker-1 also
  ``--with-scheduler``, for delayed retries);
- the scheduler: ``manage.py scheduler`` every ``SCHEDULER_INTERVAL_SECONDS``.

Each process runs with ``cwd``, ``HOME``, ``TMPDIR``, ``MEDIA_ROOT``, ``STATIC_ROOT`` and the model
folder in its own fresh empty directory, and an environment built from nothing but the cluster's settings
(the developer's environment and ``.env`` are not read): a file one process wrote to its disk is not there
for another, as on separate machines. Logs go to ``<root>/logs/<process>.log``.

``stop()`` (Ctrl-C, the end of the test module, a failure while starting) sends SIGTERM to every process,
SIGKILL to any still running 15 s later, then stops the servers and deletes the folder. Should the launcher
itself be killed with SIGKILL, its processes get SIGTERM from the kernel (``PR_SET_PDEATHSIG``); its
PostgreSQL and Redis servers do not (``pg_ctl`` detaches the one, the other is private_redis.py's child):
``pgrep -af 'private-postgres|redis-server'`` finds them, their folders are ``private-postgres-*`` and
``private-redis-*`` in the temporary folder.

Two-factor sign-in is required of administrators in production; this local cluster turns it off with the
setting made for that (``TWO_FACTOR_REQUIRED=False``), and serves plain HTTP on loopback
(``SECURE_SSL_REDIRECT=False``). Everything else is the production settings as an operator sets them.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import requests

from tests.object_storage import BUCKET, PUBLIC_IMAGES_POLICY
from tests.reliability.private_postgres import PrivatePostgres, free_port, server_binaries
from tests.reliability.private_redis import PrivateRedis

BASE_DIR = Path(__file__).resolve().parent.parent.parent
MANAGE = str(BASE_DIR / "manage.py")
QUEUES = ["default", "transcription", "delivery"]
S3_KEYS = {"AWS_ACCESS_KEY_ID": "cluster-access-key", "AWS_SECRET_ACCESS_KEY": "cluster-secret-key"}
# Only these are taken from the launcher's own environment; every setting is given below.
INHERITED = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "VIRTUAL_ENV")
ADMIN_USERNAME = "admin"

# The site's first content, made by the release step in a process of the cluster (models, not HTTP: the
# test's subject is the episode, not the show form). Printed as JSON for the launcher to read.
SEED = """
import json
from django.contrib.auth import get_user_model
from episodes.models import ShowPage
from website.models import HomePage

User = get_user_model()
if not User.objects.filter(username={username!r}).exists():
    User.objects.create_superuser({username!r}, "admin@example.org", {password!r})
home = HomePage.objects.get()
shows = {{}}
for slug, title in (("coproduction", "The Power of Coproduction"), ("elsewhere", "Elsewhere")):
    show = ShowPage.objects.filter(slug=slug).first()
    if show is None:
        show = ShowPage(
            title=title,
            slug=slug,
            description="Conversations about making health together.",
            author="Coproduction Collective",
            owner_name="Coproduction Collective",
            owner_email="podcast@example.org",
        )
        home.add_child(instance=show)
        show.save_revision().publish()
    shows[slug] = {{"id": show.pk, "path": show.url}}
print("SEED " + json.dumps(shows))
"""


class ClusterError(RuntimeError):
    pass


def _die_with_launcher() -> None:
    """In the child, before it runs: on Linux, SIGTERM it if the launcher dies without stopping it (killed
    with SIGKILL, crashed), so that no process outlives a test run."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: Ctrl-C and stop() still stop it
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Process:
    """One process of the cluster, in its own directory, logging to its own file."""

    name: str
    args: list[str]
    env: dict
    directory: Path
    log: Path
    popen: subprocess.Popen | None = None
    port: int | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.args,
                cwd=self.directory,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in a terminal reaches the launcher only, which stops each
                preexec_fn=_die_with_launcher,
            )

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    """Start with ``start()`` (or ``with Cluster() as cluster:``), stop with ``stop()``, which stops every
    process and server it started, whatever failed on the way."""

    root: Path | None = None
    scheduler_interval: int = 2
    keep: bool = False  # keep the root folder (logs, process directories) after stopping
    say: object = print
    extra_env: dict = field(default_factory=dict)

    def __post_init__(self):
        self.root = Path(self.root or tempfile.mkdtemp(prefix="cluster-"))
        self.logs = self.root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.processes: list[Process] = []
        self.release_jobs: list[Process] = []
        self.postgres: PrivatePostgres | None = None
        self.redis: PrivateRedis | None = None
        self.s3_server = None
        self.s3_endpoint = ""
        self.admin_password = secrets.token_urlsafe(12)
        self.seeded: dict = {}
        self.env: dict = {}

    # -- servers ---------------------------------------------------------------------------------------

    def _start_servers(self) -> None:
        binaries = server_binaries()
        if binaries is None:
            raise ClusterError("PostgreSQL's initdb and pg_ctl are needed (apt-get install postgresql)")
        self.postgres = PrivatePostgres(binaries)
        self.postgres.create()
        subprocess.run(
            [str(binaries / "createdb"), "-h", "127.0.0.1", "-p", str(self.postgres.port), "-U", "postgres"]
            + ["podcast"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        self.redis = PrivateRedis()
        self.redis.start()

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every request
        port = free_port()
        self.s3_server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self.s3_server.start()
        self.s3_endpoint = f"http://127.0.0.1:{port}"
        s3 = self.s3()
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(PUBLIC_IMAGES_POLICY))

    def s3(self):
        """A boto3 client of the cluster's S3 server."""
        return boto3.client(
            "s3",
            endpoint_url=self.s3_endpoint,
            region_name="us-east-1",
            aws_access_key_id=S3_KEYS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=S3_KEYS["AWS_SECRET_ACCESS_KEY"],
        )

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis.port}/0"

    @property
    def cache_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis.port}/1"

    @property
    def database_url(self) -> str:
        return self.postgres.url("podcast")

    # -- environment -----------------------------------------------------------------------------------

    def _settings(self, web_port: int) -> dict:
        """The settings every process shares, as an operator's environment file would give them."""
        return {
            **{name: os.environ[name] for name in INHERITED if name in os.environ},
            "DJANGO_SETTINGS_MODULE": "website.settings.production",
            "DJANGO_ENV_FILE": "",  # no .env: the cluster's settings are all here
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "WAGTAILADMIN_BASE_URL": f"http://127.0.0.1:{web_port}",
            # Plain HTTP on loopback, and no second factor for the local administrator (see the docstring).
            "SECURE_SSL_REDIRECT": "False",
            "SECURE_HSTS_SECONDS": "0",
            "TWO_FACTOR_REQUIRED": "False",
            "DATABASE_URL": self.database_url,
            "TASKS_BACKEND": "rq",
            "REDIS_URL": self.redis_url,
            "CACHE_URL": self.cache_url,
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": self.s3_endpoint,
            "AWS_S3_REGION_NAME": "us-east-1",
            "AWS_S3_ADDRESSING_STYLE": "path",
            **S3_KEYS,
            "SCHEDULER_INTERVAL_SECONDS": str(self.scheduler_interval),
            # Speakers need torch and several seconds per worker; the cluster is about where work runs.
            "TRANSCRIPT_SPEAKERS": "False",
            "EMAIL_URL": "consolemail://",
            "HF_HUB_OFFLINE": "1",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            **self.extra_env,
        }

    def _own_disk(self, directory: Path) -> dict:
        """Everything a process may write locally, inside its own directory."""
        for sub in ("tmp", "media", "static", "models"):
            (directory / sub).mkdir(parents=True, exist_ok=True)
        return {
            "HOME": str(directory),
            "TMPDIR": str(directory / "tmp"),
            "MEDIA_ROOT": str(directory / "media"),
            "STATIC_ROOT": str(directory / "static"),
            "TRANSCRIPTION_MODELS_DIR": str(directory / "models"),
        }

    def directory(self, name: str) -> Path:
        """The process's own directory (created empty)."""
        path = self.root / "processes" / name
        path.mkdir(parents=True)
        return path

    # -- release step ----------------------------------------------------------------------------------

    def _manage(self, name: str, *command: str) -> Process:
        """A one-off ``manage.py`` command in a directory of its own (a release job), started."""
        directory = self.directory(name)
        process = Process(
            name,
            [sys.executable, MANAGE, *command],
            self.env | self._own_disk(directory),
            directory,
            self.logs / f"{name}.log",
        )
        self.release_jobs.append(process)
        process.start()
        return process

    def _finish(self, process: Process, timeout: float = 300) -> str:
        try:
            code = process.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.popen.kill()
            raise ClusterError(f"{process.name} took over {timeout} s:\n{process.output()[-4000:]}") from None
        if code != 0:
            raise ClusterError(f"{process.name} failed (exit status {code}):\n{process.output()[-4000:]}")
        return process.output()

    def _seed(self) -> Process:
        return self._manage(
            "seed", "shell", "-c", SEED.format(username=ADMIN_USERNAME, password=self.admin_password)
        )

    def _seeded(self, seed: Process) -> None:
        output = self._finish(seed)
        line = next(line for line in output.splitlines() if line.startswith("SEED "))
        self.seeded = json.loads(line.removeprefix("SEED "))

    # -- the cluster's processes -----------------------------------------------------------------------

    def _process(self, name: str, args: list[str], *, static: bool = False) -> Process:
        directory = self.directory(name)
        env = self.env | self._own_disk(directory)
        if static:
            # The release's static files, copied: the web process serves them from its own disk.
            shutil.rmtree(directory / "static")
            shutil.copytree(self.release_static, directory / "static")
        process = Process(name, args, env, directory, self.logs / f"{name}.log")
        self.processes.append(process)
        return process

    def _start_processes(self) -> None:
        """The release step and the processes, overlapped where nothing waits on the other: workers, the
        scheduler and the first content need only the migrated database; the webs need the static files."""
        migrate = self._manage("migrate", "migrate", "--no-input")
        # migrate runs the system checks; twice would only cost time
        collect = self._manage("collectstatic", "collectstatic", "--no-input", "--skip-checks")
        self._finish(migrate)
        seed = self._seed()
        for number in (1, 2, 3):
            name = f"worker-{number}"
            extra = ["--with-scheduler"] if number == 1 else []
            self._process(name, [sys.executable, MANAGE, "rqworker", *QUEUES, "--name", name, *extra]).start()
        self._process("scheduler", [sys.executable, MANAGE, "scheduler"]).start()
        self._finish(collect)
        self.release_static = collect.directory / "static"
        for name, port in zip(("web-a", "web-b"), self.web_ports, strict=True):
            web = self._process(
                name,
                [sys.executable, "-m", "gunicorn", "website.wsgi", "--pythonpath", str(BASE_DIR)]
                + ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--access-logfile", "-"]
                + ["--graceful-timeout", "10"],
                static=True,
            )
            web.port = port
            web.start()
        self._seeded(seed)

    @property
    def webs(self) -> list[Process]:
        return [p for p in self.processes if p.name.startswith("web-")]

    @property
    def workers(self) -> list[Process]:
        return [p for p in self.processes if p.name.startswith("worker-")]

    def _ready(self, timeout: float = 120) -> None:
        """Every web answers /health/, every worker and the scheduler said it started."""
        deadline = time.monotonic() + timeout
        waiting = {p.name for p in self.processes}
        while waiting:
            for process in self.processes:
                if process.name not in waiting:
                    continue
                if not process.alive:
                    raise ClusterError(f"{process.name} stopped while starting:\n{process.output()[-4000:]}")
                if process.port:
                    try:
                        ready = requests.get(f"{process.url}/health/", timeout=2).status_code == 200
                    except requests.RequestException:
                        ready = False
                elif process.name == "scheduler":
                    ready = "Scheduler started" in process.output()
                else:
                    ready = f"Worker {process.name}: started" in process.output()
                if ready:
                    waiting.discard(process.name)
            if waiting and time.monotonic() > deadline:
                raise ClusterError(
                    f"Not ready after {timeout} s: {', '.join(sorted(waiting))}\n{self.report()}"
                )
            time.sleep(0.2)

    # -- life ------------------------------------------------------------------------------------------

    def start(self) -> Cluster:
        try:
            started = time.monotonic()
            self.say("Starting PostgreSQL, Redis and S3 (moto) of the cluster's own")
            self._start_servers()
            self.web_ports = [free_port(), free_port()]
            self.env = self._settings(self.web_ports[0])
            self.say("Release step (migrate, collectstatic, first content); webs, workers, scheduler")
            self._start_processes()
            self._ready()
            self.say(f"Cluster ready in {time.monotonic() - started:.0f} s (logs in {self.logs})")
        except BaseException:
            self.stop()
            raise
        return self

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM to every process (workers finish the job in hand), SIGKILL after ``timeout`` seconds;
        then the servers, then the folder (unless ``keep``)."""
        try:
            for job in self.release_jobs:
                if job.alive:
                    job.popen.kill()
                    job.popen.wait(timeout=10)
            for process in self.processes:
                if process.alive:
                    process.popen.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + timeout
            for process in self.processes:
                if process.popen is None:
                    continue
                try:
                    process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.popen.kill()
                    process.popen.wait(timeout=10)
        finally:
            if self.s3_server is not None:
                self.s3_server.stop()
                self.s3_server = None
            if self.redis is not None:
                self.redis.destroy()
                self.redis = None
            if self.postgres is not None:
                self.postgres.destroy()
                self.postgres = None
            if not self.keep:
                shutil.rmtree(self.root, ignore_errors=True)

    def report(self, tail: int = 4000) -> str:
        """The end of every process's log, for a failure's message."""
        return "\n".join(f"----- {p.name} -----\n{p.output()[-tail:]}" for p in self.processes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the logs and process folders after Ctrl-C")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for every process, e.g. --set AUDIO_DELIVERY=django (repeat for more)",
    )
    args = parser.parse_args(argv)
    extra = dict(pair.split("=", 1) for pair in args.set)
    cluster = Cluster(keep=args.keep, extra_env=extra)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    try:
        cluster.start()
        web_a, web_b = cluster.webs
        print(
            f"\n  web A  {web_a.url}/\n  web B  {web_b.url}/\n"
            f"  admin  {web_a.url}/admin/  (user {ADMIN_USERNAME}, password {cluster.admin_password})\n"
            f"  S3     {cluster.s3_endpoint}/{BUCKET}\n"
            f"  Redis  {cluster.redis_url} (queue), {cluster.cache_url} (cache)\n"
            f"  PostgreSQL {cluster.database_url}\n"
            f"  logs   {cluster.logs}\n\nCtrl-C stops the cluster.",
            flush=True,
        )
        while not stopping:
            dead = [p.name for p in cluster.processes if not p.alive]
            if dead:
                print(f"Stopped unexpectedly: {', '.join(dead)} (see {cluster.logs})", flush=True)
                return 1
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        print("Stopping the cluster", flush=True)
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
