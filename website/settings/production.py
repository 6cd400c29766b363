"""Production: everything from the environment; a missing security value stops start-up."""

from .base import *  # noqa: F403
from .base import DATABASES, MIDDLEWARE, env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
WAGTAILADMIN_BASE_URL = env.str("WAGTAILADMIN_BASE_URL")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

# WhiteNoise serves the collected static files (CSS, the player script) with far-future cache headers.
MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]

# Persistent connections: a cached feed or audio request then costs a query, not a connection.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# The page cache must be shared by every process: a publish (web) or a finished transcript (worker) purges
# the pages all web processes serve. So it is on by default only with such a cache (e.g. CACHE_URL=redis://).
_process_local = CACHES["default"]["BACKEND"].endswith(("LocMemCache", "DummyCache"))
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=0 if _process_local else 300)

EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="podcast@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
