"""Production: everything from the environment; a missing security value stops start-up."""

from urllib.parse import urlsplit

from .base import *  # noqa: F403
from .base import CONTENT_SECURITY_POLICY, DATABASES, MIDDLEWARE, env


def media_origins(s3: dict) -> list[str]:
    """Where the bucket's files are served from, for the Content Security Policy."""
    if s3["custom_domain"]:
        return [f"https://{s3['custom_domain']}"]
    if s3["endpoint_url"]:
        parts = urlsplit(s3["endpoint_url"])
        return [f"{parts.scheme}://{parts.netloc}", f"{parts.scheme}://{s3['bucket_name']}.{parts.netloc}"]
    bucket, region = s3["bucket_name"], s3["region_name"]
    hosts = [f"{bucket}.s3.amazonaws.com"] + ([f"{bucket}.s3.{region}.amazonaws.com"] if region else [])
    return [f"https://{host}" for host in hosts]


DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
WAGTAILADMIN_BASE_URL = env.str("WAGTAILADMIN_BASE_URL")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Load balancers and orchestrators probe over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
# Administrators and moderators sign in with a second factor (accounts/twofactor.py).
TWO_FACTOR_REQUIRED = env.bool("TWO_FACTOR_REQUIRED", default=True)
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

# Media (audio, images, documents) on S3-compatible object storage when a bucket is named, so that several
# web and worker machines share it; otherwise in MEDIA_ROOT on this machine. See operations/storage.py.
MEDIA_STORAGE = env.str(
    "MEDIA_STORAGE", default="s3" if env.str("AWS_STORAGE_BUCKET_NAME", "") else "filesystem"
)
if MEDIA_STORAGE == "s3":
    _s3 = {
        "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),  # e.g. https://minio.example.org
        "region_name": env.str("AWS_S3_REGION_NAME", default=None),
        # Without keys boto3 looks further (instance role, ~/.aws): none need be in the environment.
        "access_key": env.str("AWS_ACCESS_KEY_ID", default=None),
        "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default=None),
        "custom_domain": env.str("AWS_S3_CUSTOM_DOMAIN", default=None),  # a CDN in front of the bucket
        "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default=None),  # "path" for most MinIOs
        "location": env.str("AWS_LOCATION", default=""),
        # Signature version 4: what AWS regions since 2014, R2 and MinIO require (boto3 may pick 2 otherwise).
        "signature_version": env.str("AWS_S3_SIGNATURE_VERSION", default="s3v4"),
        # Audio and documents: after its checks the site redirects to a URL signed afresh for this long.
        "querystring_auth": True,
        "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=3600),
        "file_overwrite": False,  # a new upload never replaces another file's bytes
        "default_acl": None,  # the bucket's policy decides; objects are never made public one by one
    }
    STORAGES["default"] = {
        "BACKEND": "operations.storage.MediaStorage",
        "OPTIONS": {name: value for name, value in _s3.items() if value is not None},
    }
    # The bucket answers Range requests itself: the audio view checks access, then redirects there.
    AUDIO_DELIVERY = env.str("AUDIO_DELIVERY", default="redirect")
    # Pages show images from the bucket, and the player follows the audio redirect to it.
    for _directive in ("img-src", "media-src"):
        CONTENT_SECURITY_POLICY["DIRECTIVES"][_directive] += media_origins(_s3)

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# The page cache must be shared by every process: a publish (web) or a finished transcript (worker) purges
# the pages all web processes serve. So it is on by default only with such a cache (e.g. CACHE_URL=redis://).
_process_local = CACHES["default"]["BACKEND"].endswith(("LocMemCache", "DummyCache"))
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=0 if _process_local else 300)

EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="podcast@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
