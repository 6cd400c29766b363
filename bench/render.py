"""Render time of the uncached 60-minute episode page (600 transcript lines), in this process: no server,
no network, just Django and Wagtail answering the request, as an uncached request costs a web worker.

One run builds the content of ``bench/pages.py`` (a show, a 10-line and a 600-line episode with chapters,
soundbites, people and concept mentions) in a throwaway SQLite database with the production settings,
then renders the long page ``--renders`` times in three ways: with the page cache off; with it on but the
page not in it (a miss: a new query string each request, as ``?t=`` moments and campaign tags make); and
just after the episode was published (its own purge, as ``pagecache.purging`` does it, before each
render, not timed). It reports the median and p90 of wall time and of this process's CPU time, the
queries per render, and the load average. With
``--compare PATH`` (another checkout of this project, e.g. the code before a change) it runs the same
measurement there too, in alternating rounds, so that both figures come from the same machine and run.
``--profile`` prints the functions that take the most time (cProfile). Not part of the test suite:

    .venv/bin/python bench/render.py [--renders 60] [--rounds 3] [--compare /path/to/other/checkout]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(renders: int, segments: int, profile: bool) -> dict:
    """Build the content and time the renders (run inside the checkout being measured)."""
    sys.path[:1] = [str(ROOT), str(ROOT / "bench")]  # the apps first: bench/search.py is not the app
    from loadkit import clear_workdir, configure_environment, sqlite_workdir

    workdir, db_path = sqlite_workdir("bench-render-")
    database = f"sqlite:///{db_path}"
    configure_environment(workdir, database, 2, cache_url="locmemcache://", PAGE_CACHE_SECONDS="0")
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext
        from pages import create_content

        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        _short, long, _mentions = create_content(segments, 7)
        client = Client(HTTP_HOST="127.0.0.1")
        for _ in range(3):  # warm: template loaders, Wagtail's site root paths
            assert client.get(long.url).status_code == 200
        with CaptureQueriesContext(connection) as captured:
            client.get(long.url)
        queries = len(captured.captured_queries)
        from django.conf import settings

        if profile:
            import cProfile
            import pstats

            # As a page-cache miss is rendered: the page cache on, a query string of its own each time.
            settings.PAGE_CACHE_SECONDS = 300
            client.get(f"{long.url}?p=warm")
            profiler = cProfile.Profile()
            profiler.enable()
            for n in range(10):
                client.get(f"{long.url}?p={n}")
            profiler.disable()
            stats = pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative")
            stats.print_stats(str(ROOT), 40)  # this project's own functions
            stats.sort_stats("tottime").print_stats(25)

        try:  # what publishing the episode purges (this checkout's rules)
            from pagecache.purging import purge_for

            def published():
                purge_for(long)
        except ImportError:  # the code before targeted purges: every publish emptied the page cache
            from pagecache.caching import purge as published

        result = {"queries": queries}
        for series, seconds in (("off", 0), ("miss", 300), ("purged", 300)):
            settings.PAGE_CACHE_SECONDS = seconds
            wall, cpu = [], []
            for n in range(renders + 1):
                # With the page cache on, each request has a query string of its own: a miss, rendered;
                # "purged": the page itself, just after the episode was published (its purge not timed).
                url = long.url if seconds == 0 else f"{long.url}?r={n}"
                if series == "purged":
                    url = long.url
                    published()
                w, c = time.perf_counter(), time.process_time()
                response = client.get(url)
                if n:  # the first fills the caches a running site has filled already
                    wall.append(time.perf_counter() - w)
                    cpu.append(time.process_time() - c)
                assert response.status_code == 200 and response.get("X-Cache") in (None, "miss")
            result[series] = {"wall": wall, "cpu": cpu}
        return result
    finally:
        clear_workdir(workdir, db_path, False)


def run_in(checkout: Path, args) -> dict:
    python = sys.executable
    command = [python, str(checkout / "bench" / "render.py"), "--child", "--renders", str(args.renders)]
    command += ["--segments", str(args.segments)]
    if not (checkout / "bench" / "render.py").exists():  # an older checkout: this script, run there
        command[1] = str(Path(__file__).resolve())
        command += ["--root", str(checkout)]
    out = subprocess.run(command, cwd=checkout, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def ms(values, q=0.5) -> float:
    values = sorted(values)
    return 1000 * values[min(len(values) - 1, int(q * len(values)))]


def main() -> int:
    global ROOT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--segments", type=int, default=600)
    parser.add_argument("--compare", type=Path, help="another checkout to measure the same way")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of 10 renders")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.root:
        ROOT = args.root.resolve()
    if args.child or args.profile:
        result = measure(args.renders, args.segments, args.profile)
        print(json.dumps(result))
        return 0

    checkouts = {"this": ROOT}
    if args.compare:
        checkouts["compare"] = args.compare.resolve()
    series = ("off", "miss", "purged")
    results = {(name, kind): {"wall": [], "cpu": []} for name in checkouts for kind in series}
    queries, loads = {}, []
    for n in range(args.rounds):
        for name, checkout in checkouts.items():
            print(f"round {n + 1}: {name} ({checkout})", file=sys.stderr)
            loads.append(os.getloadavg()[0])
            found = run_in(checkout, args)
            for kind in series:
                results[name, kind]["wall"] += found[kind]["wall"]
                results[name, kind]["cpu"] += found[kind]["cpu"]
            queries[name] = found["queries"]
    print(
        f"Uncached {args.segments}-line episode page, rendered in-process ({args.rounds} rounds x "
        f"{args.renders} renders; load average {min(loads):.2f}-{max(loads):.2f} on {os.cpu_count()} CPUs)"
    )
    labels = {"off": "page cache off", "miss": "page cache on, a miss", "purged": "after a publish"}
    for (name, kind), found in results.items():
        print(
            f"  {name:8} {labels[kind]:22} wall median {ms(found['wall']):5.1f} ms, "
            f"p90 {ms(found['wall'], 0.9):5.1f} ms; CPU median {ms(found['cpu']):5.1f} ms, "
            f"p10 {ms(found['cpu'], 0.1):5.1f} ms; "
            f"{queries[name]} queries (off, warm) [{checkouts[name]}]"
        )
    if args.compare:
        for kind in series:
            for measure_ in ("wall", "cpu"):
                mine = statistics.median(results["this", kind][measure_])
                other = statistics.median(results["compare", "off"][measure_])
                ratio = mine / other
                print(f"  this ({labels[kind]}) / compare (page cache off), {measure_} median: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
