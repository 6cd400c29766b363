"""What does download counting cost the audio view? Range requests on gunicorn, counting on vs off.

One run, on a throwaway database (PostgreSQL by default, created and dropped by the run; SQLite with
``--database sqlite:///...``) with the production settings: a show with one episode whose audio is a real
ffmpeg tone of --audio-seconds (default 600, 64 kbit/s MP3, so a minute is about 480 KB). Two gunicorn
servers (--workers sync workers each, default 2) serve it with ``AUDIO_DELIVERY=django``, one with
``ANALYTICS_ENABLED=true`` and one with ``false``, both reading the listener's address from
X-Forwarded-For (``ANALYTICS_IP_HEADER``), as behind a proxy of ours.

wrk loads each server in turn, in alternating rounds (on, off, on, off...: --rounds each, of equal length,
so that the machine's other load falls on both alike), with --connections connections. Every connection
plays listeners one after another, as podcast apps fetch an episode: each listener (an address of its own,
Apple Podcasts' User-Agent) asks for four consecutive ranges of 170 KB, so that the counting does all its
work: a new listener, ranges merged, the third range passing the minute and counting the download, the
fourth finding the listener counted. No two runs share a listener. The request only appends an event; the
site's scheduler (``manage.py scheduler --interval 5``, as in production with a shorter round) aggregates
them during the load, on the same machine, so its cost is in the figures.

Printed: requests per second of each server (the median of its rounds, and each round), the ratio on/off
as the median of the paired rounds (each "on" round over the "off" round right after it, so that a change
in the machine's load during the run falls on both sides of a pair; target: at least 0.9), errors (socket
errors, answers other than 206, and any "not counted" or error line in the servers' logs; target: 0), and
the downloads the counting stored against the listeners whose third range was answered (target: no fewer;
more when a slow server answers requests wrk had stopped timing), and the events still pending when the
load stopped (what the scheduler had not yet aggregated). Exits 1 when a target fails. Needs
ffmpeg and wrk (Debian: ``apt-get install -y ffmpeg wrk``); only uses 127.0.0.1.
Not part of the test suite:

    .venv/bin/python bench/downloads.py [--duration 10] [--rounds 2] [--connections 16] [--workers 2]
        [--database postgres://postgres@127.0.0.1:5432/bench_downloads | sqlite:////tmp/bench_dl.sqlite3]
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from load import create_database, drop_database  # noqa: E402 (after the path)
from loadkit import (  # noqa: E402 (after the path)
    configure_environment,
    fetch,
    free_port,
    machine,
    make_tone,
    progress,
    start_gunicorn,
    stop_on_sigterm,
    stop_servers,
    tally,
    verdict,
)

MIN_RATIO = 0.9
PIECE = 170_000  # bytes per range: three of them pass one minute of 64 kbit/s audio
RANGES_PER_LISTENER = 4
REDIS_DB = 4
APPLE = "Podcasts/1650.20 CFNetwork/1494.0.7 Darwin/23.4.0"
SERVER_ERROR = re.compile(
    r"\[(ERROR|CRITICAL)\]|Traceback \(most recent call last\)|not counted|Periodic job \S+ failed"
)

# Each wrk thread numbers its listeners; a listener's address is run.thread.n/256.n%256, so that no two
# runs or threads share one. The run's number comes as the script's argument.
WRK_SCRIPT = Template("""
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end
local n = 0
local run = 1
function init(args)
  run = tonumber(args[1])
end
function request()
  local listener = math.floor(n / $ranges)
  local first = (n % $ranges) * $piece
  n = n + 1
  local high, low = math.floor(listener / 256) % 256, listener % 256
  return wrk.format("GET", nil, {
    ["Range"] = string.format("bytes=%d-%d", first, first + $piece - 1),
    ["X-Forwarded-For"] = string.format("%d.%d.%d.%d", run, id, high, low),
    ["User-Agent"] = "$agent",
  })
end
""").substitute(ranges=RANGES_PER_LISTENER, piece=PIECE, agent=APPLE)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per server")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per server (ABAB...)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers per server")
    parser.add_argument("--audio-seconds", type=int, default=600, help="length of the episode's audio")
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/bench_downloads")
    parser.add_argument("--keep", action="store_true", help="keep the database and work folder")
    args = parser.parse_args()
    if not (2 <= args.duration <= 600 and 1 <= args.connections <= 500 and 1 <= args.threads <= 64):
        parser.error("--duration must be 2-600 s, --connections 1-500, --threads 1-64")
    if not (1 <= args.rounds <= 20 and args.duration / args.rounds >= 1):
        parser.error("--rounds must be 1-20, each at least a second long")
    if args.audio_seconds < 120:
        parser.error("--audio-seconds must be at least 120 (four ranges must fit in the file)")
    for tool in ("wrk", "ffmpeg"):
        if not shutil.which(tool):
            print(f"error: {tool} is not installed; on Debian: apt-get install -y {tool}", file=sys.stderr)
            return 2

    workdir = Path(tempfile.mkdtemp(prefix="bench-downloads-"))
    configure_environment(
        workdir, args.database, REDIS_DB, cache_url=f"filecache://{workdir / 'cache'}",
        AUDIO_DELIVERY="django", ANALYTICS_IP_HEADER="X-Forwarded-For", PAGE_CACHE_SECONDS="0",
    )  # fmt: skip
    create_database(args.database)
    stop_on_sigterm()
    try:
        return run(args, workdir)
    finally:
        stop_servers()
        stop_scheduler()
        if args.keep:
            print(f"kept {args.database} and {workdir}")
        else:
            drop_database(args.database)
            shutil.rmtree(workdir, ignore_errors=True)


def run(args, workdir: Path) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    load_at_start = os.getloadavg()[0]
    progress(f"migrating {connection.vendor} database")
    call_command("migrate", verbosity=0, interactive=False)
    episode, audio = create_episode(workdir, args.audio_seconds)
    connection.close()

    servers = {}
    for name, enabled in (("counting on", "true"), ("counting off", "false")):
        port = free_port()
        start_gunicorn(
            port, workdir / f"{name.replace(' ', '-')}.log", workers=args.workers,
            env={"ANALYTICS_ENABLED": enabled},
        )  # fmt: skip
        servers[name] = port
    progress(f"servers up: {servers}; audio {audio.size:,} bytes, a minute is {minute_of(audio):,} bytes")
    check_counting(servers, audio, episode)
    start_scheduler(workdir / "scheduler.log")

    script = workdir / "listeners.lua"
    script.write_text(WRK_SCRIPT)
    runs = {name: [] for name in servers}
    rounds = args.rounds
    run_number = 10  # 1-9 are the check's addresses
    for n in range(rounds):
        for name, port in servers.items():
            progress(f"round {n + 1}/{rounds}: {name} for {args.duration / rounds:g}s")
            runs[name].append(
                wrk(f"http://127.0.0.1:{port}{audio.url}", script, run_number, args.duration / rounds, args)
            )
            run_number += 1
    return report(args, runs, servers, workdir, episode, load_at_start, pending())


def create_episode(workdir: Path, seconds: int):
    from wagtail.models import Site

    from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory

    progress(f"making {seconds}s of audio and its episode")
    home = Site.objects.get(is_default_site=True).root_page.specific
    audio = AudioFileFactory(path=make_tone(workdir / "tone.mp3", seconds), title="Deciding together")
    show = ShowPageFactory(parent=home, slug="the-power-of-coproduction")
    return EpisodePageFactory(parent=show, slug="deciding-together", audio=audio), audio


def minute_of(audio) -> int:
    from analytics.ranges import bytes_for_a_minute

    return bytes_for_a_minute(audio.size, audio.duration_ms, audio.bitrate)


def downloads(episode) -> int:
    """The episode's downloads, once every pending event is aggregated (the scheduler may be at it too)."""
    from django.db import connection
    from django.db.models import Sum

    from analytics.counting import aggregate
    from analytics.models import DailyDownloads

    aggregate()
    total = DailyDownloads.objects.filter(page_id=episode.pk).aggregate(total=Sum("count"))["total"] or 0
    connection.close()
    return total


def pending() -> int:
    """Events the scheduler has not aggregated yet."""
    from django.db import connection

    from analytics.models import DownloadEvent

    count = DownloadEvent.objects.count()
    connection.close()
    return count


_scheduler: list[subprocess.Popen] = []


def start_scheduler(log_path: Path) -> None:
    """The site's scheduler, a round every 5 seconds, beside the servers (stopped by stop_scheduler)."""
    command = [sys.executable, str(ROOT / "manage.py"), "scheduler", "--interval", "5"]
    with log_path.open("wb") as log:
        _scheduler.append(subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT))


def stop_scheduler() -> None:
    while _scheduler:
        process = _scheduler.pop()
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def check_counting(servers: dict[str, int], audio, episode) -> None:
    """Before the load: one listener's three ranges count once on the counting server, never on the other."""
    for run, (name, port) in enumerate(servers.items(), 1):
        for part in range(3):
            headers = {"Range": f"bytes={part * PIECE}-{(part + 1) * PIECE - 1}", "User-Agent": APPLE}
            status, _, body = fetch(port, audio.url, {**headers, "X-Forwarded-For": f"{run}.0.0.1"})
            if status != 206 or len(body) != PIECE:
                raise RuntimeError(f"{name}: a range got {status} with {len(body)} bytes")
        expected = 1 if name == "counting on" else 0
        if downloads(episode) != 1:
            raise RuntimeError(f"after {name}'s check the episode has {downloads(episode)} downloads, not 1")
        progress(f"check: {name} counted {expected} download for one listener's three ranges")


def wrk(url: str, script: Path, run_number: int, seconds: float, args) -> dict:
    command = ["wrk", f"--threads={args.threads}", f"--connections={args.connections}"]
    command += [f"--duration={max(1, round(seconds))}s", "--timeout=5s", "--latency", "--script", str(script)]
    out = subprocess.run(
        [*command, url, "--", str(run_number)],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "errors": (sum(map(int, socket_errors.groups())) if socket_errors else 0)
        + (int(non_2xx.group(1)) if non_2xx else 0),
        "p50": latency.get("50", "?"),
        "p99": latency.get("99", "?"),
    }


def report(args, runs, servers, workdir: Path, episode, load_at_start: float, left: int) -> int:
    totals = {
        name: {
            "rps": statistics.median(r["rps"] for r in results),
            "each": " ".join(f"{r['rps']:.1f}" for r in results),
            "requests": sum(r["requests"] for r in results),
            "errors": sum(r["errors"] for r in results),
            "p50": "/".join(r["p50"] for r in results),
            "p99": "/".join(r["p99"] for r in results),
        }
        for name, results in runs.items()
    }
    log_errors = {
        name: [
            line for line in (workdir / f"{name.replace(' ', '-')}.log").read_text().splitlines()
            if SERVER_ERROR.search(line)
        ]
        for name in [*servers, "scheduler"]
    }  # fmt: skip
    on, off = totals["counting on"], totals["counting off"]
    # Each "on" round against the "off" round right after it: the machine's other load changes over a run
    # (here: from one regime to another halfway), which a ratio of the two servers' medians would mix in.
    paired = zip(runs["counting on"], runs["counting off"], strict=True)
    pairs = [a["rps"] / b["rps"] for a, b in paired if b["rps"]]
    ratio = statistics.median(pairs) if pairs else 0.0
    of_medians = on["rps"] / off["rps"] if off["rps"] else 0.0
    errors = on["errors"] + off["errors"] + sum(len(lines) for lines in log_errors.values())
    counted = downloads(episode) - 1  # the check's listener
    # A listener counts once its third range is answered: about a quarter of the requests wrk completed,
    # plus those still in flight when a run stopped (the server answers them after wrk has stopped timing).
    expected = on["requests"] // RANGES_PER_LISTENER
    print()
    print(
        f"Audio range requests ({PIECE:,} bytes, {RANGES_PER_LISTENER} per listener) on gunicorn "
        f"({args.workers} sync workers, {args.connections} connections, {args.duration:g}s per server):"
    )
    for name, total in totals.items():
        print(
            f"   {name:13} {total['rps']:8.1f} req/s  {total['requests']:7d} requests  "
            f"errors {total['errors']}  p50 {total['p50']}  p99 {total['p99']}  (rounds: {total['each']})"
        )
    ok = ratio >= MIN_RATIO and errors == 0
    each = " ".join(f"{x:.2f}" for x in pairs)
    print(
        f"   ratio {ratio:.2f}x (median of {len(pairs)} paired rounds: {each}; "
        f"the medians' ratio: {of_medians:.2f}x) (target: >= {MIN_RATIO:g}x), errors {errors} (target: 0)  "
        f"{verdict(ok)}"
    )
    print(
        f"   downloads counted under load: {counted:,} "
        f"(listeners whose third range was answered: ~{expected:,})"
    )
    print(f"   events pending when the load stopped (not yet aggregated by the scheduler): {left:,}")
    for name, lines in log_errors.items():
        for line in lines[:5]:
            print(f"   {name} log: {line[:200]}")
    print(f"   database {args.database.split('://')[0]}; {machine(load_at_start)}")
    return tally([ok, counted >= expected - args.threads * 2])


if __name__ == "__main__":
    sys.exit(main())
