"""Settings shared by every environment.

Values that differ between machines come from the environment (see README, "Configuration"). Nothing
secret lives here: ``SECRET_KEY`` has no default in production and a throwaway one in dev and test.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A local .env file is convenient for developers; production sets real environment variables. Values the
# environment sets win. DJANGO_ENV_FILE names another file, or none when empty: the test settings set it
# empty before they import this module, so that a developer's .env never changes what the tests test.
_env_file = env.str("DJANGO_ENV_FILE", default=str(BASE_DIR / ".env"))
if _env_file:
    environ.Env.read_env(_env_file, overwrite=False)

DEBUG = False

INSTALLED_APPS = [
    "website",
    "episodes",
    "transcripts",
    "concepts",
    "search",
    "analytics",
    # Infrastructure, below the domain apps (operations before django_tasks_db, whose db_worker it
    # replaces), and the demo content, which loads every app's pages and so sits on top beside website.
    "operations",
    "pagecache",
    "demo",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.search_promotions",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Refuses an oversized body before anything reads it (the CSRF check does); see
    # operations/request_limits.py.
    "operations.request_limits.RequestBodyLimitMiddleware",
    # Production puts WhiteNoise here (static files first). The page cache comes before the session, CSRF
    # and messages middleware so that it sees the cookies and Vary headers they add.
    "pagecache.caching.PageCacheMiddleware",
    # Inside the page cache, so that a cached page keeps the policy it was made with (the embed page's own).
    "csp.middleware.CSPMiddleware",
    "operations.security.UserFileHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "website.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "website" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

WSGI_APPLICATION = "website.wsgi.application"

# SQLite is the embedded default; production points DATABASE_URL at PostgreSQL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=0))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the task worker writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "website" / "static"]

MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Uploads larger than this go to a temporary file instead of memory (Django's default, made explicit
# because audio validation relies on it: the size check happens before anything reads the file).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# The largest audio file an editor may upload, in bytes. Two hours of 128 kbit/s MP3 is about 115 MB.
AUDIO_MAX_UPLOAD_BYTES = env.int("AUDIO_MAX_UPLOAD_BYTES", default=300 * 1024 * 1024)

# No request's body may be larger (operations/request_limits.py): a larger one is refused with 413 from its
# declared length, before it is read. Audio is the largest upload; the default leaves room for its form.
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=AUDIO_MAX_UPLOAD_BYTES + 10 * 1024 * 1024)

# Who sends audio bytes once the audio view has checked that the episode is published:
# "django" (the view streams them, with Range support), "x-accel-redirect" (nginx, from an internal
# location at AUDIO_ACCEL_REDIRECT_PREFIX) or "redirect" (to the storage's URL, e.g. S3 behind a CDN).
AUDIO_DELIVERY = env.str("AUDIO_DELIVERY", default="django")
AUDIO_ACCEL_REDIRECT_PREFIX = env.str("AUDIO_ACCEL_REDIRECT_PREFIX", default="/protected-media/")

# WebSub hubs told when a feed changes (comma-separated URLs), e.g. https://pubsubhubbub.appspot.com/
WEBSUB_HUBS = env.list("WEBSUB_HUBS", default=[])

# Audio delivery (issue 14): listeners get a loudness-normalised MP3 made from the master with ffmpeg.
# Off, the feed's enclosure is the master as it was uploaded.
DELIVERY_ENABLED = env.bool("DELIVERY_ENABLED", default=True)
# Integrated loudness targets (LUFS) of stereo and mono renditions, and the true-peak ceiling (dBTP).
DELIVERY_LOUDNESS_STEREO = env.float("DELIVERY_LOUDNESS_STEREO", default=-16.0)
DELIVERY_LOUDNESS_MONO = env.float("DELIVERY_LOUDNESS_MONO", default=-19.0)
DELIVERY_TRUE_PEAK = env.float("DELIVERY_TRUE_PEAK", default=-1.0)
# Constant MP3 bitrates (kbit/s).
DELIVERY_MP3_BITRATE_STEREO = env.int("DELIVERY_MP3_BITRATE_STEREO", default=128)
DELIVERY_MP3_BITRATE_MONO = env.int("DELIVERY_MP3_BITRATE_MONO", default=64)
# Bitrates (kbit/s) of the formats a show may add (its "Extra formats"): AAC-LC in M4A, and Opus (VBR,
# this is its average) in Ogg. Listed in the feed as podcast:alternateEnclosure.
DELIVERY_AAC_BITRATE_STEREO = env.int("DELIVERY_AAC_BITRATE_STEREO", default=96)
DELIVERY_AAC_BITRATE_MONO = env.int("DELIVERY_AAC_BITRATE_MONO", default=48)
DELIVERY_OPUS_BITRATE_STEREO = env.int("DELIVERY_OPUS_BITRATE_STEREO", default=48)
DELIVERY_OPUS_BITRATE_MONO = env.int("DELIVERY_OPUS_BITRATE_MONO", default=24)
# Days a replaced rendition stays served (apps mid-download) before the scheduler deletes it.
DELIVERY_GRACE_DAYS = env.int("DELIVERY_GRACE_DAYS", default=7)
# A RUNNING rendition whose worker has not beaten for this long is queued again (its worker died).
DELIVERY_LEASE_SECONDS = env.int("DELIVERY_LEASE_SECONDS", default=600)
# At most this many points in the player's waveform (peaks computed while the master is decoded).
DELIVERY_WAVEFORM_POINTS = env.int("DELIVERY_WAVEFORM_POINTS", default=1000)

# Download counting by the IAB rules in the audio view (analytics/, docs/operators.md#download-counting).
ANALYTICS_ENABLED = env.bool("ANALYTICS_ENABLED", default=True)
# Behind a proxy of ours, the header it puts the client's address in (e.g. X-Forwarded-For: its last
# address is used, the one our proxy appended). Empty: REMOTE_ADDR.
ANALYTICS_IP_HEADER = env.str("ANALYTICS_IP_HEADER", default="")
# A third-party measurement prefix put before every enclosure URL of the feed, e.g. https://op3.dev/e/
# (the URL follows without its https://). Empty: off.
ANALYTICS_PREFIX = env.str("ANALYTICS_PREFIX", default="")
# Where the OPAWG user-agent patterns are read from and `manage.py refresh_user_agents` writes them; empty:
# analytics/data/ (point it at a writable copy when the code is read-only).
ANALYTICS_USER_AGENTS_DIR = env.str("ANALYTICS_USER_AGENTS_DIR", default="")
# Seconds before the scheduler tries again a rendition that failed for a transient reason (storage, a full
# disk): after the first failure, then after the second (at most three attempts in all).
DELIVERY_RETRY_DELAYS = env.list("DELIVERY_RETRY_DELAYS", cast=int, default=[60, 600])

# Words the transcription engine should spell as we do, besides show titles, people's names and (later)
# concept terms, e.g. TRANSCRIPTION_VOCABULARY=coproduction,teach-back
TRANSCRIPTION_VOCABULARY = env.list("TRANSCRIPTION_VOCABULARY", default=["coproduction"])

# The segment editor marks the words the engine gave a probability under this (0 to 1) as uncertain.
TRANSCRIPT_UNCERTAIN_BELOW = env.float("TRANSCRIPT_UNCERTAIN_BELOW", default=0.5)

# A RUNNING transcript whose worker has not beaten for this long is queued again (its worker died).
TRANSCRIPTION_LEASE_SECONDS = env.int("TRANSCRIPTION_LEASE_SECONDS", default=600)
# Seconds before each retry of a failed transcription (the third failure is final).
TRANSCRIPTION_RETRY_DELAYS = env.list("TRANSCRIPTION_RETRY_DELAYS", cast=int, default=[60, 600])
# `manage.py scheduler` runs its periodic jobs this often; keep it well under TRANSCRIPTION_LEASE_SECONDS.
# Scheduled episodes go live (and expire) within this many seconds of their time.
SCHEDULER_INTERVAL_SECONDS = env.int("SCHEDULER_INTERVAL_SECONDS", default=60)
# The scheduler's periodic jobs, in the order they run: (dotted path of a function without arguments, the
# least number of seconds between two runs; 0 for every round). Listed here, where the project wires its
# apps together, so that the operations app names no app above it. A job logs what it did itself.
SCHEDULED_JOBS = [
    # Wagtail's scheduled publishing: publish what reached its go-live date, unpublish what expired (first,
    # so that a go-live waits for no other job); then purge the page cache and ping the WebSub hubs for
    # live episodes whose publication date has just come.
    ("episodes.scheduling.publish_scheduled", 0),
    ("episodes.scheduling.announce_releases", 0),
    # Queue again the transcripts whose worker stopped beating (killed, machine lost); give up on those
    # that have used their attempts.
    ("transcripts.transcribing.requeue_stale", 0),
    # Mark FAILED the task results that those dead workers left RUNNING, so that the queue tells the truth.
    ("transcripts.recovery.fail_lost_transcription_tasks", 0),
    # The same for audio delivery renditions (ffmpeg killed with its worker), and delete the renditions
    # retired longer than DELIVERY_GRACE_DAYS ago with their files.
    ("episodes.delivery.preparing.requeue_stale", 0),
    ("episodes.delivery.preparing.delete_expired", 60 * 60),
    # Queue again the renditions that failed for a transient reason, once their retry time has come.
    ("episodes.delivery.retries.retry_failed", 0),
    # Delete finished task results older than TASK_RESULT_RETENTION_DAYS.
    ("operations.management.commands.scheduler.prune_task_results", 60 * 60),
    # Apply the download counting rules to the requests the audio views logged since the last round: the
    # figures are complete up to the last round.
    ("analytics.counting.aggregate", 0),
    # Delete the download counting's listener rows and salts of UTC days that are over (the aggregates stay).
    ("analytics.counting.prune", 60 * 60),
    # Drop search index entries of transcript lines that no longer exist (a full index scan: daily).
    ("search.indexing.prune_stale_entries", 24 * 60 * 60),
]
# The scheduler deletes finished task results older than this.
TASK_RESULT_RETENTION_DAYS = env.int("TASK_RESULT_RETENTION_DAYS", default=14)
# `manage.py healthcheck --worker` fails when a queued job has waited longer than this (operations/health.py).
HEALTH_MAX_WAIT_SECONDS = env.int("HEALTH_MAX_WAIT_SECONDS", default=900)

# Background work goes through Django's tasks API on the database backend. Wagtail's own housekeeping
# (search and reference index updates, image focal points) and WebSub pings use the "default" queue;
# transcription, which takes minutes, has its own "transcription" queue so that it can get its own
# workers (`db_worker --queue-name transcription`); audio delivery (ffmpeg) has the "delivery" queue, so
# that transcription and delivery do not wait on each other. `make run` starts one worker for all queues.
# Tests switch to the immediate backend (settings/test.py).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "transcription", "delivery"],
    },
}

# Whole public pages for anonymous visitors are kept this many seconds in the cache (pagecache/caching.py),
# purged whenever anything they show changes; 0 turns the page cache off (development and tests; production
# turns it on when CACHE_URL names a shared cache). Browsers and CDNs may keep a page PAGE_CACHE_MAX_AGE.
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=0)
PAGE_CACHE_MAX_AGE = env.int("PAGE_CACHE_MAX_AGE", default=60)
# A CDN in front of the site is told which URLs a change affects (pagecache/purging.py) through Wagtail's
# frontend cache backends: WAGTAILFRONTENDCACHE is their setting as JSON, e.g.
# {"cdn": {"BACKEND": "wagtail.contrib.frontend_cache.backends.CloudflareBackend", "BEARER_TOKEN": "...",
# "ZONEID": "..."}}. Unset: nothing is sent (docs/operators.md, "Page cache and CDN").
WAGTAILFRONTENDCACHE = env.json("WAGTAILFRONTENDCACHE", default={})

# Content Security Policy (django-csp) for the site's pages: our scripts and styles are files, never inline,
# so nothing needs 'unsafe-inline' (tests/website/test_security_headers.py holds every template to it).
# The two admins load their own inline code and are left out. User files (audio, transcripts, documents,
# media) get "default-src 'none'" instead (operations/security.py); the embed page sends its own
# frame-ancestors. Extra hosts come from the environment: CSP_MEDIA_HOSTS for images and audio on a CDN
# (production adds the object storage's own host), CSP_FRAME_HOSTS for videos editors embed in rich text.
CSP_MEDIA_HOSTS = env.list("CSP_MEDIA_HOSTS", default=[])
CSP_FRAME_HOSTS = env.list(
    "CSP_FRAME_HOSTS",
    default=["https://www.youtube-nocookie.com", "https://www.youtube.com", "https://player.vimeo.com"],
)
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/", "/django-admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *CSP_MEDIA_HOSTS],
        "media-src": ["'self'", *CSP_MEDIA_HOSTS],
        "frame-src": ["'self'", *CSP_FRAME_HOSTS],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

WAGTAIL_SITE_NAME = env.str("WAGTAIL_SITE_NAME", default="The Power of Coproduction")
WAGTAILADMIN_BASE_URL = env.str("WAGTAILADMIN_BASE_URL", default="http://127.0.0.1:8000")
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "key", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]
# A larger document could not arrive under MAX_REQUEST_BODY_BYTES (1 MiB is left for the form's other
# fields): told so, Wagtail's multiple uploader refuses it in the browser with its size and the limit.
WAGTAILDOCS_MAX_UPLOAD_SIZE = MAX_REQUEST_BODY_BYTES - 1024 * 1024
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAIL_ALLOW_UNICODE_SLUGS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
