"""Fast, isolated settings for the test suite."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

# Before base is imported: no .env file is read (see base.py), whatever a developer keeps in theirs. The
# processes the tests start (servers, workers) inherit it and ignore .env too.
os.environ["DJANGO_ENV_FILE"] = ""

from .base import *  # noqa: E402, F403
from .base import DATABASES, env  # noqa: E402

SECRET_KEY = "test-only-not-secret"  # noqa: S105 (tests only)
DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = Path(env.str("TEST_MEDIA_ROOT", default=tempfile.mkdtemp(prefix="podcast-test-media-")))
WAGTAILADMIN_BASE_URL = "http://testserver"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: tests/reliability runs real `db_worker` processes, which must open the test
    # database too. A folder of its own per run, so that test runs side by side never share one.
    _test_db_dir = tempfile.mkdtemp(prefix="podcast-test-db-")
    atexit.register(shutil.rmtree, _test_db_dir, ignore_errors=True)
    DATABASES["default"]["TEST"] = {"NAME": str(Path(_test_db_dir) / "test.sqlite3")}

# Tasks run inline so that a test sees their effect; tests of the queue itself override this.
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "transcription", "delivery"],
    }
}

# Wagtail and django-tasks log every page edit and task at INFO; tests only want to see problems.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
PAGE_CACHE_SECONDS = 0  # tests that want the page cache turn it on themselves

# Speakers are looked for only by the tests of speakers (tests/transcripts/test_speakers*.py turn it on), so
# that the other transcription tests keep their speed and their lines.
TRANSCRIPT_SPEAKERS = env.bool("TRANSCRIPT_SPEAKERS", default=False)
