import os

import pytest
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings
from wagtail.models import Site

from tests.audio import speech, tone

os.environ.setdefault("HF_HUB_OFFLINE", "1")

TONE_SECONDS = 3


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory):
    """Small real audio files, made once per test run: a 3-second tone in every accepted format,
    a short spoken sentence, and the same tone at 48 kHz stereo."""
    folder = tmp_path_factory.mktemp("audio")
    for ext in ("mp3", "m4a", "aac", "opus", "ogg", "flac", "wav"):
        tone(folder / f"tone.{ext}", TONE_SECONDS)
    tone(folder / "stereo48k.flac", 2, rate=48000, channels=2)
    speech(folder / "speech.mp3", "Shared decision making means deciding together.")
    return folder


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the cache outlives a test's rolled-back transaction, and
    Wagtail keeps the sites' root paths there (a test that changed the site's host name would otherwise
    hand its host to the next test's URLs)."""
    cache.clear()


@pytest.fixture(autouse=True)
def _search_backend_chosen_afresh():
    """Wagtail's database search backend (django-modelsearch) picks its SQLite flavour once per process,
    in the module-level flag ``USE_SQLITE_FTS``: FTS5 if its tables exist, LIKE queries if not. Picked
    before the test database is migrated, it would stay on LIKE queries for the whole run. So each test
    lets it pick again, with the test database in place, as a real site does (a no-op on PostgreSQL)."""
    from modelsearch.backends import database

    database.USE_SQLITE_FTS = None
    yield
    database.USE_SQLITE_FTS = None


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Each test writes uploads to its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def home_page(db):
    """The HomePage that the website migration puts at the root of the default site."""
    return Site.objects.get(is_default_site=True).root_page.specific


# Property-based tests explore new examples on every local run; CI replays a fixed set so that a red run
# is reproducible (and a failure found locally is kept in .hypothesis/ to be replayed first).
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")
