"""Pages still cached after publishing an unrelated episode: target, all but the affected.

One run, on a throwaway SQLite database with the production settings, builds a catalogue of ``--episodes``
episodes (default 1,000) in ``--shows`` shows (default 10), with a home page, then puts every episode page,
every show page and the home page in the page cache (each rendered once, in this process, with
Redis as the cache). Then it publishes a change to one episode, as an editor would, and asks the cache for
every page again: the pages the change affects (the episode's own, its show's, the home page) must be
rendered afresh, every other page must still be served from the cache. It reports the counts, the time the
publish took with its purge, and the URLs the CDN (Wagtail's frontend cache, here a backend that records
them) was asked to purge. Exits 1 when a target fails. Not part of the test suite:

    .venv/bin/python bench/purge.py [--episodes 1000] [--shows 10]
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:1] = [str(ROOT), str(ROOT / "bench")]  # the apps first: bench/search.py is not the app

from loadkit import (  # noqa: E402 (after the path)
    clear_workdir,
    configure_environment,
    forget_redis_keys,
    sqlite_workdir,
)

REDIS_DB = 2

PURGED: list[str] = []


class RecordingBackend:
    """A frontend-cache backend that keeps what it is asked to purge (Wagtail's backend interface)."""

    def __init__(self, params):
        self.hostnames = ["*"]

    def invalidates_hostname(self, hostname) -> bool:
        return True

    def purge_batch(self, urls) -> None:
        PURGED.extend(urls)


def build(episodes: int, shows: int):
    from wagtail.models import Site

    from episodes.factories import EpisodePageFactory, ShowPageFactory

    home = Site.objects.get(is_default_site=True).root_page.specific
    made_shows = [ShowPageFactory(parent=home, title=f"Show {n}", slug=f"show-{n}") for n in range(shows)]
    made = []
    for n in range(episodes):
        show = made_shows[n % shows]
        made.append(EpisodePageFactory(parent=show, title=f"Episode {n}", slug=f"episode-{n}"))
    return home, made_shows, made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--shows", type=int, default=10)
    args = parser.parse_args()

    workdir, db_path = sqlite_workdir("bench-purge-")
    # Redis as production has it (a local-memory cache would evict pages past its 300 entries), under a
    # key prefix of this run's own; a file cache when no Redis answers.
    prefix = f"bench-purge-{os.getpid()}"
    cache_url, note = configure_environment(
        workdir, f"sqlite:///{db_path}", REDIS_DB, key_prefix=prefix, PAGE_CACHE_SECONDS="300"
    )
    if note:
        print(note, file=sys.stderr)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import transaction
        from django.test import Client, override_settings

        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        # Tasks (the CDN purge is one) run at once here: no worker in this benchmark.
        immediate = {
            "default": {
                "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
                "QUEUES": ["default", "transcription", "delivery"],
            }
        }
        cdn = {"cdn": {"BACKEND": "__main__.RecordingBackend"}}
        override_settings(TASKS=immediate, WAGTAILFRONTENDCACHE=cdn).enable()
        started = time.perf_counter()
        home, shows, episodes = build(args.episodes, args.shows)
        print(
            f"built {len(episodes)} episodes in {len(shows)} shows in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
        client = Client(HTTP_HOST="127.0.0.1")
        pages = {"/": "home", **{s.url: "show" for s in shows}, **{e.url: "episode" for e in episodes}}
        for url in pages:
            assert client.get(url)["X-Cache"] == "miss", url
        target = episodes[len(episodes) // 2]
        affected = {target.url, shows[(len(episodes) // 2) % args.shows].url, "/"}

        target.title = "Episode revised"
        PURGED.clear()  # building the catalogue purged too
        cpu, wall = time.process_time(), time.perf_counter()
        with transaction.atomic():
            target.save_revision().publish()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu

        fresh = {url for url in pages if client.get(url)["X-Cache"] != "hit"}
        still = len(pages) - len(fresh)
        load = os.getloadavg()[0]
        print(
            f"Publishing one episode in a catalogue of {len(episodes)} episodes, {len(shows)} shows and a "
            f"home page ({len(pages)} cached pages; load average {load:.2f} on {os.cpu_count()} CPUs)"
        )
        shown = sorted(fresh)[:10]
        print(f"  still cached: {still} of {len(pages)}; rendered afresh: {len(fresh)} {shown}")
        print(f"  affected (must be fresh): {sorted(affected)}")
        print(f"  the publish with its purge: {1000 * wall:.0f} ms wall, {1000 * cpu:.0f} ms CPU")
        print(f"  URLs sent to the CDN: {len(PURGED)}")
        for url in sorted(PURGED):
            print(f"    {url}")
        ok = fresh == affected and still == len(pages) - len(affected)
        print("  target (all but the affected still cached):", "met" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        if cache_url.startswith("rediscache://"):
            forget_redis_keys(REDIS_DB, f"{prefix}:*")
        clear_workdir(workdir, db_path, False)


if __name__ == "__main__":
    sys.exit(main())
