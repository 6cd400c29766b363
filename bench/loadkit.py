"""What the load benchmarks (feed.py, pages.py, load.py) share: the production environment, gunicorn, wrk,
Redis, made-up audio and transcripts, progress and result lines."""

import http.client
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
REDIS_PORT = 6379
SEGMENT_MS = 6000  # a transcript line every 6 seconds

_started = time.perf_counter()
_step = 0
_servers: list[subprocess.Popen] = []


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def progress(message: str) -> None:
    global _step
    _step += 1
    print(f"[{_step}] {time.perf_counter() - _started:6.1f}s  {message}", flush=True)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def tally(results: list[bool]) -> int:
    """Print how many targets passed and failed; return the exit code (1 when one failed)."""
    failed = results.count(False)
    print(f"\n{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


def machine(load_at_start: float, skew: str = "other work on the machine skews the figures") -> str:
    return (
        f"machine: {os.cpu_count()} CPUs, 1-minute load average {load_at_start:.2f} at the start and "
        f"{os.getloadavg()[0]:.2f} at the end ({skew})"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def query_shape(sql: str) -> str:
    return re.sub(r"\d+", "N", re.sub(r"IN \([^)]*\)", "IN (...)", sql))


# --- environment -----------------------------------------------------------------------------------------


def configure_environment(
    workdir: Path,
    database_url: str,
    redis_db: int,
    *,
    cache_url: str = "auto",
    key_prefix: str = "",
    **extra: str,
) -> tuple[str, str]:
    """Set the production settings' environment for this process and the gunicorn it starts, with media,
    static files and any file cache in ``workdir``; return the cache URL and a note on it.

    ``cache_url`` "auto" is Redis database ``redis_db`` on 127.0.0.1 (under ``key_prefix`` when given) if
    it answers, otherwise a file cache shared by the workers. ``extra`` variables are set too, over these."""
    note = ""
    if cache_url == "auto":
        ok, why = redis_usable(port=REDIS_PORT)
        if ok:
            cache_url = f"rediscache://127.0.0.1:{REDIS_PORT}/{redis_db}"
            if key_prefix:
                cache_url += f"?key_prefix={key_prefix}"
        else:
            cache_url = f"filecache://{workdir / 'cache'}"
            note = f"Redis not used: {why}; a file cache shared by the workers instead"
    for folder in ("media", "static", "cache"):
        (workdir / folder).mkdir()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "website.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "WAGTAILADMIN_BASE_URL": "http://127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url,
            "CACHE_URL": cache_url,
            "MEDIA_STORAGE": "filesystem",  # the work folder, even where a bucket is configured
            "MEDIA_ROOT": str(workdir / "media"),
            "STATIC_ROOT": str(workdir / "static"),
            "WEBSUB_HUBS": "",  # never tell a real hub about a benchmark feed
            "LOG_LEVEL": "WARNING",  # Wagtail logs every page it creates at INFO
            **extra,
        }
    )
    return cache_url, note


def sqlite_workdir(prefix: str) -> tuple[Path, Path]:
    """A work folder for a run, and the path of its throwaway SQLite database beside it."""
    tmp = Path(tempfile.gettempdir())
    workdir = Path(tempfile.mkdtemp(prefix=prefix, dir=tmp))
    return workdir, tmp / f"{workdir.name}.sqlite3"


def clear_workdir(workdir: Path, db_path: Path, keep: bool) -> None:
    """Remove the work folder and the SQLite database, or say where they are kept."""
    if keep:
        print(f"kept {db_path} and {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
        remove_sqlite(db_path)


def remove_sqlite(path: Path | str) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def redis_usable(host: str = "127.0.0.1", port: int = REDIS_PORT) -> tuple[bool, str]:
    try:
        import redis  # noqa: F401  (Django's redis cache backend needs it)
    except ImportError:
        return False, "the redis package is not installed in this virtualenv"
    try:
        with socket.create_connection((host, port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            if not sock.recv(16).startswith(b"+PONG"):
                return False, f"Redis on {host}:{port} did not answer PING"
    except OSError as error:
        return False, f"no Redis on {host}:{port} ({error})"
    return True, ""


def forget_redis_keys(db: int, *patterns: str) -> None:
    """Delete the keys matching ``patterns`` in Redis database ``db`` on 127.0.0.1."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=REDIS_PORT, db=db)
    keys = [key for pattern in patterns for key in client.scan_iter(pattern)]
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])


# --- content ---------------------------------------------------------------------------------------------


def make_tone(path: Path, seconds: int) -> Path:
    """A real MP3 (64 kbit/s mono) of a 440 Hz tone: what every episode plays."""
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
        + ["-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k", str(path)],
        check=True,
    )
    return path


def sentence(rng: random.Random, start_ms: int, words: list[str], terms: list[str]) -> tuple[str, list]:
    """8 to 16 of ``words`` (sometimes with one of ``terms``) over one line's time, with word timings."""
    picked = [rng.choice(words) for _ in range(rng.randint(8, 16))]
    if rng.random() < 0.1:
        picked.insert(rng.randint(0, len(picked)), rng.choice(terms))
    picked[0] = picked[0].capitalize()
    step = (SEGMENT_MS - 500) // len(picked)
    timings = [[start_ms + i * step, start_ms + (i + 1) * step, w, 0.9] for i, w in enumerate(picked)]
    return " ".join(picked) + ".", timings


def segment_rows(transcript, count: int, rng: random.Random, words: list[str], terms: list[str], mention):
    """``count`` unsaved lines of ``transcript``, one every SEGMENT_MS, two speakers taking turns every two
    lines; ``mention(i)`` (called after line ``i``'s sentence is drawn) names a term to open it with, or
    None."""
    from transcripts.models import Segment

    rows = []
    for i in range(count):
        text, timings = sentence(rng, i * SEGMENT_MS, words, terms)
        term = mention(i)
        if term:
            text = f"{term.capitalize()} matters. {text}"
        rows.append(
            Segment(
                transcript=transcript,
                index=i,
                start_ms=i * SEGMENT_MS,
                end_ms=i * SEGMENT_MS + SEGMENT_MS - 500,
                text=text,
                speaker="SPEAKER 1" if i % 4 < 2 else "SPEAKER 2",
                words=timings,
            )
        )
    return rows


# --- server ----------------------------------------------------------------------------------------------


def fetch(port: int, path: str, headers=None, timeout: float = 30) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def start_gunicorn(
    port: int,
    log_path: Path,
    *,
    workers: int = 2,
    app: str = "website.wsgi",
    ready_path: str = "/robots.txt",
    env: dict[str, str] | None = None,
) -> subprocess.Popen:
    """The production server command (sync workers) on 127.0.0.1:``port``, with this process's environment
    and ``env`` over it; returns once it answers ``ready_path``. stop_servers() stops it."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn) if gunicorn.exists() else "gunicorn", app, "--chdir", str(ROOT)]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--graceful-timeout", "5"]
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            command, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT
        )
    _servers.append(server)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            fetch(port, ready_path)
            return server
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within 60 s:\n{log_path.read_text()[-3000:]}")


def stop_on_sigterm() -> None:
    """Turn a SIGTERM (e.g. from CI's timeout) into an exit that unwinds through ``finally``, where
    stop_servers() stops gunicorn."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def stop_servers() -> None:
    """Stop every gunicorn that start_gunicorn() started."""
    while _servers:
        stop_gunicorn(_servers.pop())


def stop_gunicorn(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)  # the master stops its workers
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=5)


# --- wrk -------------------------------------------------------------------------------------------------


def run_wrk(url: str, duration: float, connections: int, threads: int) -> dict:
    """wrk on ``url`` for ``duration`` seconds (whole, at least 1), timing a request out at 5 s: req/s,
    requests, socket errors (connect, read, write, timeout), non-2xx/3xx answers, latency p50 and p99."""
    command = ["wrk", f"--threads={min(threads, connections)}", f"--connections={connections}"]
    command += [f"--duration={max(1, round(duration))}s", "--timeout=5s", "--latency", url]
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=True).stdout

    def number(pattern: str, default: float | None = None) -> float:
        match = re.search(pattern, out)
        if not match:
            if default is None:
                raise RuntimeError(f"could not read {pattern!r} from wrk's output:\n{out}")
            return default
        return float(match.group(1))

    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    return {
        "rps": number(r"Requests/sec:\s+([\d.]+)"),
        "requests": int(number(r"(\d+) requests in")),
        "socket": [int(n) for n in socket_errors.groups()] if socket_errors else [0, 0, 0, 0],
        "non_2xx": int(number(r"Non-2xx or 3xx responses: (\d+)", 0)),
        "p50": latency.get("50", "?"),
        "p99": latency.get("99", "?"),
    }


def drain(url: str) -> None:
    """Wait until the server has answered what wrk left queued (sync workers still render the requests of
    closed connections), so that the next target does not share the CPU with them."""
    parts = urlsplit(url)
    fetch(parts.port, parts.path, timeout=300)


def wrk_rounds(
    targets: dict[str, str], seconds: float, connections: int, threads: int, *, drain_after: bool = False
) -> dict[str, dict]:
    """wrk on each URL in turn, in rounds of equal length (two from 4 s on, so that a neighbour's burst of
    CPU on a shared machine weighs on every target alike), draining the server after each run when
    ``drain_after``. Per target: mean req/s, each round's req/s, and requests, errors (socket errors and
    non-2xx/3xx) and latencies of all rounds."""
    rounds = 2 if seconds >= 4 else 1
    runs = {name: [] for name in targets}
    for n in range(rounds):
        for name, url in targets.items():
            progress(f"load round {n + 1}/{rounds}: {name} for {seconds / rounds:g}s")
            runs[name].append(run_wrk(url, seconds / rounds, connections, threads))
            if drain_after:
                drain(url)
    totals = {}
    for name, results in runs.items():
        socket_errors = [sum(column) for column in zip(*(r["socket"] for r in results), strict=True)]
        non_2xx = sum(r["non_2xx"] for r in results)
        totals[name] = {
            "rps": statistics.mean(r["rps"] for r in results),
            "round_rps": [r["rps"] for r in results],
            "requests": sum(r["requests"] for r in results),
            "socket": socket_errors,
            "non_2xx": non_2xx,
            "errors": sum(socket_errors) + non_2xx,
            "p50": "/".join(r["p50"] for r in results),
            "p99": "/".join(r["p99"] for r in results),
        }
    return totals
