"""The listener site under load: simulated visitors (locust) against the production server, zero errors.

One run builds demo-like content on a throwaway database (PostgreSQL by default, created and dropped by the
run; SQLite with ``--database sqlite:///...``): a show with --episodes episodes (default 24, so the show
has a second page), each with audio (one real ffmpeg tone of --audio-seconds, default 600, stored once;
every episode's AudioFile row points at it), a transcript with a line every 6 seconds and word timings,
4 chapters, a soundbite, 2 people and show notes; 8 concepts with their mentions (found by the concepts
app's own linking), and the home page featuring the show. Wagtail's queued housekeeping (search index)
is run as the worker would.

Then it starts the production server command (gunicorn ``website.wsgi``, --workers sync workers, default
2) with ``website.settings.production`` from the environment and the page cache on (Redis on
127.0.0.1:6379, database 3, under a key prefix of this run, deleted at the end; a file cache shared by the
workers when Redis is not usable; ``--no-cache`` turns the page cache off), asks every URL in the manifest
once (not counted: a running site's cache is warm), and runs locust headless in its own process
(``bench/locustfile.py``; this process never imports locust or gevent) with --users visitors, started at
--spawn-rate per second, for --seconds. Each visitor waits --think seconds between requests and asks, in
the proportions of real traffic: episode pages (sometimes ``?t=``), audio byte ranges (the first 64 KB
and one from the middle, as players and podcast apps ask), the feed, the home page, the show page
(sometimes ``?page=2``), search (a few queries, sometimes ``format=json``), concept pages and the concept
index. The URLs come from a JSON manifest this run writes (``LOAD_MANIFEST``), not from scraping.

Printed per endpoint: requests, failures, requests per second, median, 95th and 99th percentile and
maximum (ms), then every failure and the server log's errors. Target: no failed request (anything but
200, or 206 with the asked range, or a wrong body), no error in the locustfile and none in the server
log. Exits 1 when the target fails. Only uses 127.0.0.1. Needs ffmpeg and locust (requirements-dev.txt).
Not part of the test suite:

    .venv/bin/python bench/load.py [--users 50] [--spawn-rate 10] [--seconds 300] [--workers 2]
        [--database postgres://postgres@127.0.0.1:5432/bench_load | sqlite:////tmp/bench_load.sqlite3]
        [--no-cache] [--keep]

The database is created (PostgreSQL) or overwritten (SQLite) by the run: never point it at real data.
"""

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from load_content import create_content  # noqa: E402 (after the path)
from loadkit import (  # noqa: E402 (after the path)
    configure_environment,
    fetch,
    forget_redis_keys,
    free_port,
    machine,
    progress,
    remove_sqlite,
    start_gunicorn,
    stop_on_sigterm,
    stop_servers,
    verdict,
)

LOCUSTFILE = Path(__file__).resolve().with_name("locustfile.py")
REDIS_DB = 3
# What counts as a server error in gunicorn's log (its own lines and Django's logging at WARNING and up).
SERVER_ERROR = re.compile(r"\[(ERROR|CRITICAL)\]|Traceback \(most recent call last\)|^ERROR |Internal Server")

PSQL_ENV = {**os.environ, "PGOPTIONS": "-c client_min_messages=warning"}  # no "does not exist, skipping"


def create_database(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        remove_sqlite(database_url.removeprefix("sqlite:///"))
        return
    name = database_url.rsplit("/", 1)[1]
    server = database_url.rsplit("/", 1)[0] + "/postgres"
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", server, "-q", "-c", sql], check=True, env=PSQL_ENV)


def drop_database(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        remove_sqlite(database_url.removeprefix("sqlite:///"))
        return
    name = database_url.rsplit("/", 1)[1]
    server = database_url.rsplit("/", 1)[0] + "/postgres"
    sql = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    subprocess.run(["psql", server, "-q", "-c", sql], check=False, env=PSQL_ENV)


# --- server ----------------------------------------------------------------------------------------------


def warm_up(port: int, manifest: dict) -> int:
    """Ask every URL the visitors will ask once, as a running site has been asked; fail early and clearly
    when one does not answer as it should. Returns how many URLs."""
    paths = [manifest["home"], manifest["feed"], manifest["concept_index"], *manifest["concepts"]]
    paths += [f"{manifest['show']}?page={n}" for n in range(1, manifest["show_pages"] + 1)]
    paths += [e["url"] for e in manifest["episodes"]]
    paths += [f"/search/?q={q.replace(' ', '+')}" for q in manifest["searches"]]
    for path in paths:
        status, _headers, _body = fetch(port, path)
        if status != 200:
            raise RuntimeError(f"{path} answered {status} before the load started")
    episode = manifest["episodes"][0]
    status, headers, body = fetch(port, episode["audio"], {"Range": "bytes=0-65535"})
    if status != 206 or len(body) != min(65536, episode["size"]):
        raise RuntimeError(f"{episode['audio']} answered {status} with {len(body)} bytes to a range")
    return len(paths) + 1


# --- locust ----------------------------------------------------------------------------------------------


def run_locust(args, port: int, manifest_path: Path, workdir: Path) -> tuple[int, Path]:
    """locust headless in its own process (gevent patches that process, not this one)."""
    locust = Path(sys.executable).with_name("locust")
    prefix = workdir / "stats"
    command = [str(locust) if locust.exists() else "locust", "-f", str(LOCUSTFILE), "--headless"]
    command += ["-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.seconds}s"]
    command += ["--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary"]
    command += ["--html", str(workdir / "report.html"), "--loglevel", "WARNING"]
    # No LOCUST_* variables from the caller's shell, and no locust.conf of the current folder.
    env = {key: value for key, value in os.environ.items() if not key.startswith("LOCUST_")}
    env["LOAD_MANIFEST"] = str(manifest_path)
    env["LOAD_THINK_SECONDS"] = f"{args.think[0]},{args.think[1]}"
    log_path = workdir / "locust.log"
    with log_path.open("wb") as log:
        done = subprocess.run(
            command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=args.seconds + 120
        )
    return done.returncode, log_path


def read_csv(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def milliseconds(value: str) -> str:
    return "-" if value in ("", "N/A") else f"{float(value):,.0f}"


def server_errors(log_path: Path) -> list[str]:
    return [line for line in log_path.read_text(errors="replace").splitlines() if SERVER_ERROR.search(line)]


# --- main ------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="simulated visitors at once (default 50)")
    parser.add_argument("--spawn-rate", type=float, default=10, help="visitors started per second")
    parser.add_argument("--seconds", type=int, default=300, help="length of the load (default 300: 5 min)")
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=[1.0, 3.0],
        metavar=("MIN", "MAX"),
        help="seconds each visitor waits between requests (default 1 to 3)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2)")
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/bench_load")
    parser.add_argument("--episodes", type=int, default=24, help="episodes of the show (default 24)")
    parser.add_argument("--audio-seconds", type=int, default=600, help="length of the tone (default 600)")
    parser.add_argument("--no-cache", action="store_true", help="turn the page cache off")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the database and work folder")
    args = parser.parse_args()
    if not (1 <= args.users <= 10000 and args.spawn_rate > 0 and 1 <= args.seconds <= 3600):
        parser.error("--users must be 1-10000, --spawn-rate above 0, --seconds 1-3600")
    if not (0 <= args.think[0] <= args.think[1]):
        parser.error("--think MIN MAX: 0 <= MIN <= MAX")
    if not (1 <= args.episodes <= 1000 and 10 <= args.audio_seconds <= 7200 and 1 <= args.workers <= 64):
        parser.error("--episodes must be 1-1000, --audio-seconds 10-7200, --workers 1-64")
    if not args.database.startswith(("postgres://", "postgresql://", "sqlite:///")):
        parser.error("--database must be a postgres:// or sqlite:/// URL")
    for tool in ("ffmpeg", "psql") if args.database.startswith("postgres") else ("ffmpeg",):
        if not shutil.which(tool):
            print(f"error: {tool} is not installed", file=sys.stderr)
            return 2
    if not Path(sys.executable).with_name("locust").exists() and not shutil.which("locust"):
        print(
            "error: locust is not installed: .venv/bin/pip install -r requirements-dev.txt", file=sys.stderr
        )
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    # A key prefix of this run's own in Redis: its keys are deleted at the end, nobody else's.
    cache_url, note = configure_environment(
        workdir,
        args.database,
        REDIS_DB,
        key_prefix=workdir.name,
        PAGE_CACHE_SECONDS="0" if args.no_cache else "300",
    )
    stop_on_sigterm()
    try:
        create_database(args.database)
        return run(args, workdir, cache_url, note)
    finally:
        stop_servers()
        if cache_url.startswith("rediscache://"):
            # Pages, feeds, Wagtail's site root paths of a throwaway database.
            forget_redis_keys(REDIS_DB, f"{workdir.name}:*")
        if args.keep:
            print(f"kept the database {args.database} and {workdir} (locust's report.html is there)")
        else:
            if "django.db" in sys.modules:
                from django.db import connections

                connections.close_all()
            drop_database(args.database)
            shutil.rmtree(workdir, ignore_errors=True)


def run(args, workdir: Path, cache_url: str, note: str) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    load_at_start = os.getloadavg()[0]
    progress(f"migrating ({connection.vendor}) and collecting static files")
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)

    progress(f"creating a show with {args.episodes} episodes of {args.audio_seconds} s of audio")
    manifest = create_content(args, workdir)
    manifest_path = workdir / "manifest.json"
    manifest_path.write_text(json.dumps(manifest, indent=2))
    counts = manifest["counts"]
    connections.close_all()  # gunicorn's workers are the database's clients from here on

    port = free_port()
    cache_state = "off" if args.no_cache else "on"
    progress(f"starting gunicorn ({args.workers} workers, page cache {cache_state}) on 127.0.0.1:{port}")
    server_log = workdir / "gunicorn.log"
    start_gunicorn(port, server_log, workers=args.workers)
    urls = warm_up(port, manifest)
    progress(f"asked each of the {urls} URLs once (not counted)")
    errors_before = len(server_errors(server_log))

    progress(
        f"locust: {args.users} visitors (started {args.spawn_rate:g}/s), "
        f"{args.think[0]:g}-{args.think[1]:g} s between requests, for {args.seconds} s"
    )
    returncode, locust_log = run_locust(args, port, manifest_path, workdir)
    progress("done")

    stats = read_csv(workdir / "stats_stats.csv")
    failures = [row for row in read_csv(workdir / "stats_failures.csv") if int(row["Occurrences"] or 0)]
    exceptions = read_csv(workdir / "stats_exceptions.csv")
    logged = server_errors(server_log)[errors_before:]
    rows = [row for row in stats if row["Name"] != "Aggregated"]
    total = next((row for row in stats if row["Name"] == "Aggregated"), None)

    print()
    print(
        f"Load: {args.users} visitors for {args.seconds} s, gunicorn {args.workers} sync workers, "
        f"{connection.vendor}, page cache {cache_state} ({cache_url.split('?')[0]}"
        + (f"; {note})" if note else ")")
    )
    print(
        f"content: {args.episodes} episodes, {counts['segments']:,} transcript lines, "
        f"{len(manifest['concepts'])} concepts, {counts['mentions']} mentions"
    )
    header = (
        f"   {'endpoint':22} {'requests':>9} {'failures':>9} {'req/s':>8} {'median':>7} {'p95':>7} {'p99':>7}"
    )
    print(header + f" {'max':>7}  (ms)")
    for row in sorted(rows, key=lambda r: -int(r["Request Count"])) + ([total] if total else []):
        name = "all" if row is total else row["Name"]
        print(
            f"   {name:22} {int(row['Request Count']):>9,} {int(row['Failure Count']):>9,} "
            f"{float(row['Requests/s']):>8.1f} {milliseconds(row['50%']):>7} {milliseconds(row['95%']):>7} "
            f"{milliseconds(row['99%']):>7} {milliseconds(row['Max Response Time']):>7}"
        )
    print("   (locust rounds percentiles: to 10 ms from 100 ms, to 100 ms from 1 s, to 1 s from 10 s)")
    for row in failures:
        print(f"   failed: {row['Method']} {row['Name']}: {row['Error']} (x{row['Occurrences']})")
    for row in exceptions:
        print(f"   locustfile error (x{row['Count']}): {row['Message']}\n{row['Traceback']}")
    for line in logged[:20]:
        print(f"   server log: {line}")

    requests = int(total["Request Count"]) if total else 0
    failed = int(total["Failure Count"]) if total else 0
    ok = requests > 0 and failed == 0 and not exceptions and not logged and returncode == 0
    if requests == 0 or (returncode != 0 and not failed and not exceptions):
        print(f"   locust exited with {returncode}; the end of its log:\n{locust_log.read_text()[-3000:]}")
    print(
        f"   target: no failed request, no locustfile error, no server error  {verdict(ok)} "
        f"({failed} failed of {requests:,}, {len(exceptions)} locustfile errors, {len(logged)} server errors)"
    )
    print(machine(load_at_start, "locust and the server share them; other work skews figures"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
