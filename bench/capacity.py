"""Capacity planning: what one worker costs PostgreSQL and Redis, idle and per job, and what an hour of audio
takes in storage (issue 17, item 7; the figures of docs/operators.md#capacity-planning).

One run, on a throwaway PostgreSQL database (--database, default ``bench_capacity`` on 127.0.0.1, dropped
and created by the run) and a private ``redis-server`` (tests/reliability/private_redis.py) that holds the
RQ queue (database 0) and the cache (database 1), with the production settings:

1. **Idle workers**, all at once for --idle seconds (default 60), started as the Procfile starts them:
   ``db_worker --queue-name '*'`` (its 1-second poll), ``rqworker default transcription delivery
   --with-scheduler`` and a second ``rqworker`` without the scheduler. Per worker: SQL statements per second
   and Redis commands per second. Cross-checks from the servers themselves: PostgreSQL's
   ``pg_stat_database`` (transactions and rows of the benchmark's database) and Redis's ``INFO
   commandstats`` before and after (the run's own INFO calls left out).
2. **One episode on the database queue**: a show, then ``manage.py add_episode --publish`` with a real
   speech master (espeak-ng reading our script in two voices taking turns, looped by ffmpeg to --minutes,
   default 10, stereo 44.1 kHz MP3 at 128 kbit/s), as an editor's upload. Three ``db_worker`` processes
   take one queue each (``transcription``, ``delivery``, ``default``), so that each job's cost is its own
   process's. Per job: SQL statements, Redis commands, wall time, CPU time (the worker's threads, and its
   ffmpeg children). The upload's own statements and commands are the web's cost of an episode.
3. **The same on RQ** (``TASKS_BACKEND=rq``), with a master one second shorter (other bytes, so it is
   transcribed afresh): three ``rqworker`` processes, one per queue.
4. **Storage** of phase 2's episode: the master and the renditions on disk, scaled from --minutes to an hour
   (the scaling is printed), and the growth of every table (``pg_total_relation_size`` after ``VACUUM``:
   rows, TOAST and indexes; for one episode mostly the first pages of empty tables). The transcript lines
   of an hour are measured apart: the episode's real lines copied 59 times into the same table (its
   indexes, the full-text GIN index among them, grow as for 59 more transcripts), the growth per hour.
5. **The audio view's cost on the web** with ``AUDIO_DELIVERY=x-accel-redirect``, which does what
   ``redirect`` (to object storage behind a CDN) does less signing the URL: the checks, the download
   event's INSERT, an answer without the bytes. --audio-requests requests (default 500) of distinct
   listeners through Django's test client in one process: CPU per request, statements and commands.

(4 and 5 run right after 2, on its episode, before 3.)

How it counts: every worker (and the upload) runs under a small wrapper of this file (``--counted``) that
adds a counter to each database connection's ``execute_wrappers`` (every statement Django sends, the
lease's heartbeat thread included; an ``executemany`` counts once) and around redis-py's
``send_command`` and ``pack_commands`` (every command sent, pipelines and transactions counted command by
command, by Redis database), split by django-tasks' ``task_started``/``task_finished`` signals into "in a
job" and "idle". The servers' own counters check the idle figures. RQ's scheduler (``--with-scheduler``)
runs in a process the worker forks, which the wrapper does not see: what Redis counted beyond the workers'
own commands is printed as its share. Needs espeak-ng, ffmpeg, redis-server,
PostgreSQL and the tiny.en model (HF_HUB_OFFLINE=1). About 5 minutes of CPU with --minutes 10, most of it
faster-whisper's and ffmpeg's; not part of the test suite:

    .venv/bin/python bench/capacity.py [--minutes 10] [--idle 60] [--audio-requests 500] [--no-rq]
        [--database URL] [--keep]
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

QUEUES = ["default", "transcription", "delivery"]
UPLOAD_LIMIT = str(2 * 1024**3)


# --- the counting wrapper (runs inside each worker and the upload) ------------------------------------------


def counted(out: Path, argv: list[str]) -> None:
    """Run ``manage.py <argv>`` in this process, counting SQL statements and Redis commands, split into
    "job" (between django-tasks' task_started and task_finished) and "idle"; written to ``out`` as JSON
    every half second and at exit."""
    # This script's folder comes first on the path, and bench/search.py would hide the search app.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    import django

    django.setup()
    import redis.connection
    from django.db.backends.signals import connection_created
    from django_tasks.signals import task_finished, task_started

    counts: Counter = Counter()
    jobs: list[dict] = []
    state: dict = {"job": None}
    lock = threading.Lock()

    def phase() -> str:
        return "job" if state["job"] is not None else "idle"

    def count_statement(execute, sql, params, many, context):
        with lock:
            counts[f"sql_{phase()}"] += 1
        return execute(sql, params, many, context)

    def wrap(sender, connection, **kwargs):
        if count_statement not in connection.execute_wrappers:
            connection.execute_wrappers.append(count_statement)

    connection_created.connect(wrap, weak=False)

    send_command = redis.connection.AbstractConnection.send_command
    pack_commands = redis.connection.AbstractConnection.pack_commands

    def counting_send(self, *args, **kwargs):
        with lock:
            counts[f"redis_{phase()}_db{self.db}"] += 1
        return send_command(self, *args, **kwargs)

    def counting_pack(self, commands):
        commands = list(commands)
        with lock:
            counts[f"redis_{phase()}_db{self.db}"] += len(commands)
        return pack_commands(self, commands)

    redis.connection.AbstractConnection.send_command = counting_send
    redis.connection.AbstractConnection.pack_commands = counting_pack

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def started(sender, task_result, **kwargs):
        with lock:
            state["job"] = {
                "task": task_result.task.name,
                "wall": time.monotonic(),
                "cpu": time.process_time(),
                "children_cpu": children_cpu(),
                "sql": counts["sql_job"],
                "redis": sum(v for k, v in counts.items() if k.startswith("redis_job")),
            }

    def finished(sender, task_result, **kwargs):
        with lock:
            begun, state["job"] = state["job"], None
            if begun is None:
                return
            jobs.append(
                {
                    "task": begun["task"],
                    "status": str(task_result.status),
                    "wall": time.monotonic() - begun["wall"],
                    "cpu": time.process_time() - begun["cpu"],
                    "children_cpu": children_cpu() - begun["children_cpu"],
                    "sql": counts["sql_job"] - begun["sql"],
                    "redis": sum(v for k, v in counts.items() if k.startswith("redis_job")) - begun["redis"],
                    "ended": time.time(),
                }
            )

    task_started.connect(started, weak=False)
    task_finished.connect(finished, weak=False)

    def dump() -> None:
        with lock:
            data = {
                "time": time.time(),
                "counts": dict(counts),
                "jobs": list(jobs),
                "busy": state["job"] is not None,
                "cpu": time.process_time(),
            }
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(out)

    def dumping() -> None:
        while True:
            dump()
            time.sleep(0.5)

    atexit.register(dump)
    threading.Thread(target=dumping, daemon=True).start()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["manage.py", *argv])


# --- the run ------------------------------------------------------------------------------------------------


def read(path: Path, wait: float = 2) -> dict:
    for _ in range(int(wait * 10)):
        try:
            return json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            time.sleep(0.1)
    raise RuntimeError(f"no counts in {path}")


def redis_total(counts: dict, phase: str = "") -> int:
    return sum(v for k, v in counts.items() if k.startswith(f"redis_{phase}"))


class Run:
    def __init__(self, args, folder: Path, redis):
        self.args, self.folder, self.redis = args, folder, redis
        self.database = args.database
        self.processes: list[subprocess.Popen] = []

    def env(self, backend: str) -> dict:
        from queue_latency import environment

        env = environment(self.database, backend, self.redis.url)
        return env | {
            "CACHE_URL": f"rediscache://127.0.0.1:{self.redis.port}/1",
            "MEDIA_STORAGE": "filesystem",
            "MEDIA_ROOT": str(self.folder / "media"),
            "STATIC_ROOT": str(self.folder / "static"),
            "AUDIO_MAX_UPLOAD_BYTES": UPLOAD_LIMIT,
            "WEBSUB_HUBS": "",
            "SECURE_SSL_REDIRECT": "false",
        }

    def start(self, name: str, backend: str, *command: str) -> Path:
        out = self.folder / f"{name}.json"
        log = (self.folder / f"{name}.log").open("wb")
        self.processes.append(
            subprocess.Popen(
                [sys.executable, __file__, "--counted", str(out), "--", *command],
                cwd=ROOT,
                env=self.env(backend),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        log.close()
        return out

    def run(self, name: str, backend: str, *command: str) -> dict:
        out = self.folder / f"{name}.json"
        with (self.folder / f"{name}.log").open("wb") as log:
            subprocess.run(
                [sys.executable, __file__, "--counted", str(out), "--", *command],
                cwd=ROOT,
                env=self.env(backend),
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
            )
        return read(out)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def ready(self, outs: list[Path], settle: float = 10) -> None:
        """Wait until every worker has written its counts (Django is set up), then for its command's
        start-up (registration, the first poll) to pass."""
        for out in outs:
            read(out, wait=120)
        time.sleep(settle)
        self.check_alive()

    def check_alive(self) -> None:
        for process in self.processes:
            if process.poll() is not None:
                log = Path(process.args[3]).with_suffix(".log").read_text(errors="replace")
                raise RuntimeError(f"{' '.join(process.args[5:])} exited:\n{log[-3000:]}")


def admin_connection(database_url: str):
    import psycopg

    parts = urlsplit(database_url)
    return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)


def database_name(database_url: str) -> str:
    return urlsplit(database_url).path.lstrip("/")


def recreate_database(database_url: str) -> None:
    name = database_name(database_url)
    with admin_connection(database_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(database_url: str) -> None:
    with admin_connection(database_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database_name(database_url)}" WITH (FORCE)')


PG_FIELDS = ["xact_commit", "xact_rollback", "tup_returned", "tup_fetched", "tup_inserted", "tup_updated"]


def pg_counters(database_url: str) -> dict:
    with admin_connection(database_url) as conn:
        # Backends report their statistics at most once a second; wait for the last report to arrive.
        time.sleep(1.5)
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            f"SELECT {', '.join(PG_FIELDS)} FROM pg_stat_database WHERE datname = %s",  # noqa: S608 (our names)
            [database_name(database_url)],
        ).fetchone()
    return dict(zip(PG_FIELDS, row, strict=True))


def table_sizes(database_url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute("VACUUM")
        rows = conn.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname = 'public'"
        ).fetchall()
        total = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    return dict(rows) | {"(whole database)": total}


def commandstats(client) -> Counter:
    stats = client.info("commandstats")
    return Counter({name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()})


def speech_clip(folder: Path) -> Path:
    """Our script read by two espeak-ng voices taking turns, sentence by sentence, as a conversation is:
    one voice at a time (bench/deliver.py's clip has both voices at once, one per channel, which is right
    for ffmpeg but is overlapping speech to Whisper)."""
    from deliver import run as run_command
    from transcribe import SCRIPT

    parts = []
    for number, sentence in enumerate(SCRIPT):
        part = folder / f"part-{number}.wav"
        run_command("espeak-ng", "-v", "en" if number % 2 == 0 else "en+f3", "-w", part, sentence)
        parts.append(part)
    listing = folder / "parts.txt"
    listing.write_text("".join(f"file '{part}'\n" for part in parts))
    clip = folder / "clip.wav"
    run_command("ffmpeg", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", listing, clip)
    return clip


def make_masters(folder: Path, minutes: float) -> tuple[Path, Path]:
    from deliver import looped

    clip = speech_clip(folder)
    extra = ["-ac", "2", "-ar", "44100", "-c:a", "libmp3lame", "-b:a", "128k"]
    first = looped(clip, folder / "episode-one.mp3", minutes, *extra)
    second = looped(clip, folder / "episode-two.mp3", minutes - 1 / 60, *extra)
    return first, second


def idle_phase(run: Run) -> dict:
    import redis as redis_py

    client = redis_py.Redis.from_url(run.redis.url)
    outs = {
        "db_worker '*'": run.start("idle-db", "database", "db_worker", "--queue-name", "*", "--no-reload"),
        "rqworker --with-scheduler": run.start("idle-rq-s", "rq", "rqworker", *QUEUES, "--with-scheduler"),
        "rqworker": run.start("idle-rq", "rq", "rqworker", *QUEUES),
    }
    run.ready(list(outs.values()), settle=15)
    before = {name: read(out) for name, out in outs.items()}
    pg_before, redis_before = pg_counters(run.database), commandstats(client)
    started = time.monotonic()
    time.sleep(run.args.idle)
    after = {name: read(out) for name, out in outs.items()}
    run.check_alive()
    seconds = time.monotonic() - started
    pg_after, redis_after = pg_counters(run.database), commandstats(client)
    run.stop_all()
    server_commands = redis_after - redis_before
    server_commands["info"] -= 1  # our own INFO of the second snapshot (the first counts before itself)
    figures = {"seconds": seconds, "workers": {}}
    for name in outs:
        elapsed = after[name]["time"] - before[name]["time"]
        counts_before, counts_after = before[name]["counts"], after[name]["counts"]
        figures["workers"][name] = {
            "sql_per_s": (counts_after.get("sql_idle", 0) - counts_before.get("sql_idle", 0)) / elapsed,
            "redis_per_s": (redis_total(counts_after) - redis_total(counts_before)) / elapsed,
            "cpu_per_s": (after[name]["cpu"] - before[name]["cpu"]) / elapsed,
        }
    figures["pg_per_s"] = {key: (pg_after[key] - pg_before[key]) / seconds for key in PG_FIELDS}
    figures["redis_server_per_s"] = sum(v for v in server_commands.values() if v > 0) / seconds
    # RQ's scheduler (--with-scheduler) runs in a process the worker forks, which the wrapper does not see:
    # what the server counted beyond the workers' own commands is the scheduler's.
    counted_per_s = sum(w["redis_per_s"] for w in figures["workers"].values())
    figures["uncounted_per_s"] = figures["redis_server_per_s"] - counted_per_s
    figures["redis_server_commands"] = {k: v for k, v in server_commands.most_common() if v > 0}
    return figures


def jobs_phase(run: Run, backend: str, master: Path, label: str) -> dict:
    """Three workers, one per queue; an episode published with ``master``; every job's counts."""
    if backend == "rq":
        commands = {queue: ["rqworker", queue, "--name", f"{label}-{queue}"] for queue in QUEUES}
    else:
        commands = {queue: ["db_worker", "--queue-name", queue, "--no-reload"] for queue in QUEUES}
    outs = {queue: run.start(f"{label}-{queue}", backend, *command) for queue, command in commands.items()}
    run.ready(list(outs.values()))
    before = {queue: read(out) for queue, out in outs.items()}
    started = time.monotonic()
    upload = run.run(
        f"{label}-upload",
        backend,
        "add_episode",
        "--show",
        "capacity",
        "--title",
        f"Capacity {label}",
        "--audio",
        str(master),
        "--publish",
    )
    deadline = time.monotonic() + 40 * 60
    while time.monotonic() < deadline:
        state = {queue: read(out) for queue, out in outs.items()}
        run.check_alive()
        done = all(state[q]["jobs"] for q in ("transcription", "delivery"))
        busy = any(s["busy"] for s in state.values())
        last_end = max((j["ended"] for s in state.values() for j in s["jobs"]), default=0)
        if done and not busy and time.time() - last_end > 15:
            break
        time.sleep(1)
    else:
        raise RuntimeError(f"the jobs of {label} did not finish within 40 minutes")
    wall = time.monotonic() - started
    run.stop_all()
    return {"upload": upload, "workers": state, "before": before, "wall": wall}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10, help="length of each master (default 10)")
    parser.add_argument("--idle", type=float, default=60, help="seconds of idle workers (default 60)")
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/bench_capacity")
    parser.add_argument("--audio-requests", type=int, default=500, help="audio view requests (default 500)")
    parser.add_argument("--no-rq", action="store_true", help="leave out phase 3 (RQ)")
    parser.add_argument("--keep", action="store_true", help="keep the database and the work folder")
    parser.add_argument("--counted", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.counted:
        return counted(Path(args.counted), [a for a in rest if a != "--"])

    from loadkit import progress

    from tests.reliability.private_redis import PrivateRedis

    load_at_start = os.getloadavg()
    folder = Path(tempfile.mkdtemp(prefix="bench-capacity-"))
    redis = PrivateRedis()
    redis.start()
    run = Run(args, folder, redis)
    try:
        progress(
            f"load average {load_at_start[0]:.2f} / {load_at_start[1]:.2f} (1 / 5 min), {os.cpu_count()} CPUs"
        )
        progress(f"database {args.database}: created afresh and migrated")
        recreate_database(args.database)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=ROOT,
            env=run.env("database"),
            check=True,
        )
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", SHOW],
            cwd=ROOT,
            env=run.env("database"),
            check=True,
        )
        progress(f"masters: {args.minutes:g} minutes of speech, stereo 128 kbit/s MP3")
        first, second = make_masters(folder, args.minutes)

        progress(f"idle workers for {args.idle:g} s")
        idle = idle_phase(run)
        report_idle(idle)

        sizes_before = table_sizes(args.database)
        progress("one episode on the database queue")
        on_database = jobs_phase(run, "database", first, "db")
        sizes_after = table_sizes(args.database)
        report_jobs("database queue", on_database)
        report_storage(folder / "media", first, sizes_before, sizes_after, args.minutes)
        progress("transcript lines of an hour")
        report_segments(segment_storage(args.database, args.minutes))
        progress(f"{args.audio_requests} audio requests in-process, AUDIO_DELIVERY=x-accel-redirect")
        report_audio(run, args.audio_requests)

        if not args.no_rq:
            progress("one episode on RQ")
            on_rq = jobs_phase(run, "rq", second, "rq")
            report_jobs("RQ", on_rq)
        load = os.getloadavg()
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(
            f"\nload average at the end {load[0]:.2f} / {load[1]:.2f} (1 / 5 min); "
            f"CPU of every process of the run: {usage.ru_utime + usage.ru_stime:.0f} s"
        )
    finally:
        run.stop_all()
        redis.destroy()
        if args.keep:
            print(f"kept {args.database} and {folder}")
        else:
            drop_database(args.database)
            subprocess.run(["rm", "-rf", str(folder)], check=False)


AUDIO_REQUESTS = """
import json, time
from django.test import Client
from episodes.models import AudioRendition
rendition = AudioRendition.objects.exclude(file="").order_by("pk").first()
client = Client(HTTP_HOST="localhost", HTTP_USER_AGENT="AppleCoreMedia/1.0.0.21E236 (iPhone; U; CPU OS 17_4)")
answers, times = [], []
for n in range(%(requests)d):
    started = time.process_time()
    # A listener of their own each time (the counting's full work), the first two bytes as players ask.
    address = f"10.1.{n // 250}.{n %% 250 + 1}"
    response = client.get(rendition.url, HTTP_RANGE="bytes=0-1", REMOTE_ADDR=address)
    times.append(time.process_time() - started)
    answers.append((response.status_code, response.has_header("X-Accel-Redirect")))
print(json.dumps({"url": rendition.url, "times": times, "answers": sorted(set(map(str, answers)))}))
"""

SHOW = """
from wagtail.models import Site
from episodes.factories import ShowPageFactory
ShowPageFactory(parent=Site.objects.get(is_default_site=True).root_page, slug="capacity", title="Capacity")
"""


# --- reports ------------------------------------------------------------------------------------------------


def report_idle(idle: dict) -> None:
    print(f"\nIdle workers, {idle['seconds']:.0f} s, all three at once:")
    print(f"  {'worker':<28} {'SQL/s':>7} {'Redis cmd/s':>12} {'CPU ms/s':>9}")
    for name, figures in idle["workers"].items():
        print(
            f"  {name:<28} {figures['sql_per_s']:>7.2f} {figures['redis_per_s']:>12.2f} "
            f"{1000 * figures['cpu_per_s']:>9.1f}"
        )
    pg = idle["pg_per_s"]
    print(
        f"  PostgreSQL (pg_stat_database, whole database): {pg['xact_commit'] + pg['xact_rollback']:.2f} "
        f"transactions/s, {pg['tup_returned']:.1f} rows returned/s, {pg['tup_fetched']:.1f} fetched/s, "
        f"{pg['tup_inserted']:.2f} inserted/s, {pg['tup_updated']:.2f} updated/s"
    )
    print(
        f"  Redis (INFO commandstats, whole server): {idle['redis_server_per_s']:.2f} commands/s: "
        + ", ".join(f"{name} {calls}" for name, calls in idle["redis_server_commands"].items())
    )
    print(
        f"  of which not sent by the workers' own processes (RQ's scheduler, forked by the "
        f"--with-scheduler worker): {idle['uncounted_per_s']:.2f} commands/s"
    )


def report_jobs(title: str, result: dict) -> None:
    upload = result["upload"]["counts"]
    print(f"\nOne episode on the {title} ({result['wall']:.0f} s from upload to the last job's end):")
    print(
        f"  the upload (add_episode --publish, as the web's save): {upload.get('sql_idle', 0)} SQL "
        f"statements, {redis_total(upload)} Redis commands"
    )
    print(
        f"  {'queue':<14} {'task':<48} {'status':<10} {'SQL':>5} {'Redis':>6} {'wall s':>7} {'CPU s':>7} "
        f"{'ffmpeg CPU s':>12}"
    )
    for queue, state in result["workers"].items():
        for job in state["jobs"]:
            print(
                f"  {queue:<14} {job['task']:<48} {job['status'].split('.')[-1]:<10} {job['sql']:>5} "
                f"{job['redis']:>6} {job['wall']:>7.1f} {job['cpu']:>7.1f} {job['children_cpu']:>12.1f}"
            )
        counts, first = state["counts"], result["before"][queue]["counts"]
        print(
            f"  {queue:<14} {'(outside jobs: polls, claims, results)':<48} {'':<10} "
            f"{counts.get('sql_idle', 0) - first.get('sql_idle', 0):>5} "
            f"{redis_total(counts, 'idle') - redis_total(first, 'idle'):>6} "
            f"{state['time'] - result['before'][queue]['time']:>7.1f}"
        )


def report_audio(run: Run, requests: int) -> None:
    """The audio view answering with a header for nginx (``x-accel-redirect``): the same work as
    ``redirect`` to object storage (the checks, the counting's one INSERT, an answer without the bytes)
    less the URL's signature, on the web's CPU, in one process through Django's test client."""
    import statistics

    env = run.env("database") | {"AUDIO_DELIVERY": "x-accel-redirect", "AUDIO_ACCEL_REDIRECT_PREFIX": "/p/"}
    out = run.folder / "audio.json"
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--counted",
            str(out),
            "--",
            "shell",
            "-c",
            AUDIO_REQUESTS % {"requests": requests},
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    counts = read(out)["counts"]
    times = sorted(figures["times"][20:])  # the first requests warm the process's caches
    print(
        f"\nAudio view, x-accel-redirect, {requests} requests of distinct listeners ({figures['url']}; "
        f"answers {', '.join(figures['answers'])}):\n"
        f"  CPU per request: median {1000 * statistics.median(times):.2f} ms, "
        f"p90 {1000 * times[int(0.9 * len(times))]:.2f} ms; "
        f"{counts.get('sql_idle', 0) / requests:.1f} SQL statements and "
        f"{redis_total(counts) / requests:.1f} Redis commands per request (whole process, start-up included)"
    )


def report_storage(media: Path, master: Path, before: dict, after: dict, minutes: float) -> None:
    scale = 60 / minutes
    print(
        f"\nStorage of one episode of {minutes:g} minutes; its files per hour of audio (x{scale:g}, scaled):"
    )
    for path in sorted(p for p in media.rglob("*") if p.is_file()):
        size = path.stat().st_size
        print(f"  {str(path.relative_to(media)):<60} {size / 1e6:>8.2f} MB  {size * scale / 1e6:>8.1f} MB/h")
    print(f"  (the master as made: {master.stat().st_size / 1e6:.2f} MB)")
    print("  Tables that grew (rows, TOAST and indexes; a new table's first pages are most of it):")
    grown = sorted(((after[t] - before.get(t, 0), t) for t in after), reverse=True)
    for growth, table in grown:
        if growth > 0:
            print(f"  {table:<60} {growth / 1e3:>8.0f} kB")


def segment_storage(database_url: str, minutes: float, copies: int = 59) -> dict:
    """The transcript lines of an hour: the first transcript's real rows copied ``copies`` times into the
    same table (new line numbers, same transcript), so that the table, its TOAST and its indexes (the
    full-text GIN index among them) hold ``copies`` x ``minutes`` more; the growth per hour of audio."""
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        columns = [
            row[0]
            for row in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'transcripts_segment' "
                "AND is_generated = 'NEVER' AND is_identity = 'NO' AND column_name <> 'index'"
            )
        ]
        transcript, lines = conn.execute(
            "SELECT transcript_id, count(*) FROM transcripts_segment "
            "GROUP BY transcript_id ORDER BY 1 LIMIT 1"
        ).fetchone()
        size = "SELECT pg_total_relation_size('transcripts_segment'), pg_relation_size('transcripts_segment')"
        conn.execute("VACUUM transcripts_segment")
        total_before, heap_before = conn.execute(size).fetchone()
        listed = ", ".join(f'"{c}"' for c in columns)
        conn.execute(
            f'INSERT INTO transcripts_segment ({listed}, "index") '  # noqa: S608 (the table's own columns)
            f'SELECT {listed}, "index" + k * 1000000 FROM transcripts_segment, generate_series(1, %s) AS k '
            "WHERE transcript_id = %s",
            [copies, transcript],
        )
        conn.execute("VACUUM ANALYZE transcripts_segment")
        total_after, heap_after = conn.execute(size).fetchone()
    hours = copies * minutes / 60
    return {
        "lines_per_hour": lines * 60 / minutes,
        "bytes_per_hour": (total_after - total_before) / hours,
        "heap_per_hour": (heap_after - heap_before) / hours,
        "hours": hours,
    }


def report_segments(figures: dict) -> None:
    print(
        f"\nTranscript lines, {figures['hours']:g} hours of them (the real rows copied): "
        f"{figures['lines_per_hour']:.0f} lines and {figures['bytes_per_hour'] / 1e6:.2f} MB per hour of "
        "audio "
        f"(of which the rows themselves {figures['heap_per_hour'] / 1e6:.2f} MB; the rest TOAST and indexes)"
    )


if __name__ == "__main__":
    main()
