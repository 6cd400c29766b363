"""Queue overhead per job: enqueue-to-start latency on RQ (Redis) and on the database queue, side by side,
with 1, 4 and 8 workers, in one run.

Each configuration starts its workers as the Procfile does (``db_worker --queue-name '*'``, its default
1-second poll; ``rqworker default transcription delivery``, which waits on Redis), then queues --jobs jobs
at a steady --rate per second from a separate process (``bench/queue_tasks.stamp``, which only writes when
it started) and reports the median and 95th percentile of (start - enqueue), in milliseconds, with the
CPU time of the workers and the machine's load. The database is a throwaway SQLite file (or --database, a
PostgreSQL URL whose database this run may empty); Redis is a private redis-server on a free port.

    .venv/bin/python bench/queue_latency.py [--jobs 100] [--rate 10] [--workers 1,4,8] [--database URL]

(Not named bench/queue.py: run as a script, that name would hide the standard library's queue module.)
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.reliability.private_redis import PrivateRedis  # noqa: E402 (after the path)

QUEUES = ["default", "transcription", "delivery"]


def environment(database: str, backend: str, redis_url: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "website.settings.production",
        "DJANGO_ENV_FILE": "",
        "SECRET_KEY": "bench-not-secret",
        "ALLOWED_HOSTS": "localhost",
        "WAGTAILADMIN_BASE_URL": "http://localhost",
        "DATABASE_URL": database,
        "HF_HUB_OFFLINE": "1",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    if backend == "rq":
        env |= {"TASKS_BACKEND": "rq", "REDIS_URL": redis_url}
    else:
        env.pop("TASKS_BACKEND", None)
    return env


def enqueue(log: str, jobs: int, rate: float) -> None:
    """Run in a subprocess with the backend's settings: queue ``jobs`` stamps, ``rate`` per second."""
    import django

    django.setup()
    from bench.queue_tasks import stamp

    start = time.monotonic()
    for job in range(jobs):
        time.sleep(max(0.0, start + job / rate - time.monotonic()))
        stamp.enqueue(log, job, time.time())


def worker_command(backend: str, name: str) -> list[str]:
    if backend == "rq":
        return [sys.executable, "manage.py", "rqworker", *QUEUES, "--name", name]
    return [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--no-reload", "--worker-id", name]


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(backend: str, workers: int, args, database: str, redis: PrivateRedis, folder: Path) -> dict:
    env = environment(database, backend, redis.url)
    log = folder / f"{backend}-{workers}.log"
    processes = [
        subprocess.Popen(
            worker_command(backend, f"{backend}-{workers}-{n}"),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for n in range(workers)
    ]
    try:
        time.sleep(6 + workers)  # Django's start-up, every worker
        cpu_before = sum(cpu_seconds(p.pid) for p in processes)
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--enqueue",
                str(log),
                "--jobs",
                str(args.jobs),
                "--rate",
                str(args.rate),
            ],
            cwd=ROOT,
            env=env,
            check=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            lines = log.read_text().splitlines() if log.exists() else []
            if len(lines) >= args.jobs:
                break
            time.sleep(0.2)
        cpu = sum(cpu_seconds(p.pid) for p in processes) - cpu_before
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    latencies = sorted((float(s) - float(e)) * 1000 for _, e, s in (line.split() for line in lines))
    return {
        "done": len(latencies),
        "median": statistics.median(latencies),
        "p95": latencies[max(0, round(0.95 * len(latencies)) - 1)],
        "cpu_per_job_ms": 1000 * cpu / max(1, len(latencies)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--rate", type=float, default=10)
    parser.add_argument("--workers", default="1,4,8")
    parser.add_argument("--database", default="")
    parser.add_argument("--enqueue", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.enqueue:
        return enqueue(args.enqueue, args.jobs, args.rate)

    folder = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    database = args.database or f"sqlite:///{folder / 'bench.sqlite3'}"
    redis = PrivateRedis()
    redis.start()
    try:
        env = environment(database, "database", redis.url)
        print(f"Migrating {database} ...", flush=True)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        print(
            f"load before: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs; "
            f"{args.jobs} jobs at {args.rate}/s"
        )
        print(
            f"{'workers':>7}  {'queue':<8} {'median ms':>10} {'p95 ms':>8} "
            f"{'worker CPU ms/job':>18} {'done':>5}"
        )
        for workers in (int(n) for n in args.workers.split(",")):
            for backend in ("database", "rq"):
                figures = run(backend, workers, args, database, redis, folder)
                print(
                    f"{workers:>7}  {backend:<8} {figures['median']:>10.1f} {figures['p95']:>8.1f} "
                    f"{figures['cpu_per_job_ms']:>18.1f} {figures['done']:>5}",
                    flush=True,
                )
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(
            f"load after: {os.getloadavg()[0]:.2f}; "
            f"CPU of all processes: {usage.ru_utime + usage.ru_stime:.1f} s"
        )
    finally:
        redis.destroy()


if __name__ == "__main__":
    main()
