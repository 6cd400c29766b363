"""How does the podcast feed scale with episodes, and how close does it come to the floor?

One run, on a throwaway SQLite database with the production settings, checks three targets, each against
a baseline measured in the same run:

1. SQL queries to build the feed of a show with 10 episodes and of one with --episodes (1,000): equal.
2. Time to build the uncached feed of --episodes episodes (``episodes.feeds.build_feed``) against feedgen
   alone serialising the same items from plain Python values prepared beforehand (the same RSS, itunes
   and podcast tags; no validation, no database): at most 2x.
3. The cached feed (``/feeds/<pk>.xml``) under load on gunicorn (2 sync workers) with --connections
   concurrent wrk clients, against the same gunicorn workers answering a body of the same size from memory
   through a tiny WSGI app in front of Django (``bench/feed_wsgi.py``): at least 0.5x the requests per
   second, with no socket errors and no answer but 200. Both targets are loaded in alternating rounds.

Each episode has the same short audio file (an ffmpeg tone), rich-text notes with a page link, a person,
a chapter and a soundbite. The cache is ``--cache-url`` (django-environ syntax); by default Redis on
127.0.0.1:6379/1 when the ``redis`` package is importable (the run deletes its keys at the end), otherwise
a file cache shared by the workers. Other production variables pass through, e.g. ``DB_CONN_MAX_AGE``.

Needs ffmpeg and wrk (Debian: ``apt-get install -y ffmpeg wrk``); only uses 127.0.0.1. Exits 1 when a
target fails. Not part of the test suite:

    .venv/bin/python bench/feed.py [--episodes 1000] [--duration 10] [--connections 50]
"""

import argparse
import os
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feedkit import (  # noqa: E402 (after the path)
    SMALL_SHOW,
    count_queries,
    create_content,
    feedgen_floor,
    floor_extensions,
    item_tags,
    plain_values,
    timed_pair,
)
from loadkit import (  # noqa: E402 (after the path)
    clear_workdir,
    configure_environment,
    fetch,
    free_port,
    machine,
    progress,
    query_shape,
    run_wrk,
    sqlite_workdir,
    start_gunicorn,
    stop_on_sigterm,
    stop_servers,
    tally,
    verdict,
    wrk_rounds,
)

WORKERS = 2
STATIC_PATH = "/bench/static-feed.xml"  # answered by bench/feed_wsgi.py
MAX_BUILD_RATIO = 2.0
MIN_LOAD_RATIO = 0.5
REDIS_DB = 1

_after_stop = []  # clean-ups that must wait until gunicorn has stopped answering


# --- main ----------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1000, help="episodes in the large show")
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per target")
    parser.add_argument("--connections", type=int, default=50, help="concurrent wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--repeat", type=int, default=5, help="builds timed for each of ours and the floor")
    parser.add_argument(
        "--cache-url",
        default="auto",
        help="CACHE_URL for this process and gunicorn (django-environ syntax); 'auto': Redis on "
        "127.0.0.1:6379/1 when the redis package is installed, otherwise a file cache in the work folder",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and work folder")
    args = parser.parse_args()
    if not (1 <= args.duration <= 600 and 1 <= args.connections <= 1000 and 1 <= args.repeat <= 50):
        parser.error("--duration must be 1-600 s, --connections 1-1000, --repeat 1-50")
    if args.episodes <= SMALL_SHOW:
        parser.error(f"--episodes must be more than {SMALL_SHOW}")
    for tool, package in (("wrk", "wrk"), ("ffmpeg", "ffmpeg")):
        if not shutil.which(tool):
            print(f"error: {tool} is not installed; on Debian: apt-get install -y {package}", file=sys.stderr)
            return 2

    workdir, db_path = sqlite_workdir("bench-feed-")
    port = free_port()
    _cache_url, cache_note = configure_environment(
        workdir,
        f"sqlite:///{db_path}",
        REDIS_DB,
        cache_url=args.cache_url,
        WAGTAILADMIN_BASE_URL=f"http://127.0.0.1:{port}",
    )
    stop_on_sigterm()
    try:
        return run(args, workdir, db_path, port, cache_note)
    finally:
        stop_servers()
        for clean_up in _after_stop:
            clean_up()
        clear_workdir(workdir, db_path, args.keep)


def run(args, workdir: Path, db_path: Path, port: int, cache_note: str) -> int:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    load_at_start = os.getloadavg()[0]
    cache = settings.CACHES["default"]
    progress(
        f"database {db_path} (CONN_MAX_AGE {settings.DATABASES['default']['CONN_MAX_AGE']}); "
        f"cache {cache['BACKEND']} {cache.get('LOCATION', '')}"
    )
    if cache_note:
        print(f"      note: {cache_note}", flush=True)

    progress("migrating")
    call_command("migrate", verbosity=0, interactive=False)

    progress(f"creating a show of {SMALL_SHOW} episodes and one of {args.episodes}")
    start = time.perf_counter()
    small, large = create_content(args, workdir)
    print(f"      created in {time.perf_counter() - start:.1f}s", flush=True)
    _after_stop.append(lambda: forget_cached([small, large]))
    return measure(args, workdir, port, cache, cache_note, load_at_start, small, large)


def forget_cached(shows) -> None:
    """Remove what this run put in a shared cache (Redis): the feeds, and Wagtail's site root paths,
    which describe this throwaway database's sites and would mislead another site using the same cache
    for up to an hour."""
    from django.core.cache import cache
    from wagtail.models import Site

    from episodes.feeds.cache import cache_key

    Site.clear_site_root_paths_cache()
    for show in shows:
        show.refresh_from_db()
        changed_at = show.feed_changed_at or show.last_published_at
        if changed_at:
            cache.delete(cache_key(show.pk, changed_at))


def measure(args, workdir, port, cache, cache_note, load_at_start, small, large) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from episodes.feeds import build_feed, feed_path, get_feed

    results = []

    # 1. Queries.
    progress("counting the queries that build each feed")
    small_sql, small_items = count_queries(small)
    large_sql, large_items = count_queries(large)
    assert (small_items, large_items) == (SMALL_SHOW, args.episodes), (small_items, large_items)
    ok = len(small_sql) == len(large_sql)
    results.append(ok)

    # 2. Build time.
    progress(f"timing the uncached build of {args.episodes} episodes against feedgen alone")
    channel, items = plain_values(large)
    extensions = floor_extensions()
    ours_content = build_feed(large)
    floor_content = feedgen_floor(channel, items, extensions)
    ours_tags, floor_tags = item_tags(ours_content), item_tags(floor_content)
    (base_best, base_median), (ours_best, ours_median) = timed_pair(
        args.repeat, lambda: feedgen_floor(channel, items, extensions), lambda: build_feed(large)
    )
    build_ratio = ours_best / base_best
    results.append(build_ratio <= MAX_BUILD_RATIO)

    # 3. Load.
    progress(f"starting gunicorn ({WORKERS} workers) on 127.0.0.1:{port}")
    feed = get_feed(large.pk)  # fills the shared cache, as the first request after a change would
    with CaptureQueriesContext(connection) as captured:
        assert get_feed(large.pk) == feed
    if len(captured.captured_queries) > 1:  # a hit reads the show's state row, nothing more
        raise RuntimeError("get_feed() built the feed again: the cache key is not stable (feed_changed_at?)")
    static_file = workdir / "static-feed.xml"
    static_file.write_bytes(feed.content)
    start_gunicorn(
        port,
        workdir / "gunicorn.log",
        workers=WORKERS,
        app="bench.feed_wsgi:application",
        ready_path=STATIC_PATH,
        env={"BENCH_FEED_STATIC_FILE": str(static_file)},
    )
    feed_url_path = feed_path(large)
    for path in (feed_url_path, STATIC_PATH):
        status, headers, body = fetch(port, path)
        if status != 200 or body != feed.content:
            raise RuntimeError(f"{path} answered {status} with {len(body)} bytes, not the feed:\n{headers}")
    urls = {
        "static": f"http://127.0.0.1:{port}{STATIC_PATH}",
        "feed": f"http://127.0.0.1:{port}{feed_url_path}",
    }
    progress("warming both targets up (1 s of load each, not counted)")
    for url in urls.values():
        run_wrk(url, 1, args.connections, args.threads)
    measured = wrk_rounds(urls, args.duration, args.connections, args.threads)
    static, cached = measured["static"], measured["feed"]
    errors = static["errors"] + cached["errors"]
    load_ratio = cached["rps"] / static["rps"] if static["rps"] else 0.0
    results.append(load_ratio >= MIN_LOAD_RATIO and errors == 0 and static["rps"] > 0)
    progress("done")

    print()
    print(f"1. SQL queries to build the feed ({SMALL_SHOW} vs {args.episodes} episodes)")
    print(f"   {SMALL_SHOW:>5} episodes: {len(small_sql)} queries")
    print(f"   {args.episodes:>5} episodes: {len(large_sql)} queries")
    print(f"   ratio {len(large_sql) / len(small_sql):.2f}x (target: equal)  {verdict(results[0])}")
    if not results[0]:
        extra = Counter(map(query_shape, large_sql)) - Counter(map(query_shape, small_sql))
        for shape, n in extra.most_common(5):
            print(f"   +{n}: {shape[:200]}")

    print(f"2. Uncached build of {args.episodes} episodes (best of {args.repeat})")
    for name, best, median in (
        ("feedgen alone, plain values:", base_best, base_median),
        ("episodes.feeds.build_feed:", ours_best, ours_median),
    ):
        print(f"   {name:29} best {best * 1000:8.1f} ms, median {median * 1000:8.1f} ms")
    print(
        f"   sizes: ours {len(ours_content):,} bytes, floor {len(floor_content):,} bytes; "
        f"item tags {'the same' if ours_tags == floor_tags else 'DIFFER: ' + str(ours_tags ^ floor_tags)}"
    )
    print(f"   ratio {build_ratio:.2f}x (target: <= {MAX_BUILD_RATIO:g}x)  {verdict(results[1])}")

    print(
        f"3. Under load: gunicorn, {WORKERS} sync workers, wrk {args.connections} connections, "
        f"{args.duration:g}s each, body {len(feed.content):,} bytes"
    )
    for name, r in (("static body (WSGI, memory)", static), ("cached feed /feeds/<pk>.xml", cached)):
        rounds = ", ".join(f"{rps:.1f}" for rps in r["round_rps"])
        print(f"   {name:28} {r['rps']:9.1f} req/s  (rounds: {rounds}; {r['requests']} requests)")
        connect, read, write, timeout = r["socket"]
        print(
            f"   {'':28} p50 {r['p50']}, p99 {r['p99']}; socket errors: connect {connect}, read {read}, "
            f"write {write}, timeout {timeout}; non-2xx/3xx {r['non_2xx']}"
        )
    print(
        f"   ratio {load_ratio:.2f}x (target: >= {MIN_LOAD_RATIO:g}x), errors {errors} (target: 0)  "
        f"{verdict(results[2])}"
    )
    if cache_note:
        print(f"   cache: {cache['BACKEND']} ({cache_note})")
    else:
        print(f"   cache: {cache['BACKEND']} {cache.get('LOCATION', '')}")

    print(machine(load_at_start))
    return tally(results)


if __name__ == "__main__":
    sys.exit(main())
