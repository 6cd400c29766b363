"""Visitors of the listener site, for locust: what bench/load.py runs (in locust's own process).

Each visitor waits ``LOAD_THINK_SECONDS`` ("MIN,MAX", default 1 to 3) between requests and picks, in
the proportions of a podcast site's traffic: an episode page (sometimes at a moment, ``?t=``: mostly a
chapter or the soundbite), a byte range of an episode's audio (the first 64 KB, as a player starts; or
64 KB from the middle, as a seek asks), the feed (podcast apps poll it), the home page, the show page
(sometimes its second page), a search (sometimes ``format=json``), a concept page or the concept index.
The URLs come from the JSON manifest that bench/load.py writes (``LOAD_MANIFEST``), not from scraping.

Requests are named by endpoint kind, so locust's statistics group per endpoint. A request fails on any
answer but the one expected: 200 (a redirect is not followed and fails too), or 206 with exactly the
asked range for audio; HTML pages must be HTML, the JSON search valid JSON with its results, the feed
RSS, and an episode page must carry its transcript.

Only for locust (it imports gevent, which patches the process): nothing else imports this module.
"""

import json
import os
import random
from urllib.parse import urlencode

from locust import FastHttpUser, between, task

with open(os.environ["LOAD_MANIFEST"]) as fh:
    MANIFEST = json.load(fh)
THINK = [float(s) for s in os.environ.get("LOAD_THINK_SECONDS", "1,3").split(",")]
RANGE_BYTES = 65536
rng = random.Random()  # noqa: S311 (which page a simulated visitor asks for: no secret)


class Listener(FastHttpUser):
    wait_time = between(*THINK)

    def get(self, path: str, name: str, *, expect: int = 200, headers=None, check=None) -> None:
        """GET ``path`` as ``name``; fail unless the status is ``expect`` and ``check(response)`` (if given)
        returns nothing (or returns what is wrong)."""
        with self.client.get(
            path, name=name, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != expect:
                response.failure(f"status {response.status_code}, expected {expect}")
            elif check and (problem := check(response)):
                response.failure(problem)
            else:
                response.success()

    def html(self, path: str, name: str, must_contain: bytes = b"</html>") -> None:
        def check(response):
            if not response.headers.get("Content-Type", "").startswith("text/html"):
                return f"Content-Type {response.headers.get('Content-Type')}"
            if must_contain not in response.content:
                return f"no {must_contain.decode()!r} in the page"
            return None

        self.get(path, name, check=check)

    @task(10)
    def episode(self):
        episode = rng.choice(MANIFEST["episodes"])
        self.html(episode["url"], "episode", b'class="transcript"')

    @task(2)
    def episode_at_moment(self):
        episode = rng.choice(MANIFEST["episodes"])
        # Mostly links people share (a chapter, the soundbite), sometimes any moment.
        if rng.random() < 0.7:
            moment = rng.choice(episode["moments"])
        else:
            moment = rng.randrange(1, int(episode["duration_s"]))
        self.html(f"{episode['url']}?t={moment}", "episode ?t=", b'class="transcript"')

    @task(6)
    def audio_start(self):
        episode = rng.choice(MANIFEST["episodes"])
        self.audio_range(episode, 0, "audio range start")

    @task(3)
    def audio_middle(self):
        episode = rng.choice(MANIFEST["episodes"])
        self.audio_range(episode, episode["size"] // 2, "audio range middle")

    def audio_range(self, episode: dict, start: int, name: str) -> None:
        size = episode["size"]
        end = min(start + RANGE_BYTES, size) - 1
        want = f"bytes {start}-{end}/{size}"

        def check(response):
            if response.headers.get("Content-Range") != want:
                return f"Content-Range {response.headers.get('Content-Range')!r}, expected {want!r}"
            if len(response.content) != end - start + 1:
                return f"{len(response.content)} bytes, expected {end - start + 1}"
            return None

        headers = {"Range": f"bytes={start}-{end}"}
        self.get(episode["audio"], name, expect=206, headers=headers, check=check)

    @task(5)
    def feed(self):
        self.get(
            MANIFEST["feed"], "feed", check=lambda r: None if b"<rss" in r.content else "no <rss> element"
        )

    @task(4)
    def home(self):
        self.html(MANIFEST["home"], "home")

    @task(3)
    def show(self):
        if MANIFEST["show_pages"] > 1 and rng.random() < 0.3:
            page = rng.randint(2, MANIFEST["show_pages"])
            self.html(f"{MANIFEST['show']}?page={page}", "show ?page=")
        else:
            self.html(MANIFEST["show"], "show")

    @task(3)
    def search(self):
        query = {"q": rng.choice(MANIFEST["searches"])}
        if rng.random() < 0.25:

            def check(response):
                try:
                    body = response.json()
                except ValueError as error:
                    return f"not JSON: {error}"
                if not isinstance(body, dict) or body.get("query") != query["q"] or "groups" not in body:
                    return f"not the search's answer: {str(body)[:200]}"
                return None

            self.get(f"/search/?{urlencode({**query, 'format': 'json'})}", "search json", check=check)
        else:
            self.html(f"/search/?{urlencode(query)}", "search")

    @task(2)
    def concept(self):
        self.html(rng.choice(MANIFEST["concepts"]), "concept")

    @task(1)
    def concept_index(self):
        self.html(MANIFEST["concept_index"], "concept index")
