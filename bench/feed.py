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
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loadkit import (  # noqa: E402 (after the path)
    clear_workdir,
    configure_environment,
    fetch,
    free_port,
    machine,
    make_tone,
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
SMALL_SHOW = 10
STATIC_PATH = "/bench/static-feed.xml"  # answered by bench/feed_wsgi.py
MAX_BUILD_RATIO = 2.0
MIN_LOAD_RATIO = 0.5
REDIS_DB = 1

_after_stop = []  # clean-ups that must wait until gunicorn has stopped answering


# --- content ---------------------------------------------------------------------------------------------


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
    audio = AudioFileFactory(path=make_tone(workdir / "tone.mp3", 3), title="Tone")
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
