"""Search and concept linking over a large catalogue, against hand-written full-text queries.

Builds a catalogue of ``--episodes`` episodes (default 1,000) with ``--segments`` transcript lines each
(default 600, about a 60-minute episode), the text generated here from a fixed vocabulary with a Zipf-like
distribution and our concept terms sprinkled in; indexes it with the search app's own indexing; then, in
one run:

1. Search latency through ``search.query.search`` (what the search page and its JSON run), for transcript
   lines alone (``type=moments``: matching lines, their count, their pages) and for the whole page (every
   kind, counts, promotions), over a fixed set of queries, against a hand-written full-text query over the
   same segments on the same database (PostgreSQL: ``text_vector @@ plainto_tsquery`` on the stored
   tsvector column and its GIN index, ranked with ts_rank, with its count; SQLite: ``MATCH`` on the same
   FTS5 table of the lines, ranked by bm25, with its count).
   Median and 95th percentile of each; target on PostgreSQL: median ratio at most 1.5x, p95 under 150 ms.
2. Linking a new concept across the whole catalogue (``concepts.linking.link_concept``); target under 60 s.

    .venv/bin/python bench/search.py --database postgres://postgres@127.0.0.1:5432/bench_search
    .venv/bin/python bench/search.py --database sqlite:////tmp/bench_search.sqlite3

The database is created (PostgreSQL) or overwritten (SQLite) by the run: never point it at real data.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERIES = [
    "shared decision making",
    "coproduction",
    "patient activation",
    "pharmacist question",
    "family carer",
    "discharge plan",
    "safety culture",
    "teach back",
    "medicine dose",
    "respect",
    "notebook",
    "waiting list",
    "ward round nurse",
    '"daily living"',
    "confidence home",
    "listen",
    "consent risk benefit",
    "appointment time",
    "speak up",
    "rare zebra",
]
TERMS = [
    "coproduction",
    "shared decision making",
    "patient activation",
    "self-management",
    "health literacy",
    "teach-back",
    "safety culture",
    "mutual respect",
    "speak up",
    "daily living",
]
COMMON = [
    "the",
    "a",
    "and",
    "to",
    "of",
    "we",
    "it",
    "is",
    "that",
    "you",
    "in",
    "for",
    "was",
    "they",
    "with",
    "on",
    "this",
    "be",
    "at",
    "so",
    "what",
    "have",
    "but",
    "not",
    "when",
    "about",
    "our",
    "there",
    "can",
    "if",
    "them",
    "one",
    "people",
    "more",
    "all",
    "do",
    "her",
    "his",
    "said",
    "like",
    "just",
    "time",
    "know",
    "think",
    "really",
]
DOMAIN = [
    "patient",
    "nurse",
    "doctor",
    "pharmacist",
    "carer",
    "family",
    "ward",
    "clinic",
    "appointment",
    "discharge",
    "plan",
    "medicine",
    "dose",
    "question",
    "answer",
    "choice",
    "option",
    "risk",
    "benefit",
    "consent",
    "notebook",
    "listen",
    "explain",
    "decide",
    "together",
    "home",
    "confidence",
    "support",
    "waiting",
    "list",
    "round",
    "hospital",
    "surgery",
    "emergency",
    "recovery",
    "goal",
    "matter",
    "trust",
    "team",
    "letter",
    "leaflet",
    "phone",
    "visit",
    "symptom",
    "pain",
    "sleep",
    "walk",
    "meal",
    "daughter",
    "son",
    "mother",
    "father",
    "grandmother",
    "worry",
    "fear",
    "hope",
    "change",
    "habit",
    "routine",
    "record",
    "result",
    "test",
    "scan",
    "referral",
    "follow-up",
    "respect",
    "dignity",
]


def sentence(rng: random.Random) -> str:
    words = []
    for _ in range(rng.randint(8, 18)):
        pool = COMMON if rng.random() < 0.55 else DOMAIN
        # Zipf-like: earlier words of each list much more often.
        words.append(pool[min(int(rng.paretovariate(1.2)) - 1, len(pool) - 1)])
    if rng.random() < 0.04:
        words.insert(rng.randint(0, len(words)), rng.choice(TERMS))
    words[0] = words[0].capitalize()
    return " ".join(words) + "."


def setup_django(database_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "website.settings.test"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import django

    django.setup()


def create_database(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = database_url.rsplit("/", 1)[1]
    server = database_url.rsplit("/", 1)[0] + "/postgres"
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", server, "-q", "-c", sql], check=True)


def build_catalogue(episodes: int, segments: int, seed: int) -> None:
    from django.core.management import call_command
    from django.db import connection
    from tqdm import tqdm
    from wagtail.models import Site

    from concepts.factories import ConceptIndexPageFactory, ConceptPageFactory
    from episodes.factories import ShowPageFactory
    from episodes.models import AudioFile, EpisodePage
    from search.indexing import index_transcript
    from transcripts.models import Segment, Transcript

    call_command("migrate", verbosity=0)
    rng = random.Random(seed)  # noqa: S311 (reproducible text, not secrets)
    home = Site.objects.get(is_default_site=True).root_page
    show = ShowPageFactory(parent=home)
    concepts = ConceptIndexPageFactory(parent=home)
    for term in TERMS[:6]:
        ConceptPageFactory(parent=concepts, title=term.capitalize(), slug=term.replace(" ", "-"))
    audio = AudioFile.objects.bulk_create(
        AudioFile(
            title=f"Episode {n}",
            file=f"audio/bench-{n}.mp3",
            extension="mp3",
            mime_type="audio/mpeg",
            duration_ms=segments * 6000,
            bitrate=64000,
            size=segments * 48000,
            sha256=f"{n:064x}",
        )
        for n in range(episodes)
    )
    for n, item in enumerate(tqdm(audio, desc="episodes", unit="ep")):
        show.add_child(
            instance=EpisodePage(
                title=f"Conversation {n}", slug=f"conversation-{n}", summary="A talk.", audio=item
            )
        )
    transcripts = Transcript.objects.bulk_create(
        Transcript(audio=item, status=Transcript.DONE, audio_sha256=item.sha256, language="en")
        for item in audio
    )
    for transcript in tqdm(transcripts, desc="transcripts", unit="tr"):
        Segment.objects.bulk_create(
            Segment(
                transcript=transcript, index=i, start_ms=i * 6000, end_ms=i * 6000 + 5500, text=sentence(rng)
            )
            for i in range(segments)
        )
        if connection.vendor != "sqlite":
            index_transcript(transcript.pk)  # nothing to write on PostgreSQL (search.postgres)
    if connection.vendor == "sqlite":
        index_in_bulk()


def index_in_bulk(batch: int = 20_000) -> None:
    """Wagtail's SQLite index refreshes its title norms over the whole index table after each write, so
    the catalogue is indexed in large batches rather than transcript by transcript (as the site does, a
    few hundred lines at a time)."""
    from modelsearch.backends import get_search_backend
    from tqdm import tqdm

    from transcripts.models import Segment

    index = get_search_backend().get_index_for_model(Segment)
    segments = Segment.objects.order_by("pk")
    with tqdm(total=segments.count(), desc="indexing", unit="line") as progress:
        chunk = []
        for segment in segments.iterator(chunk_size=batch):
            chunk.append(segment)
            if len(chunk) == batch:
                index.add_items(Segment, chunk)
                progress.update(len(chunk))
                chunk = []
        if chunk:
            index.add_items(Segment, chunk)
            progress.update(len(chunk))


def baseline(connection):
    """The hand-written query: ranked first ten and the count, over the same segments."""
    from search.sqlite import fts5_query

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The best a hand-written query can do on this schema: the stored tsvector column and its GIN
            # index (search/migrations/0002), as ours uses.
            cursor.execute("ANALYZE")  # fresh statistics for every table, as autovacuum keeps them

            def run(query):
                with connection.cursor() as c:
                    c.execute(
                        "SELECT id, start_ms, text FROM transcripts_segment "
                        "WHERE text_vector @@ plainto_tsquery('english', %s) "
                        "ORDER BY ts_rank(text_vector, plainto_tsquery('english', %s)) DESC LIMIT 10",
                        [query, query],
                    )
                    c.fetchall()
                    c.execute(
                        "SELECT count(*) FROM transcripts_segment "
                        "WHERE text_vector @@ plainto_tsquery('english', %s)",
                        [query],
                    )
                    c.fetchone()

        else:
            # The same: our FTS5 table of the lines (search/migrations/0003) and its bm25 ranking.
            cursor.execute("DROP TABLE IF EXISTS bench_segment_fts")  # an earlier version's own copy

            def run(query):
                words = fts5_query(query)
                with connection.cursor() as c:
                    c.execute(
                        "SELECT rowid, text FROM transcripts_segment_fts WHERE transcripts_segment_fts "
                        "MATCH %s ORDER BY bm25(transcripts_segment_fts) LIMIT 10",
                        [words],
                    )
                    c.fetchall()
                    c.execute(
                        "SELECT count(*) FROM transcripts_segment_fts WHERE transcripts_segment_fts MATCH %s",
                        [words],
                    )
                    c.fetchone()

    return run


def timed(fn, queries, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        for query in queries:
            start = time.perf_counter()
            fn(query)
            times.append((time.perf_counter() - start) * 1000)
    return times


def p95(values):
    return statistics.quantiles(values, n=20)[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/bench_search")
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--segments", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep the catalogue of an earlier run")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    if not args.reuse:
        create_database(args.database)
    setup_django(args.database)
    from django.conf import settings
    from django.db import connection

    # As in production with a shared cache (CACHE_URL=redis://...): the page cache is on, and with it the
    # search remembers its scope of public transcripts until something is published. (This process's
    # cache is in its memory; Redis adds a round trip of well under a millisecond.)
    settings.PAGE_CACHE_SECONDS = 300

    from concepts.factories import ConceptPageFactory
    from concepts.linking import link_concept
    from concepts.models import ConceptIndexPage, ConceptPage
    from search.query import search
    from transcripts.models import Segment

    start = time.perf_counter()
    if not args.reuse:
        build_catalogue(args.episodes, args.segments, args.seed)
    built = time.perf_counter() - start
    print(f"{connection.vendor}: {Segment.objects.count():,} segments ({built:.0f} s to build and index)")

    hand_written = baseline(connection)

    def ours(query):  # what /search/?q=...&type=moments runs: matching lines, their count, their pages
        search(query, kind="moments")

    def whole_page(query):  # /search/?q=...: every kind, counts, promotions
        search(query)

    baselines = {"hand-written": hand_written}
    runs = {"ours (moments)": ours, "ours (all kinds)": whole_page, **baselines}
    for fn in runs.values():  # warm caches, plans and the search backend
        timed(fn, QUERIES, 1)
    times = {label: [] for label in runs}
    for _ in range(args.repeat):  # interleaved, so all see the same machine
        for label, fn in runs.items():
            times[label] += timed(fn, QUERIES, 1)

    index = ConceptIndexPage.objects.first()
    for earlier in ConceptPage.objects.filter(title="Ward round"):  # an earlier run's (--reuse)
        earlier.delete()
    concept = ConceptPageFactory(
        parent=index,
        title="Ward round",
        slug=f"ward-round-{int(time.time())}",
        other_names="ward rounds\nround of the ward",
    )
    start = time.perf_counter()
    mentions = link_concept(concept.pk)
    linking = time.perf_counter() - start

    for label, values in times.items():
        print(f"search, {label:17} median {statistics.median(values):7.1f} ms, p95 {p95(values):7.1f} ms")
    for baseline_label in baselines:
        base = statistics.median(times[baseline_label])
        for label in ("ours (moments)", "ours (all kinds)"):
            print(
                f"  median ratio, {label} / {baseline_label}: {statistics.median(times[label]) / base:.2f}x"
            )
    print(f"linking a new concept across the catalogue: {linking:.1f} s ({mentions:,} mentions)")


if __name__ == "__main__":
    main()
