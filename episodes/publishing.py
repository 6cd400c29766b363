"""Creating pages from code as the admin does, and episodes from local audio files.

Commands and loaders use these so that a page made outside the admin has the same history (a first
revision, a log entry, a published revision when published) as one made inside it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from wagtail.models import Page

from .models import EpisodePage, ShowPage
from .uploads import create_audio_file


class EpisodeError(ValueError):
    """The episode cannot be created; the message says why."""


def add_page(parent: Page, page: Page, *, user=None, publish: bool = False) -> Page:
    """Add the unsaved ``page`` under ``parent`` as the admin's create view does.

    The page is saved as a draft with a validated first revision; with ``publish`` that revision is
    published. Raises ValidationError before anything is saved if a field is invalid. (Wagtail's
    ``CreatePageAction`` does the same but needs a bound admin form.)
    """
    if user is not None and page.owner_id is None:
        page.owner = user
    # Validate every field first, as the admin's form does: add_child() only checks the title and slug of
    # a page that is not live. The tree fields are set by add_child() itself.
    page.clean_fields(exclude=["path", "depth"])
    page.live = False  # publishing the revision makes it live
    parent.add_child(instance=page)
    revision = page.save_revision(user=user, log_action=True)
    if publish:
        revision.publish(user=user)
        page.refresh_from_db()
    return page


def default_summary(show: ShowPage, title: str) -> str:
    return f"{title}: a new episode of {show.title}."


def episode_slug(show: ShowPage, title: str) -> str:
    """The slug the admin would give ``title``; raises EpisodeError if it is empty or taken."""
    slug = slugify(title, allow_unicode=getattr(settings, "WAGTAIL_ALLOW_UNICODE_SLUGS", True))
    if not slug:
        raise EpisodeError(
            f"The title {title!r} gives an empty web address (slug): use some letters or digits in it."
        )
    if show.get_children().filter(slug=slug).exists():
        raise EpisodeError(f"{show.title} already has a page at the slug {slug!r}; choose a different title.")
    return slug


def create_episode(
    show: ShowPage,
    title: str,
    audio_path: str | Path,
    *,
    summary: str = "",
    season: int | None = None,
    number: int | None = None,
    publish: bool = False,
    go_live_at: datetime | None = None,
    expire_at: datetime | None = None,
    user=None,
) -> EpisodePage:
    """Create an episode of ``show`` from a local audio file, checked as an admin upload is.

    With ``go_live_at`` the episode is scheduled as the admin's *Publish* with a go-live date does (its
    revision approved to go live then; the scheduler publishes it) and its publication date is that
    time, so that podcast apps list it from then. ``expire_at`` unpublishes it later (the scheduler too).

    Everything happens in one transaction, and the stored audio file is deleted if anything fails, so
    a failure leaves nothing behind. Raises :class:`EpisodeError` or
    :class:`episodes.audioinfo.AudioError` with the reason.
    """
    title = title.strip()
    limit = EpisodePage._meta.get_field("title").max_length
    if len(title) > limit:
        raise EpisodeError(f"The title is {len(title)} characters long; the limit is {limit}.")
    slug = episode_slug(show, title)
    audio = None
    try:
        with transaction.atomic():
            audio = create_audio_file(audio_path, title=title, user=user)
            episode = EpisodePage(
                title=title,
                slug=slug,
                summary=summary.strip() or default_summary(show, title),
                season=season,
                episode_number=number,
                audio=audio,
                go_live_at=go_live_at,
                expire_at=expire_at,
            )
            if go_live_at is not None:
                episode.publication_date = go_live_at
            add_page(show, episode, user=user, publish=publish or go_live_at is not None)
    except ValidationError as exc:
        discard_stored_file(audio)
        raise EpisodeError(describe(exc)) from exc
    except BaseException:
        discard_stored_file(audio)
        raise
    return episode


def discard_stored_file(audio) -> None:
    """Delete an AudioFile's stored bytes after its row was rolled back: storage is not transactional."""
    if audio is not None and audio.file.name:
        audio.file.storage.delete(audio.file.name)


def describe(exc: ValidationError) -> str:
    """A ValidationError as one line: "field: message; field: message"."""
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}" if field != "__all__" else " ".join(messages)
            for field, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)
