"""The show: the ShowPage that a feed's channel creates or updates, with its categories, hosts and
artwork."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.utils.text import slugify
from wagtail.models import Page, Site

from ..models import ShowCategory, ShowHost, ShowPage
from ..models.pages import language_validator
from ..podcast2 import podcast_guid
from ..publishing import add_page, describe
from .data import FeedChannel
from .fetch import Fetcher, FetchError, ImportProblem, import_image
from .links import is_http_url, valid_url
from .outcomes import CREATED, ShowOutcome
from .pages import apply, save, set_children
from .parse import FeedError
from .people import People
from .text import FUNDING_TEXT_MAX, TITLE_MAX, truncate


def home_page() -> Page:
    """The default site's root: shows are its children."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        raise FeedError(
            "There is no default site to import into; create one in the admin (Settings > Sites)."
        )
    home = site.root_page.specific
    if not ShowPage.can_create_at(home):
        raise FeedError(f"Shows cannot be created under the default site's root page ({home.title!r}).")
    return home


def find_show(channel: FeedChannel, slug: str | None) -> tuple[ShowPage | None, str]:
    """The show to update (or None to create one) and its slug; raises FeedError when it is ambiguous."""
    if not slug:
        slug = slugify(channel.title, allow_unicode=getattr(settings, "WAGTAIL_ALLOW_UNICODE_SLUGS", True))
        if not slug:
            raise FeedError("The feed has no title to name the show by; choose a show with --show SLUG.")
    shows = list(ShowPage.objects.filter(slug=slug))
    if len(shows) > 1:
        raise FeedError(
            f"More than one show has the slug {slug!r}; this importer cannot tell which to update."
        )
    return (shows[0] if shows else None), slug


def show_values(
    channel: FeedChannel, existing: ShowPage | None, source_url: str, slug: str = ""
) -> tuple[dict, list[str]]:
    """ShowPage field values from the channel; what the feed lacks is kept (or defaulted) instead. A feed
    without a title, imported with ``--show SLUG``, is named after the slug until an editor names it."""
    notes: list[str] = []
    keep = existing or ShowPage()
    title = truncate(channel.title, TITLE_MAX) or keep.title or slug.replace("-", " ").capitalize()
    values = {
        "title": title,
        "description": channel.description or keep.description or title,
        "author": truncate(channel.author or channel.owner_name, TITLE_MAX) or keep.author or title,
        "owner_name": truncate(channel.owner_name or channel.author, TITLE_MAX) or keep.owner_name or title,
        "owner_email": keep.owner_email,
        "copyright": truncate(channel.copyright, TITLE_MAX),
        "funding_url": channel.funding_url if valid_url(channel.funding_url) else "",
        "funding_text": truncate(channel.funding_text, FUNDING_TEXT_MAX)
        if valid_url(channel.funding_url)
        else "",
        "language": keep.language,
        "explicit": channel.explicit if channel.explicit is not None else keep.explicit,
        "show_type": channel.show_type
        if channel.show_type in (ShowPage.EPISODIC, ShowPage.SERIAL)
        else keep.show_type,
        "podcast_locked": channel.locked if channel.locked is not None else keep.podcast_locked,
        "podcast_guid": keep.podcast_guid,
    }
    try:
        EmailValidator()(channel.owner_email)
        values["owner_email"] = channel.owner_email
    except ValidationError:
        if channel.owner_email:
            notes.append(f"owner email {channel.owner_email!r} is not an email address; left out")
    try:
        language_validator(channel.language)
        values["language"] = channel.language[:35]
    except ValidationError:
        if channel.language:
            notes.append(f"language {channel.language!r} is not a language code; {values['language']!r} kept")
    guid = _feed_guid(channel, source_url, notes)
    # The feed's guid is the podcast's identity in the indexes, and moves with it. A show of ours that
    # has none yet, or has no episodes (made to receive the import), takes it; one with episodes has
    # published its own feed already, and its guid never changes.
    if guid and (not keep.podcast_guid or existing is None or not existing.get_children().exists()):
        values["podcast_guid"] = guid
    elif guid and guid != keep.podcast_guid:
        notes.append(
            f"the feed's podcast:guid {guid} differs from the show's {keep.podcast_guid}; the show's kept"
        )
    if channel.funding_url and not values["funding_url"]:
        notes.append(f"funding link {channel.funding_url!r} is not an http(s) URL; left out")
    if is_http_url(source_url) and len(source_url) <= 1000 and not keep.old_feed_url:
        values["old_feed_url"] = source_url
    return values, notes


def to_fill_in(channel: FeedChannel, values: dict, existing: ShowPage | None) -> list[str]:
    """What the show lacks because the feed did not say, in words for the editor: a show can get these
    later, so their absence never stops an import (issue 19)."""
    keep = existing or ShowPage()
    missing = []
    if not channel.title and not keep.title:
        missing.append(f"title (none in the feed; {values['title']!r}, from the slug, is used)")
    if not values["owner_email"]:
        missing.append("owner email (none in the feed; Apple requires one)")
    if not (channel.author or channel.owner_name) and not keep.author:
        missing.append(f"author (none in the feed; the show's title {values['title']!r} is used)")
    if not channel.description and not keep.description:
        missing.append("description (none in the feed; the show's title is used)")
    if not channel.language and (existing is None or not existing.language):
        missing.append(f"language (none in the feed; {values['language']!r} assumed)")
    if not channel.categories and (existing is None or not existing.categories.exists()):
        missing.append("category (none from Apple's list in the feed; Apple requires one)")
    if "artwork" not in values and (existing is None or existing.artwork_id is None):
        missing.append("artwork (none could be imported; Apple requires it)")
    return missing


def _feed_guid(channel: FeedChannel, source_url: str, notes: list[str]) -> str:
    """The feed's podcast:guid; else the one the spec derives from the old feed URL, which is the show's
    identity that podcast indexes already hold; else none (then it is derived from our feed URL)."""
    if channel.podcast_guid:
        try:
            return str(uuid.UUID(channel.podcast_guid))
        except ValueError:
            notes.append(f"podcast:guid {channel.podcast_guid!r} is not a UUID; left out")
    old_url = channel.self_url if is_http_url(channel.self_url) else source_url
    return podcast_guid(old_url) if is_http_url(old_url) else ""


def import_show(
    channel: FeedChannel,
    fetcher: Fetcher,
    *,
    slug: str | None = None,
    publish: bool = False,
    user=None,
) -> ShowOutcome:
    """Create or update the ShowPage (fields, categories, hosts, artwork) from the channel."""
    parent = home_page()
    existing, slug = find_show(channel, slug)
    values, notes = show_values(
        channel, existing, fetcher.source if is_http_url(fetcher.source) else "", slug=slug
    )
    notes = channel.notes + notes
    if existing is None:
        if parent.get_children().filter(slug=slug).exists():
            raise FeedError(
                f"A page that is not a show already has the slug {slug!r}; choose another with --show."
            )
        candidate = ShowPage(slug=slug, **values)
        try:
            candidate.clean_fields(exclude=["path", "depth", "url_path", "artwork"])
        except ValidationError as exc:
            # Every field the feed may lack is defaulted above: this is a value the feed has but that
            # cannot be stored (a title longer than any app shows, say).
            raise FeedError(f"The show cannot be created from the feed: {describe(exc)}") from exc

    if channel.image_url:
        try:
            values["artwork"] = import_image(fetcher, channel.image_url, f"Artwork: {values['title']}")
        except (FetchError, ImportProblem) as exc:
            notes.append(f"artwork not imported: {exc}")
    missing = to_fill_in(channel, values, existing)
    people = People(fetcher)
    people.prepare(channel.hosts, notes)
    try:
        outcome = _write_show(
            channel, parent, existing, slug, values, people, notes, publish=publish, user=user
        )
    except ValidationError as exc:
        raise FeedError(f"The show could not be saved: {describe(exc)}") from exc
    outcome.to_fill_in = missing
    outcome.repairs = list(channel.repairs)
    return outcome


def _write_show(
    channel: FeedChannel,
    parent: Page,
    existing: ShowPage | None,
    slug: str,
    values: dict,
    people: People,
    notes: list[str],
    *,
    publish: bool,
    user,
) -> ShowOutcome:
    with transaction.atomic():
        hosts = [ShowHost(person=people.get(ref), sort_order=i) for i, ref in enumerate(channel.hosts)]
        categories = [ShowCategory(category=c, sort_order=i) for i, c in enumerate(channel.categories[:3])]
        if len(channel.categories) > 3:
            notes.append(
                f"only the first 3 categories kept (the admin's limit): {', '.join(channel.categories[:3])}"
            )
        if existing is None:
            show = ShowPage(slug=slug, **values)
            show.categories = categories
            show.hosts = hosts
            add_page(parent, show, user=user, publish=publish)
            return ShowOutcome(show, CREATED, notes)
        show = existing.get_latest_revision_as_object()
        changed = apply(show, values)
        changed |= set_children(show, "categories", categories, ("category",))
        changed |= set_children(show, "hosts", hosts, ("person_id",))
        status = save(existing, show, changed, publish=publish, user=user)
    return ShowOutcome(ShowPage.objects.get(pk=existing.pk), status, notes)
