"""The shared-nothing cluster, run for real on loopback (issue 17): two gunicorn web processes and three RQ
workers, each in its own empty directory, with one PostgreSQL, one Redis and an S3 bucket between them
(tests/cluster/launcher.py starts them once for this module).

An editor signs in on web A and uploads a short spoken MP3 as a new episode; a free worker transcribes it
and another (or the same) prepares the podcast-ready rendition; web B serves the page with the transcript
and the audio in byte ranges; search finds a spoken word on both webs; a change published through web A
purges web B's cached page and no other; the listener's ranged download through web B counts once.

Everything is asked of the cluster over HTTP as a browser or a podcast app would, except what only the
shared servers can tell: which worker ran a job (RQ's job records in Redis) and where the files are (the
S3 bucket, and each process's own directory).

A failure names the clause and shows the end of every process's log (conftest.py).
"""

import csv
import hashlib
import io
import logging
import os
import re
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import redis
import requests
from lxml import etree, html
from rq.job import Job
from rq.queue import Queue
from rq.registry import FailedJobRegistry, FinishedJobRegistry, StartedJobRegistry

from tests.audio import speech
from tests.episodes.admin_forms import episode_form_data
from tests.reliability.private_postgres import server_binaries
from tests.reliability.private_redis import BINARY as REDIS_SERVER

from .launcher import ADMIN_USERNAME, BUCKET, QUEUES, Cluster

pytestmark = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the cluster runs its own PostgreSQL whatever the suite's database: it runs once per CI, on the "
    "SQLite pass",
)


def servers_or_stop() -> None:
    """Without redis-server (which `make system-deps` installs) the cluster cannot start: skipped on a
    developer's machine, failed on CI (``CI`` set, as `.ci/run` does), where a missing server must not turn
    into a green run that started no cluster (as the browser tests do without Chromium). Without
    PostgreSQL's server programs it is skipped everywhere, as tests/reliability/test_database_restart.py
    is: a CI whose PostgreSQL runs elsewhere (CI_POSTGRES_URL) may have none."""
    if server_binaries() is None:
        pytest.skip("the cluster needs PostgreSQL's initdb and pg_ctl (apt-get install postgresql)")
    if REDIS_SERVER is None:
        message = "the cluster needs redis-server (make system-deps)"
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail(f"{message}. On CI (CI={os.environ['CI']}) the cluster test must run.")
        pytest.skip(message)


SENTENCE = "Patients and staff planted a garden together."
WORD = "garden"  # a word tiny.en hears in espeak-ng's voice (tests/reliability/conftest.py, CLIPS)
TITLE, NEW_TITLE = "Planting together", "Planting together, revised"
SLUG = "planting-together"
# A podcast app as the OPAWG list knows it (not a bot): Apple's media framework.
PODCAST_APP = "AppleCoreMedia/1.0.0.20E247 (iPhone; U; CPU OS 16_4 like Mac OS X; en_us)"
WORKERS = {"worker-1", "worker-2", "worker-3"}
TRANSCRIBE = "transcripts.tasks.transcribe_audio"
PREPARE = "episodes.tasks.prepare_audio_task"


LOOPBACK = ("127.0.0.1", "localhost")
logger = logging.getLogger(__name__)


class Browser(requests.Session):
    """Browsers treat http://127.0.0.1 as a secure context and send it ``Secure`` cookies (production's
    session and CSRF cookies are Secure); ``requests`` sends them over HTTPS only, so this session drops
    the flag of loopback cookies before each request."""

    def prepare_request(self, request):
        for cookie in self.cookies:
            if cookie.domain in LOOPBACK:
                cookie.secure = False
        return super().prepare_request(request)


@pytest.fixture(scope="module")
def cluster():
    # `-o log_cli=true --log-cli-level=INFO` shows its progress; CLUSTER_KEEP=1 keeps its logs and folders.
    servers_or_stop()
    cluster = Cluster(say=logger.info, keep=os.environ.get("CLUSTER_KEEP") == "1")
    cluster.start()  # stops what it started if it fails
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return speech(tmp_path_factory.mktemp("cluster") / "planting.mp3", SENTENCE)


def fail(cluster, message: str):
    pytest.fail(f"{message}\n{cluster.report()}")


def wait_until(cluster, condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        dead = [p.name for p in cluster.processes if not p.alive]
        if dead:
            fail(cluster, f"{', '.join(dead)} stopped while waiting for {what}")
        if time.monotonic() > deadline:
            fail(cluster, f"Timed out after {timeout} s waiting for {what}")
        time.sleep(0.25)


class Editor:
    """An editor's browser, signed in to one web process's admin."""

    def __init__(self, cluster, base: str):
        self.cluster, self.base, self.session = cluster, base, Browser()

    def url(self, path: str) -> str:
        return urljoin(self.base, path)

    def token(self) -> str:
        return self.session.cookies["csrftoken"]

    def sign_in(self) -> None:
        self.session.get(self.url("/admin/login/"), timeout=30).raise_for_status()
        response = self.session.post(
            self.url("/admin/login/"),
            data={
                "username": ADMIN_USERNAME,
                "password": self.cluster.admin_password,
                "csrfmiddlewaretoken": self.token(),
                "next": "/admin/",
            },
            allow_redirects=False,
            timeout=30,
        )
        if response.status_code != 302 or urlsplit(response.headers["Location"]).path != "/admin/":
            fail(
                self.cluster,
                f"Signing in on {self.base} failed: {response.status_code} {response.text[:2000]}",
            )

    def upload_audio(self, path: Path) -> int:
        """The episode form's audio chooser, Upload tab."""
        response = self.session.post(
            self.url("/admin/snippets/choose/episodes/audiofile/create/"),
            data={"title": "", "csrfmiddlewaretoken": self.token()},
            files={"file": (path.name, path.read_bytes(), "audio/mpeg")},
            timeout=120,
        )
        data = response.json()
        if data.get("step") != "chosen":
            fail(self.cluster, f"The upload was refused: {data}")
        return int(data["result"]["id"])

    def save_episode(self, url: str, *, publish: bool, **fields) -> requests.Response:
        response = self.session.post(
            self.url(url),
            data={**episode_form_data(publish=publish, **fields), "csrfmiddlewaretoken": self.token()},
            allow_redirects=False,
            timeout=120,
        )
        if response.status_code != 302:
            errors = re.findall(r'class="error-message"[^>]*>(.*?)<', response.text, re.S)
            fail(self.cluster, f"Saving the episode at {url} failed ({response.status_code}): {errors}")
        return response

    def downloads_csv(self) -> str:
        response = self.session.get(
            self.url("/admin/reports/downloads/"), params={"export": "csv"}, timeout=30
        )
        response.raise_for_status()
        return response.text


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def rq_jobs(cluster) -> dict[str, list[Job]]:
    """The finished and failed jobs of every queue, by function, from RQ's own records in Redis."""
    connection = redis.Redis.from_url(cluster.redis_url)
    jobs: dict[str, list[Job]] = {}
    for name in QUEUES:
        queue = Queue(name, connection=connection)
        for registry in (FinishedJobRegistry(queue=queue), FailedJobRegistry(queue=queue)):
            for job in Job.fetch_many(registry.get_job_ids(), connection=connection):
                if job is not None:
                    jobs.setdefault(job.func_name, []).append(job)
    return jobs


def quiet(cluster) -> bool:
    """Whether no job waits or runs on any queue (the work that follows a change has been done: search
    index updates, concept linking, the purges they make)."""
    connection = redis.Redis.from_url(cluster.redis_url)
    queues = [Queue(name, connection=connection) for name in QUEUES]
    return all(queue.count == 0 and StartedJobRegistry(queue=queue).count == 0 for queue in queues)


@pytest.fixture(scope="module")
def episode(cluster, clip):
    """The editor's part, through web A: sign in, upload the clip in the audio chooser, create the episode
    under the show, publish it; then wait until the workers have transcribed it and prepared its rendition
    (RQ's finished registries), and for the work that follows (search index, concept mentions)."""
    started = time.monotonic()
    web_a = cluster.webs[0]
    editor = Editor(cluster, web_a.url)
    editor.sign_in()
    audio_id = editor.upload_audio(clip)
    show = cluster.seeded["coproduction"]
    fields = {"title": TITLE, "slug": SLUG, "audio": audio_id}
    response = editor.save_episode(
        f"/admin/pages/add/episodes/episodepage/{show['id']}/", publish=False, **fields
    )
    match = re.search(r"/admin/pages/(\d+)/edit/$", response.headers["Location"])
    assert match, f"Saving a draft leads to its edit page, not {response.headers['Location']}"
    page_id = int(match[1])
    editor.save_episode(f"/admin/pages/{page_id}/edit/", publish=True, **fields)

    def processed():
        jobs = rq_jobs(cluster)
        failed = [j for j in jobs.get(TRANSCRIBE, []) + jobs.get(PREPARE, []) if j.is_failed]
        if failed:
            fail(cluster, f"A job failed: {failed[0].func_name}\n{failed[0].latest_result().exc_string}")
        done = [j for name in (TRANSCRIBE, PREPARE) for j in jobs.get(name, []) if j.return_value() == "done"]
        return jobs if {j.func_name for j in done} == {TRANSCRIBE, PREPARE} else None

    jobs = wait_until(cluster, processed, timeout=180, what="the transcript and the rendition")
    wait_until(cluster, lambda: quiet(cluster), timeout=60, what="the jobs that follow a transcript")
    logger.info("Uploaded, published, transcribed and prepared in %.0f s", time.monotonic() - started)
    return {
        "editor": editor,
        "id": page_id,
        "audio_id": audio_id,
        "path": f"{show['path']}{SLUG}/",
        "jobs": jobs,
    }


def test_the_episode_uploaded_through_web_a_is_processed_by_the_workers_and_stored_in_the_bucket(
    cluster, episode, clip
):
    """RQ's records name the worker that ran the transcription and the rendition: one of the three. The
    master and the rendition are objects in the bucket, and no process has either on its disk (bad: a
    MEDIA_ROOT file, a temporary copy left behind, a rendition written next to the web)."""
    for name in (TRANSCRIBE, PREPARE):
        ran_by = {job.worker_name for job in episode["jobs"][name]}
        assert ran_by and ran_by <= WORKERS, f"{name} ran on {ran_by}, not on the cluster's workers"

    s3 = cluster.s3()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    digests = {sha256(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()): key for key in keys}
    master = digests.get(sha256(clip.read_bytes()))
    assert master, f"the master is not in the bucket: {keys}"
    renditions = [key for key in keys if key.startswith("audio/renditions/") and key.endswith(".mp3")]
    assert renditions, f"no MP3 rendition in the bucket beside the master {master}: {keys}"

    on_disk = []
    for directory in (cluster.root / "processes").iterdir():
        files = [
            p for p in directory.rglob("*") if p.is_file() and not p.is_relative_to(directory / "static")
        ]
        on_disk += [
            str(path.relative_to(cluster.root))
            for path in files
            if path.is_relative_to(directory / "media") or sha256(path.read_bytes()) in digests
        ]
    assert not on_disk, f"media on a process's own disk: {on_disk}"


def test_web_b_serves_the_episode_page_with_the_transcript_the_worker_made(cluster, episode):
    """A listener on web B (which did none of the editor's work): the page shows the words the worker
    heard (bad: no transcript, or a page web B cannot render for a file only web A's disk had)."""
    web_b = cluster.webs[1]
    page = Browser().get(web_b.url + episode["path"], timeout=30)
    assert page.status_code == 200, page.text[:2000]
    lines = html.fromstring(page.content).xpath(
        '//*[contains(@class, "transcript-section")]//*[@data-start-ms]'
    )
    text = " ".join(line.text_content() for line in lines).lower()
    assert WORD in text, f"web B's page has no transcript with {WORD!r}: {text!r}"


def feed_enclosure(cluster, base: str) -> str:
    """The enclosure URL of the show's feed on this web process, as a podcast app finds it."""
    show = requests.get(base + cluster.seeded["coproduction"]["path"], timeout=30)
    feed_url = html.fromstring(show.content).xpath(
        '//link[@rel="alternate"][@type="application/rss+xml"]/@href'
    )[0]
    feed = requests.get(urljoin(base, feed_url), timeout=30)
    enclosures = etree.fromstring(feed.content).findall("./channel/item/enclosure")
    assert len(enclosures) == 1, feed.text[:2000]
    url = enclosures[0].get("url")
    # The feed names the site's address (WAGTAILADMIN_BASE_URL, web A); the listener asks web B.
    return urljoin(base, urlsplit(url).path)


@pytest.mark.parametrize("web", [0, 1], ids=["web-a", "web-b"])
def test_search_on_either_web_finds_a_word_of_the_transcript(cluster, episode, web):
    base = cluster.webs[web].url
    response = requests.get(f"{base}/search/", params={"q": WORD, "format": "json"}, timeout=30)
    hits = [hit for group in response.json()["groups"] for hit in group["results"]]
    assert any(episode["path"] in (hit["url"] or "") and WORD in hit["text"].lower() for hit in hits), hits


def test_a_download_through_web_b_in_several_ranges_counts_once(cluster, episode):
    """A podcast app finds the enclosure in web B's feed, asks its size (HEAD), probes two bytes, then
    fetches it in three ranges, and the middle one again through web A: each answer is 206 with those
    bytes of the rendition in the bucket. No audio was fetched before (the report says 0); after the
    scheduler's aggregate job the report says 1, and stays 1 for more rounds (bad: 0, the events lost
    between processes; 2 to 5, a range, the probe or the other web's request counted apart)."""
    editor = episode["editor"]
    assert downloads(editor) == 0, "something downloaded the audio before this test"
    enclosure = feed_enclosure(cluster, cluster.webs[1].url)
    app = requests.Session()
    app.headers["User-Agent"] = PODCAST_APP
    head = app.head(enclosure, allow_redirects=True, timeout=30)
    size = int(head.headers["Content-Length"])
    key = urlsplit(head.url).path.removeprefix(f"/{BUCKET}/")
    stored = cluster.s3().get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert len(stored) == size

    probe = app.get(enclosure, headers={"Range": "bytes=0-1"}, timeout=30)
    assert probe.status_code == 206 and probe.content == stored[:2]
    third = size // 3
    for first, last in ((0, third - 1), (third, 2 * third - 1), (2 * third, size - 1)):
        part = app.get(enclosure, headers={"Range": f"bytes={first}-{last}"}, timeout=30)
        assert part.status_code == 206, part.status_code
        assert part.content == stored[first : last + 1], f"bytes {first}-{last} differ"
    # The app asks for the middle again and the balancer sends it to web A: the same listener, same day.
    again = app.get(
        urljoin(cluster.webs[0].url, urlsplit(enclosure).path),
        headers={"Range": f"bytes={third}-{2 * third - 1}"},
        timeout=30,
    )
    assert again.status_code == 206 and again.content == stored[third : 2 * third]

    wait_until(cluster, lambda: downloads(editor), timeout=60, what="the scheduler to count the download")
    time.sleep(3 * cluster.scheduler_interval)  # more rounds count nothing more
    assert downloads(editor) == 1


def downloads(editor) -> int:
    """The episode's all-time downloads in the admin's report (Reports, Downloads, CSV)."""
    rows = list(csv.DictReader(io.StringIO(editor.downloads_csv())))
    counts = [int(row["All time"] or 0) for row in rows if row["Title"] in (TITLE, NEW_TITLE)]
    return counts[0] if counts else 0


def test_publishing_through_web_a_purges_the_page_on_web_b_and_no_other(cluster, episode):
    """Both webs keep the episode page and an unrelated show's page in the shared page cache. The editor
    changes the title on web A and publishes: web B's next answer is the new title, rendered afresh (bad:
    the old title from B's cache, as a purge local to A would leave it), and the other show's page is
    still a hit (bad: the whole cache emptied)."""
    listener = Browser()
    pages = {
        (web.name, path): web.url + path
        for web in cluster.webs
        for path in (episode["path"], cluster.seeded["elsewhere"]["path"])
    }
    wait_until(cluster, lambda: quiet(cluster), timeout=60, what="the queues to be empty")
    for url in pages.values():
        listener.get(url, timeout=30)
        cached = listener.get(url, timeout=30)
        assert cached.headers["X-Cache"] == "hit", f"{url} is not cached: {cached.headers['X-Cache']}"

    episode["editor"].save_episode(
        f"/admin/pages/{episode['id']}/edit/",
        publish=True,
        title=NEW_TITLE,
        slug=SLUG,
        audio=episode["audio_id"],
    )

    for (web, path), url in pages.items():
        response = listener.get(url, timeout=30)
        if path == episode["path"]:
            assert response.headers["X-Cache"] == "miss", f"{web} still serves the old page from its cache"
            assert NEW_TITLE in response.text, f"{web} shows the old title"
        else:
            assert response.headers["X-Cache"] == "hit", f"{web}: publishing one episode purged {path}"
