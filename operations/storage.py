"""Media on S3-compatible object storage (AWS S3, MinIO, Ceph, Cloudflare R2, Scaleway...).

Production turns it on from the environment (``MEDIA_STORAGE=s3`` or ``AWS_STORAGE_BUCKET_NAME``; see
``website/settings/production.py`` and docs/operators.md). The bucket stays private. Audio and documents
are private media: the site checks who may have them (``episodes.views.serve_audio``, Wagtail's document
view) and then redirects to a signed URL that expires after ``AWS_QUERYSTRING_EXPIRE`` seconds.

Images are public, as they are on the file system (``MEDIA_URL/images/``): their URLs end up in feeds and
cached pages that live far longer than any signature, so they are never signed. The bucket (or the CDN in
front of it) must let anyone read the ``images/`` and ``original_images/`` prefixes.
"""

from __future__ import annotations

from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

PUBLIC_PREFIXES = ("images/", "original_images/")


class MediaStorage(S3Storage):
    """S3Storage whose URLs are signed except for public images."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        if not self.querystring_auth or parameters or not clean_name(name).startswith(PUBLIC_PREFIXES):
            return super().url(name, parameters, expire, http_method)
        key = self._normalize_name(clean_name(name))
        if self.custom_domain:
            return f"{self.url_protocol}//{self.custom_domain}/{filepath_to_uri(key)}"
        # An unsigned client's "presigned" URL is the plain object URL, in the addressing style configured.
        return self.unsigned_connection.meta.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket_name, "Key": key}
        )
