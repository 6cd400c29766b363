"""Episode pages: queries that do not grow with the transcript, throughput with and without the page cache
against a static file, and what a visitor downloads.

One run, on a throwaway SQLite database with the production settings (DEBUG off, WhiteNoise), builds a show
with two episodes that differ only in their transcript: a 60-minute one (--segments, default 600 lines
with word timings) and a 1-minute one (10 lines); each has 12 chapters, 3 soundbites, 3 people, show notes
and mentions of 6 concepts (found by the concepts app's own linking). Then:

1. SQL queries to render each episode page (warm, uncached): target equal.
2. Under load: the production server command (gunicorn, 2 sync workers, ``website.wsgi``) with wrk
   (--connections, default 50) on the 60-minute page with the page cache off (PAGE_CACHE_SECONDS=0) and on
   (PAGE_CACHE_SECONDS=300, Redis), against a static file of the page's size (the page's HTML) that
   WhiteNoise serves from the same server. Requests per second, latency p50 and p99, in alternating
   rounds. Targets: the cached page at least 0.5x the static file's requests per second, and no errors;
   the uncached figure is reported.
3. Transfer: the page's HTML and the CSS and JS it links, raw and gzipped (level 6, what a proxy would
   send; WhiteNoise serves the static files precompressed).

The cache is ``--cache-url`` (django-environ syntax); by default Redis database 2 on 127.0.0.1:6379 when the
``redis`` package is importable (the run deletes the page cache's and Wagtail's keys there at the end: do
not run two at once), otherwise a file cache shared by the workers. Needs wrk (Debian: ``apt-get install -y
wrk``); only uses 127.0.0.1. Exits 1 when a target fails. Not part of the test suite:

    .venv/bin/python bench/pages.py [--seconds 10] [--connections 50] [--segments 600]
"""

import argparse
import gzip
import os
import random
import secrets
import shutil
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loadkit import (  # noqa: E402 (after the path)
    REDIS_PORT,
    SEGMENT_MS,
    clear_workdir,
    configure_environment,
    drain,
    fetch,
    forget_redis_keys,
    free_port,
    machine,
    progress,
    query_shape,
    run_wrk,
    segment_rows,
    sqlite_workdir,
    start_gunicorn,
    stop_on_sigterm,
    stop_servers,
    tally,
    verdict,
    wrk_rounds,
)

WORKERS = 2
SHORT_SEGMENTS = 10
STATIC_NAME = "bench/page-sized.html"
MIN_CACHED_RATIO = 0.5
REDIS_DB = 2
TERMS = ["coproduction", "shared decision making", "health literacy", "teach-back", "safety culture", "goals"]
WORDS = (  # noqa: SIM905 (a sentence is easier to read than a list of strings)
    "we the patient nurse doctor family carer talk listen decide together plan question answer choice risk "
    "benefit time home clinic appointment medicine trust team change hope worry what matters to you and it "
    "is was that so about people really think know"
).split()


def ratio(a: dict, b: dict) -> float:
    return a["rps"] / b["rps"] if b["rps"] else float("nan")


# --- content ---------------------------------------------------------------------------------------------


def create_episode(show, people, n: int, segments: int, rng: random.Random):
    from episodes.factories import EpisodePageFactory
    from episodes.models import AudioFile, Chapter, EpisodePerson, Soundbite
    from transcripts.models import Segment, Transcript

    duration = segments * SEGMENT_MS
    (audio,) = AudioFile.objects.bulk_create(  # rows only: nothing here decodes audio
        [
            AudioFile(
                title=f"Episode {n}",
                file=f"audio/bench-{n}.mp3",
                extension="mp3",
                mime_type="audio/mpeg",
                duration_ms=duration,
                bitrate=64000,
                size=duration * 8,
                sha256=secrets.token_hex(32),
            )
        ]
    )
    episode = EpisodePageFactory(
        parent=show,
        title=f"Episode {n}: deciding together",
        slug=f"episode-{n}",
        summary="Two people talk about deciding together: what each brings, what each needs.",
        show_notes="<p>What changed when a ward started asking <b>what matters to you</b>.</p>"
        "<ul><li>Shared decisions</li><li>Patient leaders</li><li>What changed</li></ul>",
        season=1,
        episode_number=n,
        audio=audio,
    )
    EpisodePerson.objects.bulk_create(
        EpisodePerson(page=episode, person=p, role=role, sort_order=i)
        for i, (p, role) in enumerate(zip(people, ["host", "guest", "guest"], strict=True))
    )
    step = duration // 12
    Chapter.objects.bulk_create(
        Chapter(page=episode, start_ms=i * step, title=f"Part {i + 1}: {rng.choice(TERMS)}", sort_order=i)
        for i in range(12)
    )
    Soundbite.objects.bulk_create(
        Soundbite(
            page=episode, start_ms=i * step * 3, duration_ms=30000, title=f"Moment {i + 1}", sort_order=i
        )
        for i in range(3)
    )
    transcript = Transcript.objects.create(
        audio=audio, status=Transcript.DONE, audio_sha256=audio.sha256, language="en", progress=1
    )
    # Every concept is mentioned in both episodes.
    rows = segment_rows(
        transcript, segments, rng, WORDS, TERMS, lambda i: TERMS[i] if i < len(TERMS) else None
    )
    Segment.objects.bulk_create(rows, batch_size=500)
    return episode, transcript


def create_content(segments: int, seed: int):
    from wagtail.models import Site

    from concepts.factories import ConceptIndexPageFactory, ConceptPageFactory
    from concepts.linking import link_transcript
    from episodes.factories import PersonFactory, ShowPageFactory

    rng = random.Random(seed)  # noqa: S311 (reproducible text, not secrets)
    home = Site.objects.get(is_default_site=True).root_page.specific
    show = ShowPageFactory(parent=home, slug="bench-show")
    concepts = ConceptIndexPageFactory(parent=home)
    for term in TERMS:
        ConceptPageFactory(parent=concepts, title=term.capitalize(), slug=term.replace(" ", "-"))
    people = [PersonFactory(name=f"Person {n}", link=f"https://example.org/people/{n}") for n in range(3)]
    short, short_transcript = create_episode(show, people, 1, SHORT_SEGMENTS, rng)
    long, long_transcript = create_episode(show, people, 2, segments, rng)
    mentions = [link_transcript(t.pk) for t in (short_transcript, long_transcript)]
    return short, long, mentions


# --- 1. queries ----------------------------------------------------------------------------------------


def render(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm Wagtail's site-root cache and the template loaders, as a running site has them
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return [q["sql"] for q in captured.captured_queries], response.content


# --- 3. transfer ---------------------------------------------------------------------------------------


class Assets(HTMLParser):
    """The stylesheets and scripts a page links."""

    def __init__(self):
        super().__init__()
        self.css, self.js = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "").split() and attrs.get("href"):
            self.css.append(attrs["href"])
        elif tag == "script" and attrs.get("src"):
            self.js.append(attrs["src"])


def transfer(port: int, html: bytes) -> list[tuple[str, str, int, int]]:
    parser = Assets()
    parser.feed(html.decode())
    rows = [("HTML", "the page", len(html), len(gzip.compress(html, 6)))]
    for kind, urls in (("CSS", parser.css), ("JS", parser.js)):
        for url in urls:
            status, _headers, body = fetch(port, urlsplit(url).path)
            if status != 200:
                raise RuntimeError(f"{url} answered {status}")
            rows.append((kind, url, len(body), len(gzip.compress(body, 6))))
    return rows


# --- main ----------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="seconds of load per target")
    parser.add_argument("--connections", type=int, default=50, help="concurrent wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--segments", type=int, default=600, help="lines in the long transcript (600: 60 min)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--cache-url",
        default="auto",
        help="CACHE_URL for gunicorn (django-environ syntax); 'auto': Redis on 127.0.0.1:6379/2 when the "
        "redis package is installed, otherwise a file cache in the work folder",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and work folder")
    args = parser.parse_args()
    if not (1 <= args.seconds <= 600 and 1 <= args.connections <= 1000):
        parser.error("--seconds must be 1-600, --connections 1-1000")
    if args.segments <= SHORT_SEGMENTS:
        parser.error(f"--segments must be more than {SHORT_SEGMENTS}")
    if not shutil.which("wrk"):
        print("error: wrk is not installed; on Debian: apt-get install -y wrk", file=sys.stderr)
        return 2

    workdir, db_path = sqlite_workdir("bench-pages-")
    cache_url, note = configure_environment(
        workdir,
        f"sqlite:///{db_path}",
        REDIS_DB,
        cache_url=args.cache_url,
        PAGE_CACHE_SECONDS="0",  # this process counts queries of real renders
    )
    stop_on_sigterm()
    try:
        return run(args, workdir, cache_url, note)
    finally:
        stop_servers()
        if cache_url == f"rediscache://127.0.0.1:{REDIS_PORT}/{REDIS_DB}":
            # The keys this run made: pages and their generation, and Wagtail's site root paths (which
            # describe this throwaway database and would mislead another site using the same Redis database).
            forget_redis_keys(REDIS_DB, "*:pagecache:*", "*:wagtail_site_root_paths")
        clear_workdir(workdir, db_path, args.keep)


def run(args, workdir: Path, cache_url: str, note: str) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    load_at_start = os.getloadavg()[0]
    progress("migrating and collecting static files")
    call_command("migrate", verbosity=0, interactive=False)
    call_command("collectstatic", verbosity=0, interactive=False)

    progress(f"creating a show with a {SHORT_SEGMENTS}-line and a {args.segments}-line episode")
    short, long, mentions = create_content(args.segments, args.seed)

    progress("counting the queries that render each episode page")
    client = Client(HTTP_HOST="127.0.0.1")
    short_sql, _ = render(client, short.url)
    long_sql, _ = render(client, long.url)
    results = [len(short_sql) == len(long_sql)]

    uncached_port, cached_port = free_port(), free_port()
    progress(f"starting gunicorn ({WORKERS} workers) with the page cache off on 127.0.0.1:{uncached_port}")
    start_gunicorn(
        uncached_port, workdir / "gunicorn-uncached.log", workers=WORKERS, env={"PAGE_CACHE_SECONDS": "0"}
    )
    status, headers, html = fetch(uncached_port, long.url)
    if status != 200 or "X-Cache" in headers:
        raise RuntimeError(f"{long.url} answered {status}, X-Cache {headers.get('X-Cache')}")
    # A static file of the page's size: the page itself, which WhiteNoise finds when the server starts.
    static_file = workdir / "static" / STATIC_NAME
    static_file.parent.mkdir(parents=True, exist_ok=True)
    static_file.write_bytes(html)
    progress(f"starting gunicorn ({WORKERS} workers) with the page cache on on 127.0.0.1:{cached_port}")
    start_gunicorn(
        cached_port, workdir / "gunicorn-cached.log", workers=WORKERS, env={"PAGE_CACHE_SECONDS": "300"}
    )
    for want in ("miss", "hit"):
        status, headers, body = fetch(cached_port, long.url)
        if status != 200 or headers.get("X-Cache") != want:
            cookies = headers.get("Set-Cookie", "none")
            raise RuntimeError(
                f"{long.url} answered {status} with X-Cache {headers.get('X-Cache')}, not {want} (a page "
                f"that sets a cookie is never stored; Set-Cookie: {cookies})"
            )
    static_url = f"/static/{STATIC_NAME}"
    status, _headers, body = fetch(cached_port, static_url)
    if status != 200 or body != html:
        raise RuntimeError(f"{static_url}: {status}, {len(body)} bytes (want the page's {len(html)})")
    targets = {
        "static file (WhiteNoise)": f"http://127.0.0.1:{cached_port}{static_url}",
        "page, uncached": f"http://127.0.0.1:{uncached_port}{long.url}",
        "page, cached": f"http://127.0.0.1:{cached_port}{long.url}",
    }
    progress("measuring what a visitor downloads")
    sizes = transfer(cached_port, html)
    progress("warming every target up (1 s of load each, not counted)")
    for url in targets.values():
        run_wrk(url, 1, args.connections, args.threads)
        drain(url)
    measured = wrk_rounds(targets, args.seconds, args.connections, args.threads, drain_after=True)
    static, uncached, cached = measured.values()
    errors = static["errors"] + cached["errors"]
    results.append(static["rps"] > 0 and cached["rps"] / static["rps"] >= MIN_CACHED_RATIO and errors == 0)

    progress("done")

    print()
    print(f"1. SQL queries to render an episode page ({SHORT_SEGMENTS} vs {args.segments} transcript lines)")
    print(f"   {SHORT_SEGMENTS:>5} lines: {len(short_sql)} queries")
    print(f"   {args.segments:>5} lines: {len(long_sql)} queries")
    print(f"   concept mentions linked: {mentions[0]} and {mentions[1]}; page {len(html):,} bytes")
    print(f"   target: equal  {verdict(results[0])}")
    if not results[0]:
        extra = Counter(map(query_shape, long_sql)) - Counter(map(query_shape, short_sql))
        for shape, n in extra.most_common(5):
            print(f"   +{n}: {shape[:200]}")

    print(
        f"2. Under load: gunicorn {WORKERS} sync workers, wrk {args.connections} connections, "
        f"{args.seconds:g}s per target, body {len(html):,} bytes"
    )
    for name, r in measured.items():
        rounds = ", ".join(f"{rps:.0f}" for rps in r["round_rps"])
        print(f"   {name:26} {r['rps']:8.1f} req/s (rounds {rounds}), p50 {r['p50']}, p99 {r['p99']}")
    print(f"   ratio uncached page / static file: {ratio(uncached, static):.3f}x")
    print(f"   ratio cached page / static file:   {ratio(cached, static):.2f}x")
    print(f"   ratio cached / uncached page:      {ratio(cached, uncached):.1f}x")
    print(
        f"   errors (socket, timeouts over 5 s, non-2xx): static {static['errors']}, "
        f"cached {cached['errors']}, uncached {uncached['errors']} (no target: why the page cache exists)"
    )
    print(f"   target: cached >= {MIN_CACHED_RATIO:g}x the static file, no errors  {verdict(results[1])}")
    print(f"   cache: {cache_url.split('?')[0]}" + (f" ({note})" if note else ""))

    print("3. Transfer of the 60-minute episode page (gzip level 6)")
    for kind, url, raw, packed in sizes:
        print(f"   {kind:4} {url[:60]:60} {raw:>9,} bytes raw, {packed:>8,} gzip")
    totals = [sum(row[i] for row in sizes) for i in (2, 3)]
    print(f"   {'all':4} {'':60} {totals[0]:>9,} bytes raw, {totals[1]:>8,} gzip")

    print(machine(load_at_start))
    return tally(results)


if __name__ == "__main__":
    sys.exit(main())
