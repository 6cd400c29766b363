"""Real processes for the reliability tests: `manage.py db_worker` and `manage.py scheduler` run as
subprocesses with the production settings, against the test database (a file on SQLite, see
settings/test.py; the test database on PostgreSQL) and the test's MEDIA_ROOT.

The tests of the queue itself run on both queues: parametrized with ``QUEUES`` (indirectly, through the
``cluster`` fixture), a test's processes use the database queue (``db_worker``) or RQ on a Redis server of
the test's own (``rqworker``, TASKS_BACKEND=rq; see private_redis.py). ``task_results`` reads either."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from tests.audio import ENCODINGS, require

from . import private_redis

BASE_DIR = Path(__file__).resolve().parent.parent.parent
POLL_SECONDS = 0.05

# About a minute of speech, two of Whisper's 30-second windows: the worker reports progress after the first
# and is killed during the second. The pauses between sentences make a segment of each sentence.
LONG_SPEECH = [
    "Coproduction means that patients and professionals design care together.",
    "A nurse and a patient agree on the goals of treatment.",
    "The clinic invites carers to shape the service.",
    "People who use services bring knowledge that staff do not have.",
    "Shared decision making starts with a good question.",
    "The doctor explains the options and the risks.",
    "The patient says what matters most to them.",
    "Together they choose a plan they both understand.",
    "Peer support workers have lived experience of the illness.",
    "Community groups help to run the weekly walking club.",
    "Health boards pay for training in coproduction.",
    "Managers learn to listen before they decide.",
    "A hospital in the north asked families to redesign visiting hours.",
    "The new hours suited working parents much better.",
    "Feedback forms were written with patients, not for them.",
    "Good coproduction takes time and trust.",
    "Power is shared, not handed down.",
    "Every voice in the room is treated as expert.",
]

# Ten short clips, each with a word that tiny.en hears in espeak-ng's voice: it tells the clips apart.
CLIPS = {
    "garden": "Patients and staff planted a garden together.",
    "kitchen": "The kitchen team asked residents what to cook.",
    "library": "The library hosts a carers group every week.",
    "music": "Music sessions were planned by the patients.",
    "village": "The village clinic was shaped by its neighbours.",
    "market": "Nurses met the public at the market on Friday.",
    "school": "The school nurse and pupils wrote the leaflet.",
    "football": "Football coaches helped to design the health check.",
    "hospital": "The hospital board listened to its patients.",
    "pharmacy": "The pharmacy asked people how to label medicines.",
}


def spoken(path: Path, sentences: list[str], pause_ms: int = 600) -> Path:
    """``sentences`` spoken by espeak-ng with a pause after each, as MP3."""
    ssml = "<speak>" + "".join(f'{s}<break time="{pause_ms}ms"/>' for s in sentences) + "</speak>"
    wav = path.with_suffix(".wav")
    subprocess.run([require("espeak-ng"), "-m", "-w", str(wav), ssml], check=True)
    subprocess.run(
        [require("ffmpeg"), "-loglevel", "error", "-y", "-i", str(wav), "-ac", "1"]
        + ENCODINGS["mp3"]
        + [str(path)],
        check=True,
    )
    wav.unlink()
    return path


@pytest.fixture(scope="session")
def long_speech(tmp_path_factory) -> Path:
    return spoken(tmp_path_factory.mktemp("reliability") / "coproduction.mp3", LONG_SPEECH)


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    return {word: spoken(folder / f"{word}.mp3", [sentence]) for word, sentence in CLIPS.items()}


def database_url() -> str:
    """The test database, as a DATABASE_URL for the subprocesses."""
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite":
        if "memory" in name or not os.path.isabs(name):
            pytest.fail(
                f"The SQLite test database must be a file that other processes can open, not {name!r}"
            )
        return f"sqlite:///{name}"
    url = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(url._replace(path=f"/{name}"))


class Process:
    """A subprocess whose output (stdout and stderr) goes to a file, to read while it runs."""

    def __init__(self, name: str, args: list[str], env: dict, log: Path):
        self.name, self.log = name, log
        self.expected_to_exit = False
        with log.open("wb") as out:
            self.popen = subprocess.Popen(args, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL, as the kernel's out-of-memory killer or a lost machine would."""
        self.expected_to_exit = True
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def terminate(self, timeout: float = 10) -> int:
        """SIGTERM, as a deploy or `honcho` stopping the process; returns its exit status."""
        self.expected_to_exit = True
        self.popen.send_signal(signal.SIGTERM)
        return self.popen.wait(timeout=timeout)


class Pause:
    """Workers started with ``env=pause.env`` stop at a known point of the first file they transcribe
    (``at``: "progress", part-way through it, its progress written; or "start") and wait there until
    ``release()``: the state a test acts on is then reached, and held, whatever the machine's speed. See
    tests/reliability/pausing.py."""

    def __init__(self, folder: Path, at: str):
        self.folder = folder
        folder.mkdir()
        self.env = {
            "DJANGO_SETTINGS_MODULE": "tests.reliability.paused_worker_settings",
            "PAUSE_FOLDER": str(folder),
            "PAUSE_AT": at,
        }

    def reached(self) -> int:
        """How many workers have reached the point (each stops there once, on its first file)."""
        return len(list(self.folder.glob("reached-*")))

    def release(self) -> None:
        (self.folder / "go").touch()


TASK_QUEUES = ["default", "transcription", "delivery"]
DATABASE_QUEUE = {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}
RQ_QUEUE = {"BACKEND": "operations.queues.rq.RQBackend", "QUEUES": TASK_QUEUES}
# The RQ variants are the database variants' twins: on the PostgreSQL pass of CI, which runs the whole
# suite again to test PostgreSQL, they would test Redis a second time, not PostgreSQL (RQ keeps its jobs in
# Redis; the rows the workers write are the same on both databases), so they run on the SQLite pass only.
# RUN_RQ_ON_POSTGRESQL=1 runs them there too.
RQ_ON_THIS_DATABASE = connection.vendor == "sqlite" or os.environ.get("RUN_RQ_ON_POSTGRESQL") == "1"
QUEUES = [
    "database",
    pytest.param(
        "rq",
        marks=[
            pytest.mark.skipif(
                private_redis.BINARY is None, reason="redis-server is needed (make system-deps)"
            ),
            pytest.mark.skipif(
                not RQ_ON_THIS_DATABASE,
                reason="RQ's variant runs on the SQLite pass: on PostgreSQL it would test Redis again, not "
                "the database (RUN_RQ_ON_POSTGRESQL=1 runs it)",
            ),
        ],
    ),
]


class Cluster:
    """The processes one test runs. Every one is killed when the test ends, before the test database is
    emptied. ``backend``: "database" (db_worker) or "rq" (rqworker on ``redis``, a PrivateRedis)."""

    def __init__(self, folder: Path, media_root: Path, backend: str = "database", redis=None):
        self.folder = folder
        self.backend, self.redis = backend, redis
        self.processes: list[Process] = []
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "website.settings.production",
            "SECRET_KEY": "reliability-tests-not-secret",
            "ALLOWED_HOSTS": "localhost",
            "WAGTAILADMIN_BASE_URL": "http://localhost",
            "DATABASE_URL": database_url(),
            "MEDIA_ROOT": str(media_root),
            "HF_HUB_OFFLINE": "1",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("TRANSCRIPTION_LEASE_SECONDS", None)
        if backend == "rq":
            self.env |= {"TASKS_BACKEND": "rq", "REDIS_URL": redis.url}
        else:
            self.env.pop("TASKS_BACKEND", None)

    def pause(self, at: str = "progress") -> Pause:
        """A new ``Pause`` for workers of this test to stop at (see ``Pause``)."""
        return Pause(self.folder / f"pause-{len(list(self.folder.glob('pause-*')))}", at)

    def _args(self, command) -> list[str]:
        return [sys.executable, "manage.py", *command]

    def _env(self, lease: int | None, env: dict | None = None) -> dict:
        return self.env | ({"TRANSCRIPTION_LEASE_SECONDS": str(lease)} if lease else {}) | (env or {})

    def start(self, name: str, *command: str, lease: int | None = None, env: dict | None = None) -> Process:
        """Start ``manage.py <command>``; ``env`` adds to (or replaces) the cluster's environment."""
        log = self.folder / f"{name}.log"
        process = Process(name, self._args(command), self._env(lease, env), log)
        self.processes.append(process)
        return process

    def start_worker(self, worker_id: str, **kwargs) -> Process:
        """A `db_worker` for every queue, as in the Procfile, polling often so that tests are quick; on RQ,
        `rqworker` for every queue (it waits on Redis, no polling)."""
        if self.backend == "rq":
            worker = self.start(worker_id, "rqworker", *TASK_QUEUES, "--name", worker_id, **kwargs)
            self.wait_for_output(worker, f"Worker {worker_id}: started", timeout=60)
            return worker
        worker = self.start(
            worker_id,
            *["db_worker", "--queue-name", "*", "--no-reload", "--no-startup-delay", "--interval", "0.2"],
            *["--worker-id", worker_id],
            **kwargs,
        )
        self.wait_for_output(worker, f"Starting worker worker_id={worker_id}", timeout=60)
        return worker

    def run(
        self, *command: str, lease: int | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess:
        try:
            return subprocess.run(
                self._args(command),
                cwd=BASE_DIR,
                env=self._env(lease),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as error:
            pytest.fail(
                f"`manage.py {' '.join(command)}` took over {timeout} s:\n{error.output}\n{self.report()}"
            )

    def wait_until(self, condition, *, timeout: float, what: str):
        """Poll ``condition`` until it returns something true, and return that. Fails at once, with the
        processes' output, when one of them has died unexpectedly, and after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            dead = [p for p in self.processes if not p.alive and not p.expected_to_exit]
            if dead:
                names = ", ".join(f"{p.name} (exit status {p.popen.returncode})" for p in dead)
                pytest.fail(f"{names} stopped while waiting for {what}.\n{self.report()}")
            if time.monotonic() > deadline:
                pytest.fail(f"Timed out after {timeout} s waiting for {what}.\n{self.report()}")
            time.sleep(POLL_SECONDS)

    def wait_for_output(self, process: Process, text: str, *, timeout: float = 30) -> None:
        self.wait_until(
            lambda: text in process.output(), timeout=timeout, what=f"{process.name} to log {text!r}"
        )

    @property
    def stop_message(self) -> str:
        """What a worker logs on a first SIGTERM, when it finishes the job in hand and stops."""
        if self.backend == "rq":
            return "warm shut down requested"
        return "Received Terminated - shutting down gracefully"

    def report(self) -> str:
        logs = [f"----- {p.name} -----\n{p.output()[-6000:]}" for p in self.processes]
        if self.redis is not None:
            logs.append(f"----- redis-server -----\n{self.redis.log()[-3000:]}")
        return "\n".join(logs)

    def stop(self) -> None:
        for process in self.processes:
            if process.alive:
                process.popen.kill()
            process.popen.wait(timeout=10)


def use_rq(settings, url: str) -> None:
    """This process enqueues on RQ at ``url``, with the settings TASKS_BACKEND=rq makes."""
    settings.TASKS = {"default": RQ_QUEUE}
    settings.RQ_QUEUES = {name: {"URL": url, "DEFAULT_TIMEOUT": 3600} for name in TASK_QUEUES}
    settings.RQ = {"JOB_CLASS": "django_tasks_rq.Job", "WORKER_CLASS": "operations.queues.rq.Worker"}


@pytest.fixture
def cluster(request, transactional_db, settings, tmp_path):
    """Start processes with ``cluster.start_worker()`` and ``cluster.start()``; this test process enqueues
    on the database backend as the site does (the test settings otherwise run tasks at once), or on RQ
    with a Redis of the test's own when parametrized so (``QUEUES``, indirect)."""
    backend = getattr(request, "param", "database")
    folder = tmp_path / "processes"
    folder.mkdir()
    redis = None
    if backend == "rq":
        redis = private_redis.PrivateRedis()
        redis.start()
        use_rq(settings, redis.url)
    else:
        settings.TASKS = {"default": DATABASE_QUEUE}
    processes = Cluster(folder, settings.MEDIA_ROOT, backend, redis)
    try:
        yield processes
    finally:
        processes.stop()
        if redis is not None:
            redis.destroy()


@dataclass
class Result:
    """A task's result as either queue records it."""

    id: str
    status: str
    worker_ids: list
    return_value: object
    args: list
    exception_class_path: str
    enqueued_at: object


def task_results(task, cluster: Cluster) -> list[Result]:
    """The results of ``task``'s jobs on the cluster's queue, oldest first."""
    if cluster.backend == "rq":
        return _rq_results(task)
    from django_tasks_db.models import DBTaskResult

    return [
        Result(
            str(r.id),
            r.status,
            list(r.worker_ids),
            r.return_value if r.status == "SUCCESSFUL" else None,
            r.args_kwargs["args"],
            r.exception_class_path,
            r.enqueued_at,
        )
        for r in DBTaskResult.objects.filter(task_path=task.module_path).order_by("enqueued_at")
    ]


def _rq_results(task) -> list[Result]:
    import django_rq
    from django_tasks_rq import Job
    from rq.registry import FailedJobRegistry, FinishedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

    results = []
    for name in TASK_QUEUES:
        queue = django_rq.get_queue(name, job_class=Job)
        registries = (StartedJobRegistry, FinishedJobRegistry, FailedJobRegistry, ScheduledJobRegistry)
        ids = set(queue.get_job_ids()).union(*(r(queue=queue).get_job_ids() for r in registries))
        for job in Job.fetch_many(sorted(ids), connection=queue.connection):
            if job is None or job.func_name != task.module_path:
                continue
            result = job.task_result
            results.append(
                Result(
                    job.id,
                    str(result.status),
                    list(dict.fromkeys(result.worker_ids)),  # a result recorded twice names its worker twice
                    result.return_value if result.status == "SUCCESSFUL" else None,
                    list(job.args),
                    result.errors[-1].exception_class_path if result.errors else "",
                    job.enqueued_at,
                )
            )
    return sorted(results, key=lambda r: r.enqueued_at)
