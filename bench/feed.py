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
import http.client
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loadkit import free_port, progress, query_shape, redis_usable, stop_gunicorn, verdict  # noqa: E402 (after the path)

WORKERS = 2
SMALL_SHOW = 10
STATIC_PATH = "/bench/static-feed.xml"  # answered by bench/feed_wsgi.py
MAX_BUILD_RATIO = 2.0
MIN_LOAD_RATIO = 0.5

_servers: list[subprocess.Popen] = []
_after_stop = []  # clean-ups that must wait until gunicorn has stopped answering


def configure_environment(args, workdir: Path, db_path: Path, port: int) -> str:
    """Set the production settings' environment for this process and gunicorn; return a cache note."""
    note = ""
    cache_url = args.cache_url
    if cache_url == "auto":
        ok, why = redis_usable()
        if ok:
            cache_url = "rediscache://127.0.0.1:6379/1"
        else:
            cache_url = f"filecache://{workdir / 'cache'}"
            note = f"Redis cache not used: {why}; fell back to a file cache shared by the workers"
    for folder in ("media", "static", "cache"):
        (workdir / folder).mkdir()
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "website.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "WAGTAILADMIN_BASE_URL": f"http://127.0.0.1:{port}",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": f"sqlite:///{db_path}",
            "CACHE_URL": cache_url,
            "MEDIA_ROOT": str(workdir / "media"),
            "STATIC_ROOT": str(workdir / "static"),
            "WEBSUB_HUBS": "",  # never tell a real hub about a benchmark feed
            "LOG_LEVEL": "WARNING",  # Wagtail logs every page it creates at INFO
        }
    )
    return note


# --- content ---------------------------------------------------------------------------------------------


def make_tone(path: Path) -> Path:
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=3"]
        + ["-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k", str(path)],
        check=True,
    )
    return path


def create_show(home, slug: str, count: int, audio, people):
    """A published show with ``count`` live episodes, each with audio, notes, a person, a chapter and a
    soundbite. Pages go through ``add_child`` (one transaction); their children are bulk-created."""
    from django.db import transaction

    from episodes.factories import EpisodePageFactory, ShowPageFactory
    from episodes.models import Chapter, EpisodePerson, ShowCategory, ShowHost, ShowPage, Soundbite

    show = ShowPageFactory(
        parent=home,
        title=f"Benchmark show ({count} episodes)",
        slug=slug,
        copyright="© 2026 Coproduction Collective",
        funding_url="https://example.org/support",
        funding_text="Support the show",
    )
    ShowCategory.objects.create(page=show, category="Health & Fitness > Medicine")
    ShowHost.objects.create(page=show, person=people[0])
    first = datetime(2020, 1, 6, 9, 30, tzinfo=UTC)
    notes = (
        "<p>Two people talk about deciding together: what each brings, what each needs, and how they "
        f'agree. More in <a linktype="page" id="{show.pk}">the show</a> and on '
        '<a href="https://example.org/reading">our reading list</a>.</p>'
        "<ul><li>Shared decisions</li><li>Patient leaders</li><li>What changed</li></ul>"
    )
    with transaction.atomic():
        episodes = []
        for n in range(count):
            published = first + timedelta(days=7 * n)
            episodes.append(
                EpisodePageFactory(
                    parent=show,
                    title=f"Episode {n + 1}: deciding together, part {n + 1}",
                    slug=f"{slug}-episode-{n + 1}",
                    summary=f"Episode {n + 1}. Two people talk about deciding together, and what changed.",
                    show_notes=notes,
                    publication_date=published,
                    first_published_at=published,
                    last_published_at=published,
                    season=n // 50 + 1,
                    episode_number=n + 1,
                    audio=audio,
                )
            )
        EpisodePerson.objects.bulk_create(
            EpisodePerson(page=e, person=people[n % len(people)], role="guest", sort_order=0)
            for n, e in enumerate(episodes)
        )
        Chapter.objects.bulk_create(
            Chapter(page=e, start_ms=0, title="Introductions", sort_order=0) for e in episodes
        )
        Soundbite.objects.bulk_create(
            Soundbite(page=e, start_ms=500, duration_ms=2000, title="The key idea", sort_order=0)
            for e in episodes
        )
    # Publishing the show (as an editor would) sets feed_changed_at, the feed's cache key.
    show.save_revision().publish()
    return ShowPage.objects.get(pk=show.pk)


def create_content(args, workdir: Path):
    from wagtail.models import Site

    from episodes.factories import AudioFileFactory, PersonFactory

    home = Site.objects.get(is_default_site=True).root_page.specific
    audio = AudioFileFactory(path=make_tone(workdir / "tone.mp3"), title="Tone")
    people = [PersonFactory(name=f"Person {n}", link=f"https://example.org/people/{n}") for n in range(20)]
    small = create_show(home, "bench-small", SMALL_SHOW, audio, people)
    large = create_show(home, "bench-large", args.episodes, audio, people)
    return small, large


# --- 1. queries ----------------------------------------------------------------------------------------


def count_queries(show):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from lxml import etree

    from episodes.feeds import build_feed

    build_feed(show)  # warm Wagtail's site-root cache, as a running site has it
    with CaptureQueriesContext(connection) as captured:
        content = build_feed(show)
    items = len(etree.fromstring(content).findall("channel/item"))
    return [q["sql"] for q in captured.captured_queries], items


# --- 2. build time -------------------------------------------------------------------------------------


def plain_values(show):
    """Everything the show's feed says, as plain Python values: the baseline's input, made untimed (with
    the ORM, but not through ``episodes.feeds``)."""
    from wagtail.rich_text import expand_db_html

    from episodes.feeds import CHAPTERS_MIME_TYPE, feed_url, site_root
    from episodes.models import EpisodePage
    from episodes.podcast2 import podcast_guid

    root_url = site_root(show)
    url = feed_url(show, root_url)
    episodes = list(
        EpisodePage.objects.child_of(show)
        .live()
        .filter(audio__isnull=False)
        .select_related("audio")
        .prefetch_related("people__person", "chapters", "soundbites")
        .order_by("-publication_date", "-pk")
    )
    channel = {
        "title": show.title,
        "description": show.description,
        "self": url,
        "link": show.get_full_url(),
        "language": show.language,
        "copyright": show.copyright,
        "author": show.author,
        "owner": (show.owner_name, show.owner_email),
        "explicit": "yes" if show.explicit else "no",
        "type": show.show_type,
        "categories": [{"cat": "Health & Fitness", "sub": "Medicine"}],
        "podcast": [
            ("guid", show.podcast_guid or podcast_guid(url), {}),
            ("locked", "yes", {"owner": show.owner_email}),
            ("funding", show.funding_text, {"url": show.funding_url}),
        ]
        + [("person", h.person.name, {"role": "host", "href": h.person.link}) for h in show.hosts.all()],
        "last_build": max(e.last_published_at or e.publication_date for e in episodes),
    }
    items = []
    for episode in episodes:
        audio = episode.audio
        podcast = [
            ("season", str(episode.season), {}),
            ("episode", str(episode.episode_number), {}),
            ("chapters", None, {"url": f"{root_url}/chapters/{episode.pk}.json", "type": CHAPTERS_MIME_TYPE}),
        ]
        podcast += [
            ("person", p.person.name, {"role": p.role, "href": p.person.link}) for p in episode.people.all()
        ]
        for s in episode.soundbites.all():
            timing = {"startTime": str(s.start_ms / 1000), "duration": str(s.duration_ms / 1000)}
            podcast.append(("soundbite", s.title, timing))
        items.append(
            {
                "guid": episode.guid,
                "title": episode.title,
                "link": episode.get_full_url(),
                "description": episode.summary,
                "content": expand_db_html(episode.show_notes),
                "pub_date": episode.publication_date,
                "enclosure": (root_url + audio.url, str(audio.size), audio.content_type),
                "duration": audio.duration_seconds,
                "explicit": "yes" if episode.explicit else "no",
                "episode_type": episode.episode_type,
                "episode": episode.episode_number,
                "season": episode.season,
                "podcast": podcast,
            }
        )
    return channel, items


def floor_extensions():
    """A podcast: extension that only appends the elements it is given: no checks, no cleaning."""
    from feedgen.ext.base import BaseEntryExtension, BaseExtension
    from lxml import etree

    from episodes.podcast2 import PODCAST_NS

    def append(parent, elements):
        for tag, text, attrs in elements:
            element = etree.SubElement(parent, f"{{{PODCAST_NS}}}{tag}", attrs)
            element.text = text

    class Floor(BaseExtension):
        def __init__(self):
            self.elements = []

        def extend_ns(self):
            return {"podcast": PODCAST_NS}

        def extend_rss(self, rss_feed):
            append(rss_feed[0], self.elements)
            return rss_feed

    class FloorEntry(BaseEntryExtension):
        def __init__(self):
            self.elements = []

        def extend_ns(self):
            return {"podcast": PODCAST_NS}

        def extend_rss(self, item):
            append(item, self.elements)
            return item

    return Floor, FloorEntry


def feedgen_floor(channel, items, extensions) -> bytes:
    """feedgen alone (with its own itunes extension) writing the same feed from plain values."""
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("podcast2", *extensions)
    fg.title(channel["title"])
    fg.description(channel["description"])
    fg.link(href=channel["self"], rel="self")
    fg.link(href=channel["link"], rel="alternate")
    fg.language(channel["language"])
    fg.generator("feedgen")
    fg.copyright(channel["copyright"])
    fg.podcast.itunes_author(channel["author"])
    fg.podcast.itunes_owner(name=channel["owner"][0], email=channel["owner"][1])
    fg.podcast.itunes_summary(channel["description"])
    fg.podcast.itunes_explicit(channel["explicit"])
    fg.podcast.itunes_type(channel["type"])
    fg.podcast.itunes_category(channel["categories"])
    fg.podcast2.elements = channel["podcast"]
    for item in items:
        fe = fg.add_entry(order="append")
        fe.guid(item["guid"], permalink=False)
        fe.title(item["title"])
        fe.link(href=item["link"])
        fe.description(item["description"])
        fe.content(item["content"])
        fe.pubDate(item["pub_date"])
        fe.enclosure(*item["enclosure"])
        fe.podcast.itunes_duration(item["duration"])
        fe.podcast.itunes_explicit(item["explicit"])
        fe.podcast.itunes_episode_type(item["episode_type"])
        fe.podcast.itunes_episode(item["episode"])
        fe.podcast.itunes_season(item["season"])
        fe.podcast2.elements = item["podcast"]
    fg.lastBuildDate(channel["last_build"])
    return fg.rss_str(pretty=True)


def item_tags(content: bytes) -> Counter:
    from lxml import etree

    return Counter(child.tag for item in etree.fromstring(content).iter("item") for child in item)


def timed_pair(repeat, first, second):
    """Best and median seconds of each function, run alternately so that drift weighs on both alike."""
    times = ([], [])
    for _ in range(repeat):
        for fn, kept in zip((first, second), times, strict=True):
            start = time.perf_counter()
            fn()
            kept.append(time.perf_counter() - start)
    return [(min(t), statistics.median(t)) for t in times]


# --- 3. load -------------------------------------------------------------------------------------------


def fetch(port: int, path: str) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def start_gunicorn(port: int, static_file: Path, log_path: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn) if gunicorn.exists() else "gunicorn",
        "bench.feed_wsgi:application",
        "--chdir",
        str(ROOT),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--graceful-timeout",
        "5",
    ]
    env = {**os.environ, "BENCH_FEED_STATIC_FILE": str(static_file)}
    log = log_path.open("wb")
    try:
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    finally:
        log.close()


def wait_until_up(server: subprocess.Popen, port: int, log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            fetch(port, STATIC_PATH)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {timeout:.0f}s:\n{log_path.read_text()[-3000:]}")


def run_wrk(url: str, args, duration: float) -> dict:
    command = [
        "wrk",
        f"--threads={min(args.threads, args.connections)}",
        f"--connections={args.connections}",
        f"--duration={max(1, round(duration))}s",
        "--timeout=5s",
        "--latency",
        url,
    ]
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


def load(port: int, paths: dict[str, str], args) -> dict[str, dict]:
    """wrk on each path in turn, in rounds of equal length (so that a neighbour's burst of CPU on a shared
    machine weighs on both targets alike); per path: mean req/s, and errors and latencies of all rounds."""
    rounds = 2 if args.duration >= 4 else 1
    runs = {name: [] for name in paths}
    for n in range(rounds):
        for name, path in paths.items():
            progress(f"load round {n + 1}/{rounds}: {name} for {args.duration / rounds:g}s")
            runs[name].append(run_wrk(f"http://127.0.0.1:{port}{path}", args, args.duration / rounds))
    totals = {}
    for name, results in runs.items():
        socket_errors = [sum(column) for column in zip(*(r["socket"] for r in results), strict=True)]
        totals[name] = {
            "rps": statistics.mean(r["rps"] for r in results),
            "rounds": ", ".join(f"{r['rps']:.1f}" for r in results),
            "requests": sum(r["requests"] for r in results),
            "socket_errors": sum(socket_errors),
            "socket_detail": "connect {}, read {}, write {}, timeout {}".format(*socket_errors),
            "non_2xx": sum(r["non_2xx"] for r in results),
            "p50": "/".join(r["p50"] for r in results),
            "p99": "/".join(r["p99"] for r in results),
        }
    return totals


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

    tmp = Path(tempfile.gettempdir())
    workdir = Path(tempfile.mkdtemp(prefix="bench-feed-", dir=tmp))
    db_path = tmp / f"{workdir.name}.sqlite3"
    port = free_port()
    cache_note = configure_environment(args, workdir, db_path, port)
    # A SIGTERM (e.g. from CI's timeout) unwinds through ``finally`` so gunicorn is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return run(args, workdir, db_path, port, cache_note)
    finally:
        for server in _servers:
            stop_gunicorn(server)
        for clean_up in _after_stop:
            clean_up()
        if args.keep:
            print(f"kept {db_path} and {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db_path}{suffix}").unlink(missing_ok=True)


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

    Site.clear_site_root_paths_cache()
    for show in shows:
        show.refresh_from_db()
        changed_at = show.feed_changed_at or show.last_published_at
        if changed_at:
            cache.delete(f"podcast-feed:{show.pk}:{changed_at.timestamp()}")  # as episodes.feeds.get_feed


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
    log_path = workdir / "gunicorn.log"
    server = start_gunicorn(port, static_file, log_path)
    _servers.append(server)  # stopped by main(), also on error
    wait_until_up(server, port, log_path)
    feed_url_path = feed_path(large)
    for path in (feed_url_path, STATIC_PATH):
        status, headers, body = fetch(port, path)
        if status != 200 or body != feed.content:
            raise RuntimeError(f"{path} answered {status} with {len(body)} bytes, not the feed:\n{headers}")
    progress("warming both targets up (1 s of load each, not counted)")
    for path in (STATIC_PATH, feed_url_path):
        run_wrk(f"http://127.0.0.1:{port}{path}", args, 1)
    measured = load(port, {"static": STATIC_PATH, "feed": feed_url_path}, args)
    static, cached = measured["static"], measured["feed"]
    errors = sum(r["socket_errors"] + r["non_2xx"] for r in (static, cached))
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
        print(f"   {name:28} {r['rps']:9.1f} req/s  (rounds: {r['rounds']}; {r['requests']} requests)")
        print(
            f"   {'':28} p50 {r['p50']}, p99 {r['p99']}; socket errors: {r['socket_detail']}; "
            f"non-2xx/3xx {r['non_2xx']}"
        )
    print(
        f"   ratio {load_ratio:.2f}x (target: >= {MIN_LOAD_RATIO:g}x), errors {errors} (target: 0)  "
        f"{verdict(results[2])}"
    )
    if cache_note:
        print(f"   cache: {cache['BACKEND']} ({cache_note})")
    else:
        print(f"   cache: {cache['BACKEND']} {cache.get('LOCATION', '')}")

    print(
        f"machine: {os.cpu_count()} CPUs, 1-minute load average {load_at_start:.2f} at the start and "
        f"{os.getloadavg()[0]:.2f} at the end (other work on the machine skews the figures)"
    )
    failed = results.count(False)
    print(f"\n{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
