"""The episodes: an EpisodePage for each item of the feed, each imported on its own. What an episode
downloads (audio, images, chapters) is fetched outside any transaction, then its rows are written in one
transaction."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from ..audioinfo import AudioError
from ..models import (
    AudioFile,
    Chapter,
    EpisodePage,
    EpisodePerson,
    EpisodeTranscriptLink,
    ShowPage,
    Soundbite,
)
from ..publishing import add_page, describe, discard_stored_file
from ..uploads import create_audio_file
from .data import ChapterRef, FeedItem
from .fetch import CHAPTER_TYPES, Fetcher, FetchError, ImportProblem, fetch_chapters, import_image
from .links import valid_url
from .outcomes import CREATED, FAILED, SKIPPED, EpisodeOutcome
from .pages import apply, save, set_children
from .people import People
from .text import SUMMARY_MAX, TITLE_MAX, rich_text_from_html, truncate
from .transcripts import TranscriptFile, fetch_transcripts, import_transcript


@dataclass
class Downloads:
    """What an episode needs from the network, fetched before its transaction starts."""

    audio: AudioFile | None = None  # an AudioFile already here (same episode, or same content)
    audio_path: Path | None = None  # else the downloaded file, to be checked and stored
    artwork: object | None = None
    chapters: list[ChapterRef] | None = None  # None: keep the episode's chapters as they are
    chapter_images: dict[str, object] = field(default_factory=dict)
    transcripts: list[TranscriptFile] | None = None  # None: no transcript to import


def import_item(
    item: FeedItem,
    show: ShowPage,
    fetcher: Fetcher,
    people: People,
    *,
    publish: bool = False,
    user=None,
    site_url: str = "",
    fetched: AudioFetch | None = None,
) -> EpisodeOutcome:
    """Import one episode. Never raises for a problem with the feed's data or files: the outcome says
    whether the episode was created, updated, published, left unchanged, skipped or failed, and why.

    ``site_url`` (the feed's <link>) resolves relative links in show notes that have no <link> of their own.
    ``fetched``: the audio, downloaded beforehand (see ``feed.py``: a few downloads run side by side).
    """
    outcome = EpisodeOutcome(guid=item.guid, title=item.title, notes=list(item.notes))
    if item.enclosure is None:  # first: no query for the many audio-less items of a large catalogue
        outcome.status, outcome.reason = SKIPPED, "no enclosure: there is no audio to import"
        return outcome
    try:
        existing = existing_episode(item, show)
    except ImportProblem as exc:
        outcome.status, outcome.reason = FAILED, str(exc)
        return outcome
    with tempfile.TemporaryDirectory(prefix="import-feed-") as folder:
        try:
            downloads = _download(item, existing, fetcher, Path(folder), outcome.notes, fetched)
        except FetchError as exc:
            outcome.status, outcome.reason = FAILED, f"audio not downloaded: {exc}; episode skipped"
            return outcome
        people.prepare(item.people, outcome.notes)
        audio = None
        try:
            with transaction.atomic():
                audio = downloads.audio or create_audio_file(
                    downloads.audio_path, title=truncate(item.title, TITLE_MAX), user=user
                )
                import_transcript(
                    audio, downloads.transcripts, new_audio=downloads.audio is None, notes=outcome.notes
                )
                outcome.status, outcome.page = _write_episode(
                    item,
                    show,
                    existing,
                    audio,
                    downloads,
                    people,
                    publish=publish,
                    user=user,
                    site_url=site_url,
                )
        except AudioError as exc:
            outcome.status, outcome.reason = FAILED, f"audio refused: {exc} Episode skipped."
        except ValidationError as exc:
            outcome.status, outcome.reason = (
                FAILED,
                f"not valid as an episode: {describe(exc)}; episode skipped",
            )
        if outcome.status == FAILED:
            people.forget()
            if downloads.audio is None:
                discard_stored_file(audio)  # its row was rolled back, but storage is not transactional
    return outcome


def existing_episode(item: FeedItem, show: ShowPage) -> EpisodePage | None:
    """The show's episode with the item's guid, or None; raises ImportProblem when it cannot be had."""
    if not item.guid:
        raise ImportProblem("the item has neither a <guid> nor an enclosure, so it cannot be identified")
    limit = EpisodePage._meta.get_field("guid").max_length
    if len(item.guid) > limit:
        raise ImportProblem(
            f"its guid is {len(item.guid)} characters long, more than the {limit} we can store, and it must "
            "be kept exactly; episode skipped"
        )
    existing = EpisodePage.objects.child_of(show).filter(guid=item.guid).first()
    if existing is None:
        elsewhere = EpisodePage.objects.filter(guid=item.guid).first()
        if elsewhere is not None:
            raise ImportProblem(
                f"its guid belongs to the episode {elsewhere.title!r} (page {elsewhere.pk}) of another show, "
                "and guids are unique across the site; episode skipped"
            )
    return existing


def _download(
    item: FeedItem,
    existing: EpisodePage | None,
    fetcher: Fetcher,
    folder: Path,
    notes: list[str],
    fetched: AudioFetch | None = None,
) -> Downloads:
    """Audio (raises FetchError), then artwork and chapters, whose problems become notes."""
    downloads = Downloads()
    downloads.audio, downloads.audio_path = _audio(item, existing, fetcher, folder, fetched)
    if item.image_url:
        try:
            downloads.artwork = import_image(fetcher, item.image_url, f"Artwork: {item.title}")
        except (FetchError, ImportProblem) as exc:
            notes.append(f"artwork not imported: {exc}")
    downloads.chapters = _chapters(item, existing, fetcher, notes)
    downloads.transcripts = fetch_transcripts(item, downloads.audio, fetcher, notes)
    for chapter in downloads.chapters or []:
        if chapter.img and chapter.img not in downloads.chapter_images:
            try:
                downloads.chapter_images[chapter.img] = import_image(
                    fetcher, chapter.img, f"Chapter: {chapter.title}"
                )
            except (FetchError, ImportProblem) as exc:
                notes.append(f"image of chapter {chapter.title!r} not imported: {exc}")
    return downloads


def _chapters(item: FeedItem, existing: EpisodePage | None, fetcher: Fetcher, notes: list[str]):
    """The item's chapters; None when they cannot be had, so that an episode keeps those it has."""
    if not item.chapters_url:
        return item.inline_chapters
    if item.chapters_type and item.chapters_type not in CHAPTER_TYPES:
        notes.append(f"chapters of type {item.chapters_type} are not supported; left out")
        return None
    try:
        return fetch_chapters(fetcher, item.chapters_url)
    except (FetchError, ImportProblem) as exc:
        kept = "its chapters kept as they were" if existing else "imported without chapters"
        notes.append(f"chapters not imported ({kept}): {exc}")
        return None


@dataclass
class AudioFetch:
    """The network part of an episode's audio, which may run in another thread (no database in it)."""

    keep_current: bool = False  # the episode's audio has the announced size: nothing downloaded
    path: Path | None = None
    sha256: str = ""
    error: FetchError | None = None


def fetch_audio(
    item: FeedItem, current_size: int | None, fetcher: Fetcher, folder: Path, *, bar: bool = True
) -> AudioFetch:
    """Download the item's enclosure into ``folder`` unless the episode's audio (``current_size`` bytes)
    already has the size the enclosure announces (enclosures state exact byte lengths; the size of the
    file at the URL is asked when the feed does not say). Never raises: a FetchError is in the result."""
    try:
        location = fetcher.resolve(item.enclosure.url)
        if current_size is not None and (item.enclosure.length or fetcher.size(location)) == current_size:
            return AudioFetch(keep_current=True)
        name = re.sub(r"[^\w.-]", "_", Path(unquote(urlsplit(location).path)).name)[-100:] or "audio"
        path = folder / name
        sha256 = fetcher.download(
            location, path, settings.AUDIO_MAX_UPLOAD_BYTES, label=truncate(item.title, 40), bar=bar
        )
    except FetchError as exc:
        return AudioFetch(error=exc)
    return AudioFetch(path=path, sha256=sha256)


def _audio(
    item: FeedItem, existing: EpisodePage | None, fetcher: Fetcher, folder: Path, fetched: AudioFetch | None
) -> tuple[AudioFile | None, Path | None]:
    """The episode's AudioFile when it is already here, else the path of the downloaded file (raises
    FetchError). A download with the SHA-256 of an AudioFile already here uses that one."""
    current = existing.audio if existing is not None else None
    if fetched is None:
        fetched = fetch_audio(item, current.size if current else None, fetcher, folder)
    if fetched.error is not None:
        raise fetched.error
    if fetched.keep_current:
        return current, None
    same = AudioFile.objects.filter(sha256=fetched.sha256).order_by("pk").first()
    return (same, None) if same is not None else (None, fetched.path)


def episode_values(item: FeedItem, show: ShowPage, *, new: bool, site_url: str) -> dict:
    """EpisodePage field values from the item. Without a pubDate a new episode is dated now (to the
    second, as a pubDate would be) and an existing one keeps its date."""
    title = truncate(item.title, TITLE_MAX) or truncate(item.summary, 60) or "Untitled episode"
    values = {
        "title": title,
        "summary": truncate(item.summary, SUMMARY_MAX) or f"{title}: an episode of {show.title}.",
        "show_notes": rich_text_from_html(item.notes_html, item.link or site_url),
        "season": item.season,
        "episode_number": item.episode_number,
        "episode_type": item.episode_type,
        "explicit": item.explicit if item.explicit is not None else show.explicit,
    }
    if item.publication_date or new:
        values["publication_date"] = item.publication_date or timezone.now().replace(microsecond=0)
    return values


# How child rows are compared: an episode whose rows match these fields, in order, is unchanged.
CHILD_FIELDS = {
    "people": ("person_id", "role"),
    "transcript_links": ("url", "mime_type", "language", "rel"),
    "soundbites": ("start_ms", "duration_ms", "title"),
    "chapters": ("start_ms", "title", "url", "image_id"),
}


def _children_rows(item: FeedItem, downloads: Downloads, people: People) -> dict[str, list]:
    rows = {
        "people": [
            EpisodePerson(person=people.get(p), role=p.role, sort_order=i) for i, p in enumerate(item.people)
        ],
        "transcript_links": [
            EpisodeTranscriptLink(
                url=t.url, mime_type=t.mime_type, language=t.language, rel=t.rel, sort_order=i
            )
            for i, t in enumerate(item.transcripts)
        ],
        "soundbites": [
            Soundbite(start_ms=s.start_ms, duration_ms=s.duration_ms, title=s.title, sort_order=i)
            for i, s in enumerate(item.soundbites)
        ],
    }
    if downloads.chapters is not None:
        rows["chapters"] = [
            Chapter(
                start_ms=c.start_ms,
                title=c.title,
                url=c.url if valid_url(c.url) else "",
                image=downloads.chapter_images.get(c.img),
                sort_order=i,
            )
            for i, c in enumerate(sorted(downloads.chapters, key=lambda c: c.start_ms))
        ]
    return rows


def _write_episode(
    item: FeedItem,
    show: ShowPage,
    existing: EpisodePage | None,
    audio: AudioFile,
    downloads: Downloads,
    people: People,
    *,
    publish: bool,
    user,
    site_url: str,
) -> tuple[str, EpisodePage]:
    values = episode_values(item, show, new=existing is None, site_url=site_url)
    values["audio_id"] = audio.pk
    if downloads.artwork is not None:  # else the episode keeps its artwork (or the show's is used)
        values["artwork_id"] = downloads.artwork.pk
    children = _children_rows(item, downloads, people)
    if existing is None:
        page = EpisodePage(guid=item.guid, slug=_free_slug(show, values["title"]), **values)
        for relation, rows in children.items():
            setattr(page, relation, rows)
        add_page(show, page, user=user, publish=publish)
        return CREATED, page
    # Edited as the admin edits a page: from its latest revision, which may be a draft.
    page = existing.get_latest_revision_as_object()
    changed = apply(page, values)
    for relation, rows in children.items():
        changed |= set_children(page, relation, rows, CHILD_FIELDS[relation])
    return save(existing, page, changed, publish=publish, user=user), page


def _free_slug(show: ShowPage, title: str) -> str:
    """The slug the admin would give ``title``, with -2, -3… when a sibling has it (titles repeat)."""
    allow_unicode = getattr(settings, "WAGTAIL_ALLOW_UNICODE_SLUGS", True)
    base = slugify(title, allow_unicode=allow_unicode)[:240].strip("-") or "episode"
    taken = set(show.get_children().filter(slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug
