"""Reading files: the feed, and everything it points at (audio, images, chapters), each with a size
limit and a timeout."""

from __future__ import annotations

import hashlib
import io
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

import requests
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.text import slugify
from PIL import Image as PILImage
from tqdm import tqdm
from wagtail.images import get_image_model
from wagtail.images.forms import get_image_form
from wagtail.models import Collection

from ..audioinfo import CHUNK_SIZE
from .data import ChapterRef
from .links import is_http_url
from .parse import FeedError
from .text import TITLE_MAX, plain, truncate

FEED_MAX_BYTES = 50 * 1024 * 1024  # the largest real feeds (thousands of episodes) are ~20 MB
CHAPTERS_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0  # seconds to connect, and between two reads of a response
USER_AGENT = "PowerOfCoproduction-import/1.0 (+https://podcastindex.org/namespace/1.0)"
IMAGE_TAG_PREFIX = "feed-image:"
CHAPTER_TYPES = frozenset({"application/json+chapters", "application/json"})


class FetchError(Exception):
    """A file the feed points at could not be fetched; the message says why, in a few words."""


class ImportProblem(Exception):
    """One part of an episode (or the whole episode) cannot be imported; the message says why."""


class Fetcher:
    """Fetches the feed and the files it points at, with a size limit and a timeout on each.

    http(s) goes through ``requests``. Local files are read only when the feed itself is a local file:
    then ``file://`` URLs and relative paths (resolved against the feed's folder) are allowed, so that an
    exported feed can be imported with its audio next to it. A feed fetched from the web can never make
    the importer read a local file.
    """

    def __init__(
        self,
        source: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        progress: IO[str] | None = None,
        show_progress: bool | None = None,
    ) -> None:
        self.source = source
        self.local_folder = None if is_http_url(source) else Path(source).expanduser().resolve().parent
        self.timeout = timeout
        self.progress = progress
        self.show_progress = show_progress
        self._local = threading.local()

    @property
    def session(self) -> requests.Session:
        """A session per thread: enclosures are downloaded a few at a time (IMPORT_DOWNLOAD_CONCURRENCY),
        and a requests Session is not meant to be shared between threads."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.headers["User-Agent"] = USER_AGENT
        return session

    def resolve(self, reference: str) -> str:
        """An absolute http(s) URL, or a local path when the feed is a local file."""
        reference = reference.strip()
        if is_http_url(reference):
            return reference
        if self.local_folder is None:
            url = urljoin(self.source, reference)
            if not is_http_url(url):
                raise FetchError(f"{reference!r} is not an http(s) URL")
            return url
        if reference.lower().startswith("file:"):
            return url2pathname(unquote(urlsplit(reference).path))
        if urlsplit(reference).scheme and len(urlsplit(reference).scheme) > 1:  # not a Windows drive
            raise FetchError(f"{reference!r} is neither an http(s) URL nor a local path")
        return str(self.local_folder / unquote(reference))

    def read(self, reference: str, max_bytes: int, *, label: str = "") -> bytes:
        """The whole content, for small files (feeds, chapters, images)."""
        buffer = io.BytesIO()
        self._copy(reference, buffer, max_bytes, label=label, progress=False)
        return buffer.getvalue()

    def download(
        self, reference: str, destination: Path, max_bytes: int, *, label: str = "", bar: bool = True
    ) -> str:
        """Stream to ``destination`` (never whole into memory) and return the content's SHA-256. ``bar``:
        a progress bar for the file (not for downloads running side by side; the episodes' bar says)."""
        with destination.open("wb") as fh:
            return self._copy(reference, fh, max_bytes, label=label, progress=bar)

    def size(self, reference: str) -> int | None:
        """The size without downloading (HEAD, or the local file's size), or None when unknown."""
        location = self.resolve(reference)
        if not is_http_url(location):
            path = Path(location)
            return path.stat().st_size if path.is_file() else None
        try:
            response = self.session.head(location, allow_redirects=True, timeout=self.timeout)
        except requests.RequestException:
            return None
        length = response.headers.get("Content-Length") if response.ok else None
        return int(length) if length and length.isdigit() else None

    def _copy(self, reference: str, out, max_bytes: int, *, label: str, progress: bool) -> str:
        location = self.resolve(reference)
        digest = hashlib.sha256()
        with self._open(location) as (chunks, declared):
            if declared is not None and declared > max_bytes:
                raise FetchError(_too_large(declared, max_bytes))
            with tqdm(
                total=declared,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=label or Path(urlsplit(location).path).name,
                file=self.progress,
                disable=self._progress_disabled(progress),
                leave=False,
            ) as bar:
                received = 0
                for chunk in chunks:
                    received += len(chunk)
                    if received > max_bytes:
                        raise FetchError(_too_large(received, max_bytes, at_least=True))
                    digest.update(chunk)
                    out.write(chunk)
                    bar.update(len(chunk))
        if not received:
            raise FetchError(f"{location} is empty")
        return digest.hexdigest()

    def _progress_disabled(self, wanted: bool) -> bool | None:
        if not wanted:
            return True
        # None lets tqdm decide: a bar on a terminal, nothing in logs and tests.
        return None if self.show_progress is None else not self.show_progress

    @contextmanager
    def _open(self, location: str) -> Iterator[tuple[Iterator[bytes], int | None]]:
        if not is_http_url(location):
            path = Path(location)
            if not path.is_file():
                raise FetchError(f"there is no file at {path}")
            with path.open("rb") as fh:
                yield iter(lambda: fh.read(CHUNK_SIZE), b""), path.stat().st_size
            return
        try:
            response = self.session.get(location, stream=True, timeout=self.timeout)
        except requests.Timeout:
            raise FetchError(f"{location} did not answer within {self.timeout:g} s") from None
        except requests.ConnectionError as exc:
            raise FetchError(f"could not connect to {urlsplit(location).netloc} ({_reason(exc)})") from None
        except requests.RequestException as exc:
            raise FetchError(f"could not fetch {location} ({_reason(exc)})") from None
        with response:
            if not response.ok:
                raise FetchError(f"{location} answered HTTP {response.status_code} {response.reason}")
            length = response.headers.get("Content-Length", "")
            try:
                yield response.iter_content(CHUNK_SIZE), int(length) if length.isdigit() else None
            except requests.Timeout:
                raise FetchError(f"{location} stopped sending for {self.timeout:g} s") from None
            except requests.RequestException as exc:
                raise FetchError(f"the download of {location} broke off ({_reason(exc)})") from None


def _reason(exc: Exception) -> str:
    """The innermost reason of a requests error ("Connection refused"), not its page-long repr."""
    text = str(exc)
    for pattern in (r"\[Errno -?\d+\] ([^')\]]+)", r"Failed to resolve '[^']+'", r"Max retries exceeded"):
        match = re.search(pattern, text)
        if match:
            return match.group(1) if match.groups() else match.group(0)
    return text[:200] or type(exc).__name__


def _too_large(size: int, limit: int, *, at_least: bool = False) -> str:
    amount = f"more than {filesizeformat(limit)}" if at_least else filesizeformat(size)
    return f"the file is {amount}, larger than the limit of {filesizeformat(limit)}"


def read_source(fetcher: Fetcher) -> bytes:
    """The feed's bytes from its URL or local path; raises FeedError when it cannot be read."""
    try:
        return fetcher.read(fetcher.source, FEED_MAX_BYTES, label="feed")
    except FetchError as exc:
        raise FeedError(f"The feed could not be read: {exc}.") from exc


def fetch_chapters(fetcher: Fetcher, reference: str) -> list[ChapterRef]:
    """Chapters from a Podcasting 2.0 JSON chapters file. Raises FetchError or ImportProblem."""
    location = fetcher.resolve(reference)
    data = fetcher.read(location, CHAPTERS_MAX_BYTES)
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportProblem(f"{location} is not JSON ({exc})") from exc
    items = document.get("chapters") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise ImportProblem(f"{location} is not a JSON chapters file: it has no list of chapters")
    chapters = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or item.get("toc") is False:
            continue  # "toc": false marks silent chapters (images, links) that are not in the list
        start = item.get("startTime")
        if isinstance(start, bool) or not isinstance(start, int | float) or not 0 <= start < 1e9:
            continue  # also NaN and Infinity, which Python's json accepts
        title = plain(str(item.get("title") or "")) or f"Chapter {number}"
        chapters.append(
            ChapterRef(
                start_ms=round(start * 1000),
                title=truncate(title, TITLE_MAX),
                url=str(item.get("url") or ""),
                img=str(item.get("img") or ""),
            )
        )
    return chapters


def image_tag(url: str) -> str:
    """The tag that records where an imported image came from, so that a re-run finds it."""
    return IMAGE_TAG_PREFIX + hashlib.sha256(url.encode()).hexdigest()[:24]


def import_image(fetcher: Fetcher, reference: str, title: str):
    """A Wagtail image for an image URL of the feed: the one imported before, or a new one.

    New images go through the admin's image form, so they are checked as an upload is (format by
    content, size and pixel limits). Raises FetchError or ImportProblem.
    """
    Image = get_image_model()
    location = fetcher.resolve(reference)
    tag = image_tag(location)
    existing = Image.objects.filter(tags__name=tag).first()
    if existing is not None:
        return existing
    data = fetcher.read(location, getattr(settings, "WAGTAILIMAGES_MAX_UPLOAD_SIZE", 10 * 1024 * 1024))
    same = Image.objects.filter(file_hash=hashlib.sha1(data, usedforsecurity=False).hexdigest()).first()
    if same is not None:
        same.tags.add(tag)
        return same
    try:
        with PILImage.open(io.BytesIO(data)) as picture:
            kind = (picture.format or "").lower()
    except Exception as exc:  # Pillow raises many types for data that is not an image
        raise ImportProblem(f"{location} is not an image") from exc
    extension = {"jpeg": "jpg", "mpo": "jpg"}.get(kind, kind)
    name = f"{slugify(title)[:60] or 'image'}.{extension}"
    ImageForm = get_image_form(Image)
    form = ImageForm(
        data={
            "title": truncate(title, TITLE_MAX),
            "tags": tag,
            "collection": Collection.get_first_root_node().pk,
        },
        files={"file": SimpleUploadedFile(name, data)},
    )
    if not form.is_valid():
        messages = " ".join(str(m) for errors in form.errors.values() for m in errors)
        raise ImportProblem(f"{location} was refused as an image: {messages}")
    return form.save()
