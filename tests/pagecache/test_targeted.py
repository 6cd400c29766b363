"""Publishing purges what changed, not everything (``pagecache.purging``): after a change of one episode,
every page that shows it is rendered afresh, every other page is still served from the cache, and the CDN
(Wagtail's frontend cache, here a backend that records its URLs) is asked to purge exactly the affected
URLs. On the local-memory cache the tests use, and on a real Redis server when one runs on localhost.

Purges run after the transaction commits: changes run inside ``django_capture_on_commit_callbacks``.
"""

import os
import uuid

import pytest
from django.core.cache import cache
from django.db import transaction
from wagtail.models import Site

from concepts.factories import ConceptIndexPageFactory, ConceptPageFactory
from concepts.models import LearningPathPage, LearningPathStep, Mention
from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from pagecache import purging
from tests.audio import tone
from transcripts.editing import correct_segments
from transcripts.models import Segment, Transcript

from .recording import PURGED

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_available() -> bool:
    try:
        import redis

        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except Exception:
        return False


@pytest.fixture(params=["locmem", "redis"])
def page_cache(request, settings):
    """The page cache on, with a CDN backend that records its purges; on each cache backend. The Redis
    entries get a key prefix of their own (other test runs share the server) and are deleted after."""
    if request.param == "redis":
        if not redis_available():
            pytest.skip(f"no Redis server at {REDIS_URL}")
        prefix = f"test-purge-{uuid.uuid4().hex}"
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": REDIS_URL,
                "KEY_PREFIX": prefix,
            }
        }
    settings.PAGE_CACHE_SECONDS = 300
    settings.WAGTAILFRONTENDCACHE = {"cdn": {"BACKEND": "tests.pagecache.recording.RecordingBackend"}}
    if request.param == "locmem":
        cache.clear()
    PURGED.clear()
    yield request.param
    if request.param == "redis":
        import redis

        server = redis.Redis.from_url(REDIS_URL)
        for key in server.scan_iter(f"{prefix}:*"):
            server.delete(key)
    else:
        cache.clear()


@pytest.fixture(scope="module")
def tone_file(tmp_path_factory):
    return tone(tmp_path_factory.mktemp("audio") / "tone.mp3", 2)


def transcribed_episode(show, title, tone_file, text):
    audio = AudioFileFactory(path=tone_file)
    page = EpisodePageFactory(parent=show, title=title, audio=audio)
    transcript = Transcript.objects.create(
        audio=audio, status=Transcript.DONE, audio_sha256=audio.sha256, language="en"
    )
    Segment.objects.create(transcript=transcript, index=0, start_ms=0, end_ms=1500, text=text)
    return page, transcript


@pytest.fixture
def catalogue(home_page, tone_file):
    """Two shows with an episode each; a concept quoting the first and a learning path through it; a
    concept that quotes nothing."""
    show = ShowPageFactory(parent=home_page, title="Ours")
    other_show = ShowPageFactory(parent=home_page, title="Theirs")
    episode, transcript = transcribed_episode(show, "Deciding together", tone_file, "We share power.")
    other, _ = transcribed_episode(other_show, "Unrelated", tone_file, "Elsewhere entirely.")
    index = ConceptIndexPageFactory(parent=home_page)
    concept = ConceptPageFactory(parent=index, title="Power")
    quiet_concept = ConceptPageFactory(parent=index, title="Silence")
    segment = transcript.segments.get()
    Mention.objects.create(concept=concept, page=episode, segment=segment, start_ms=0, quote=segment.text)
    path = LearningPathPage(title="A seminar", slug="seminar")
    index.add_child(instance=path)
    LearningPathStep.objects.create(page=path, sort_order=0, target=episode, start_ms=0, end_ms=1500)
    return {
        "episode": episode,
        "transcript": transcript,
        "show": show,
        "other": other,
        "other_show": other_show,
        "concept": concept,
        "quiet_concept": quiet_concept,
        "path": path,
    }


def affected_urls(c):
    return {
        "episode page": c["episode"].url,
        "embed": f"/embed/episodes/{c['episode'].pk}/",
        "show page": c["show"].url,
        "show page 2": c["show"].url + "?page=2",
        "home": "/",
        "concept quoting it": c["concept"].url,
        "learning path": c["path"].url,
        "search": "/search/?q=power",
        "transcript html": f"/transcripts/{c['transcript'].pk}.html",
    }


def unrelated_urls(c):
    return {
        "other episode": c["other"].url,
        "other embed": f"/embed/episodes/{c['other'].pk}/",
        "other show": c["other_show"].url,
        "concept quoting nothing": c["quiet_concept"].url,
    }


def warm(client, urls):
    for name, url in urls.items():
        client.get(url)
        response = client.get(url)
        assert response["X-Cache"] == "hit", f"{name} ({url}) is not cached: {response['X-Cache']}"


def test_publishing_an_episode_purges_its_pages_and_keeps_the_others(
    client, page_cache, catalogue, django_capture_on_commit_callbacks
):
    affected, unrelated = affected_urls(catalogue), unrelated_urls(catalogue)
    warm(client, affected | unrelated)
    episode = catalogue["episode"]

    episode.title = "Deciding together, revised"
    with django_capture_on_commit_callbacks(execute=True):
        episode.save_revision().publish()

    for name, url in affected.items():
        assert client.get(url)["X-Cache"] == "miss", f"{name} ({url}) was not purged"
    for name, url in unrelated.items():
        assert client.get(url)["X-Cache"] == "hit", f"{name} ({url}) was purged"
    assert b"Deciding together, revised" in client.get(episode.url).content

    root = Site.objects.get(is_default_site=True).root_url
    purged = set(PURGED)
    show = catalogue["show"]
    for url in [
        episode.full_url,
        show.full_url,
        show.feed_url(),
        root + "/",
        root + "/sitemap.xml",
        root + "/search/",
        root + f"/embed/episodes/{episode.pk}/",
        root + f"/chapters/{episode.pk}.json",
        catalogue["concept"].full_url,
        catalogue["path"].full_url,
        *(
            root + f"/transcripts/{catalogue['transcript'].pk}.{ext}"
            for ext in ("vtt", "srt", "json", "html")
        ),
    ]:
        assert url in purged, f"the CDN was not asked to purge {url}"
    for page in (catalogue["other"], catalogue["other_show"], catalogue["quiet_concept"]):
        assert page.full_url not in purged
    assert catalogue["other_show"].feed_url() not in purged
    # The publish's many signals send its URLs once (the linking and indexing tasks it starts purge the
    # search again when they finish: that is later, in production in a worker).
    assert PURGED.count(episode.full_url) == 1 and PURGED.count(show.feed_url()) == 1


def test_correcting_a_transcript_purges_its_episode_only(
    client, page_cache, catalogue, django_user_model, django_capture_on_commit_callbacks
):
    affected, unrelated = affected_urls(catalogue), unrelated_urls(catalogue)
    warm(client, affected | unrelated)
    assert b"We share power." in client.get(catalogue["episode"].url).content
    segment = catalogue["transcript"].segments.get()
    values = {"start_ms": 0, "end_ms": 1500, "speaker": "", "text": "We share power, now."}
    editor = django_user_model.objects.create_superuser("editor", "editor@example.com", "pw")

    with django_capture_on_commit_callbacks(execute=True):
        correct_segments(segment.transcript, {segment.pk: values}, [], editor)

    for name, url in affected.items():
        assert client.get(url)["X-Cache"] != "hit", f"{name} ({url}) was not purged"
    assert b"We share power, now." in client.get(catalogue["episode"].url).content
    for name, url in unrelated.items():
        assert client.get(url)["X-Cache"] == "hit", f"{name} ({url}) was purged"


def test_a_site_wide_change_purges_every_page(
    client, page_cache, catalogue, django_capture_on_commit_callbacks
):
    """The fallback: the site's name is on every page, which no rule names, so every page is rendered
    again (settings, images, people and view restrictions do the same)."""
    urls = affected_urls(catalogue) | unrelated_urls(catalogue)
    warm(client, urls)
    site = Site.objects.get(is_default_site=True)

    with django_capture_on_commit_callbacks(execute=True):
        site.site_name = "Coproduction"
        site.save()

    for name, url in urls.items():
        assert client.get(url)["X-Cache"] != "hit", f"{name} ({url}) was not purged"


def test_a_change_rolled_back_with_its_savepoint_purges_nothing(
    client, page_cache, catalogue, django_capture_on_commit_callbacks
):
    urls = affected_urls(catalogue)
    warm(client, urls)
    episode = catalogue["episode"]

    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                episode.title = "Never published"
                episode.save_revision().publish()
                raise RuntimeError("the editor's publish failed")
        except RuntimeError:
            pass

    for name, url in urls.items():
        assert client.get(url)["X-Cache"] == "hit", f"{name} ({url}) was purged by a rolled-back change"
    assert PURGED == []


def test_a_page_type_without_rules_purges_everything(home_page, page_cache):
    """A concept page's name is on every page that lists it: no rule names them, so every page goes."""
    index = ConceptIndexPageFactory(parent=home_page)
    concept = ConceptPageFactory(parent=index, title="Trust")
    assert purging.affected_by(concept) is None
    assert purging.affected_by(Site.objects.get(is_default_site=True)) is None
