"""The podcast feed of a show, built with feedgen: RSS 2.0 with Apple's and Podcasting 2.0 tags, and the
episodes' chapters as JSON."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from feedgen.feed import FeedGenerator
from wagtail import hooks
from wagtail.images import get_image_model

from ..alternates import AlternateEnclosureEntryExtension, AlternateEnclosureExtension, sri_sha256
from ..audioinfo import MIME_TYPES
from ..categories import split_category
from ..delivery.formats import SPECS
from ..itunes import AppleEntryExtension, AppleExtension
from ..licences import LICENCES
from ..models import (
    AudioFile,
    AudioRendition,
    Chapter,
    EpisodePage,
    EpisodePerson,
    EpisodeTranscriptLink,
    ShowPage,
    Soundbite,
)
from ..models.renditions import listed_without_rendition, ready_renditions
from ..people_roles import feed_role
from ..podcast2 import Podcast2EntryExtension, Podcast2Extension, podcast_guid
from ..psc import SimpleChaptersEntryExtension, SimpleChaptersExtension
from ..websub import WebSubExtension, hub_urls
from ..xmltext import truncate_utf8, xml_safe
from .prefix import measured
from .richtext import expand_rich_text_many


def no_tags(text: str) -> str:
    """Plain text for <description>, which podcast apps and RSS readers read as HTML: angle brackets go in as
    entities, so a "<script>" an editor typed shows as text and never becomes a tag. Only those two: an
    escaped "&" would show as "&amp;" in readers that take the text as it is (feedparser does).
    itunes:summary is plain text and stays as typed."""
    return text.replace("<", "&lt;").replace(">", "&gt;")


APPLE_DESCRIPTION_BYTES = 4000
CHAPTERS_MIME_TYPE = "application/json+chapters"
FEED_MIME_TYPE = "application/rss+xml; charset=utf-8"
# Wagtail hook: ``fn(page_ids, root_url) -> {page_id: [(url, mime_type, language, rel), ...]}``. The
# transcripts app registers one, so that the feed lists transcript files without this app importing it.
TRANSCRIPT_LINKS_HOOK = "podcast_transcript_links"


def feed_path(show: ShowPage) -> str:
    return reverse("episodes:feed", kwargs={"pk": show.pk})


def site_root(show: ShowPage) -> str:
    site = show.get_site()
    return site.root_url if site else settings.WAGTAILADMIN_BASE_URL.rstrip("/")


def feed_url(show: ShowPage, root_url: str | None = None) -> str:
    return (root_url or site_root(show)) + feed_path(show)


def feed_episodes(show: ShowPage):
    """Released, public episodes of the show with audio, newest first."""
    return (
        EpisodePage.objects.child_of(show)
        .released()
        .public()
        .filter(audio__isnull=False)
        .order_by("-publication_date", "-pk")
    )


EPISODE_FIELDS = (
    "pk",
    "guid",
    "title",
    "slug",
    "summary",
    "show_notes",
    "publication_date",
    "season",
    "episode_number",
    "episode_type",
    "explicit",
    "licence",
    "artwork__file",
    "audio_id",
    "audio__sha256",
    "audio__extension",
    "audio__size",
    "audio__mime_type",
    "audio__duration_ms",
    "audio__bitrate",
)


def _rows_by_page(model, show: ShowPage, *fields, order=("sort_order",)) -> dict[int, list[tuple]]:
    """Child rows of all the show's episodes in one query, grouped by page. Rows of episodes that are not
    in the feed (drafts) come too and are ignored: a plain join is much cheaper than repeating the feed's
    conditions in a subquery."""
    grouped = defaultdict(list)
    rows = (
        model.objects.filter(page__path__startswith=show.path, page__depth=show.depth + 1)
        .order_by("page_id", *order)
        .values_list("page_id", *fields)
    )
    for page_id, *values in rows:
        grouped[page_id].append(values)
    return grouped


# The Podcasting 2.0 extension enforces the namespace's rules strictly (text of at most 128 characters,
# absolute http(s) URLs); editors' input is shaped to fit here, so that no value can stop the feed.
TAG_TEXT_MAX = 128


def _fit(text: str, limit: int = TAG_TEXT_MAX) -> str | None:
    text = xml_safe(text or "").strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text or None


def _http(url: str | None) -> str | None:
    return url if url and url.lower().startswith(("http://", "https://")) else None


class _Media:
    """Absolute URLs of stored images: storage URLs may be paths (local) or full URLs (object storage)."""

    def __init__(self, root_url: str):
        self.root_url = root_url
        self.storage = get_image_model()._meta.get_field("file").storage

    def url(self, name: str | None) -> str | None:
        if not name:
            return None
        url = self.storage.url(name)
        return url if url.startswith(("http://", "https://")) else self.root_url + url


def _person(ext, name: str, role: str, link: str, photo: str | None, media: _Media) -> None:
    name = _fit(name)
    if name is not None:
        taxonomy_role, group = feed_role(role)
        ext.person(name, role=taxonomy_role, group=group, img=_http(media.url(photo)), href=_http(link))


def _item_people(own: list[tuple], hosts: list[tuple]) -> list[tuple]:
    """The people of an item: its own, then the show's hosts it does not list already. Item persons
    replace the channel's in Podcasting 2.0, so an item that names its guest must name the hosts too, or
    apps show the guest alone. An item with no people of its own lists none: the channel's then apply."""
    if not own:
        return []
    listed = {row[0] for row in own}
    return [*own, *(row for row in hosts if row[0] not in listed)]


def _license(ext, identifier: str, show_url: str) -> None:
    licence = LICENCES.get(identifier)
    if licence is not None:
        ext.license(licence.identifier, licence.url or show_url)


def build_feed(show: ShowPage) -> bytes:
    """The show's feed as RSS bytes. Reads plain values rather than page objects: a feed of a thousand
    episodes must cost about what feedgen itself costs (see bench/feed.py)."""
    root_url = site_root(show)
    media = _Media(root_url)
    url = feed_url(show, root_url)
    show_url = show.get_full_url()

    fg = FeedGenerator()
    fg.register_extension("podcast", AppleExtension, AppleEntryExtension)
    fg.register_extension("podcast2", Podcast2Extension, Podcast2EntryExtension)
    fg.register_extension("psc", SimpleChaptersExtension, SimpleChaptersEntryExtension)
    fg.register_extension("alternates", AlternateEnclosureExtension, AlternateEnclosureEntryExtension)
    hubs = hub_urls()
    if hubs:  # registered only when used: feedgen tries (and fails) to add it to every entry
        fg.register_extension("websub", WebSubExtension)

    description = truncate_utf8(xml_safe(show.description), APPLE_DESCRIPTION_BYTES) or xml_safe(show.title)
    fg.title(xml_safe(show.title))
    fg.description(no_tags(description))
    # feedgen writes the last non-self link as RSS <link>, and the self link as atom:link.
    fg.link(href=url, rel="self")
    fg.link(href=show_url, rel="alternate")
    for hub in hubs:
        fg.websub.hub(hub)
    fg.language(show.language)
    fg.generator("The Power of Coproduction platform (feedgen)")
    if show.copyright:
        fg.copyright(xml_safe(show.copyright))
    if show.artwork:
        artwork = media.url(show.artwork.file.name)
        fg.image(url=artwork, title=xml_safe(show.title), link=show_url)
        fg.podcast.itunes_image(artwork)
    fg.podcast.itunes_author(xml_safe(show.author))
    if show.owner_email:  # an imported show may have none yet (its directory checks say so)
        fg.podcast.itunes_owner(name=xml_safe(show.owner_name), email=show.owner_email)
    fg.podcast.itunes_summary(description)
    fg.podcast.itunes_explicit(show.explicit)
    fg.podcast.itunes_type(show.show_type)
    categories = [split_category(c.category) for c in show.categories.all()]
    fg.podcast.itunes_category([{"cat": cat, "sub": sub} if sub else {"cat": cat} for cat, sub in categories])
    if show.itunes_block:
        fg.podcast.itunes_block(True)
    if show.itunes_complete:
        fg.podcast.itunes_complete(True)
    if _http(show.new_feed_url):
        fg.podcast.itunes_new_feed_url(xml_safe(show.new_feed_url))

    fg.podcast2.guid(show.podcast_guid or podcast_guid(url))
    fg.podcast2.locked(show.podcast_locked, owner=show.owner_email or None)
    if _http(show.funding_url):
        fg.podcast2.funding(show.funding_url, _fit(show.funding_text) or "Support the show")
    hosts = [
        (name, "host", link, photo)
        for name, link, photo in show.hosts.values_list("person__name", "person__link", "person__photo__file")
    ]
    for name, role, link, photo in hosts:
        _person(fg.podcast2, name, role, link, photo, media)
    _license(fg.podcast2, show.licence, show_url)
    if show.verification_text.strip():
        fg.podcast2.txt(show.verification_text, _fit(show.verification_purpose))

    episodes = feed_episodes(show)
    rows = list(episodes.values(*EPISODE_FIELDS))
    # The enclosure is the ready MP3 rendition; an episode whose master podcast apps cannot take as it is
    # (WAV, FLAC, Ogg) waits for it. The show's extra formats come in the same query.
    formats = [AudioRendition.MP3, *show.delivery_formats()]
    ready = ready_renditions({row["audio_id"] for row in rows}, formats)
    mp3 = AudioRendition.MP3
    renditions = {audio_id: files[mp3] for audio_id, files in ready.items() if mp3 in files}
    rows = [
        row
        for row in rows
        if row["audio_id"] in renditions or listed_without_rendition(row["audio__extension"])
    ]
    people = _rows_by_page(EpisodePerson, show, "person__name", "role", "person__link", "person__photo__file")
    chapters = _rows_by_page(
        Chapter, show, "start_ms", "title", "url", "image__file", order=("start_ms", "sort_order")
    )
    soundbites = _rows_by_page(Soundbite, show, "start_ms", "duration_ms", "title")
    transcripts = _rows_by_page(EpisodeTranscriptLink, show, "url", "mime_type", "language", "rel")
    hooked = transcript_links_from_hooks([row["pk"] for row in rows], root_url)
    notes = expand_rich_text_many([row["show_notes"] for row in rows], root_url)

    # One reverse() each instead of one per episode (a thousand reverse() calls cost more than feedgen's
    # whole serialisation): "/chapters/0.json" -> "/chapters/" and "/audio/0/0…0.mp3" -> "/audio/".
    chapters_path = reverse("episodes:chapters", kwargs={"pk": 0}).removesuffix("0.json")
    audio_path = AudioFile.path_for(0, "0" * 16, "mp3").removesuffix("0/0000000000000000.mp3")
    for row, notes_html in zip(rows, notes, strict=True):
        fe = fg.add_entry(order="append")
        fe.guid(row["guid"], permalink=False)
        fe.title(xml_safe(row["title"]))
        fe.link(href=f"{show_url}{row['slug']}/")
        summary = truncate_utf8(xml_safe(row["summary"]), APPLE_DESCRIPTION_BYTES)
        fe.description(no_tags(summary or xml_safe(row["title"])))
        if notes_html:
            fe.content(xml_safe(notes_html))
        fe.pubDate(row["publication_date"])
        url, length, mime_type, duration_ms = _enclosure(row, renditions.get(row["audio_id"]))
        fe.enclosure(measured(f"{root_url}{audio_path}{url}"), str(length), mime_type)
        _alternates(fe, row, f"{root_url}{audio_path}", ready.get(row["audio_id"], {}))
        fe.podcast.itunes_duration(round(duration_ms / 1000))
        fe.podcast.itunes_explicit(row["explicit"])
        fe.podcast.itunes_episode_type(row["episode_type"])
        if row["episode_number"]:
            fe.podcast.itunes_episode(row["episode_number"])
            fe.podcast2.episode(row["episode_number"])
        if row["season"]:
            fe.podcast.itunes_season(row["season"])
            fe.podcast2.season(row["season"])
        if row["artwork__file"]:
            fe.podcast.itunes_image(media.url(row["artwork__file"]))
        if row["pk"] in chapters:
            fe.podcast2.chapters(f"{root_url}{chapters_path}{row['pk']}.json", CHAPTERS_MIME_TYPE)
        for start_ms, title, link, image in chapters.get(row["pk"], ()):
            if _fit(title, 255):
                fe.psc.chapter(start_ms, _fit(title, 255), href=_http(link), image=_http(media.url(image)))
        for name, role, link, photo in _item_people(people.get(row["pk"], []), hosts):
            _person(fe.podcast2, name, role, link, photo, media)
        for start_ms, duration_ms, title in soundbites.get(row["pk"], ()):
            if duration_ms:
                seconds = Decimal(start_ms).scaleb(-3), Decimal(duration_ms).scaleb(-3)  # exact
                fe.podcast2.soundbite(*seconds, _fit(title))
        for link_url, mime_type, language, rel in [
            *transcripts.get(row["pk"], ()),
            *hooked.get(row["pk"], ()),
        ]:
            if _http(link_url):
                fe.podcast2.transcript(link_url, mime_type, language=language or None, rel=rel or None)
        if row["licence"] and row["licence"] != show.licence:  # the channel's applies otherwise
            _license(fe.podcast2, row["licence"], show_url)

    # When the feed's content last changed, as the signal handlers record it.
    fg.lastBuildDate(show.feed_changed_at or show.last_published_at or timezone.now())
    return fg.rss_str(pretty=True)


def _enclosure(row: dict, rendition: dict | None) -> tuple[str, int, str, int]:
    """(path after "/audio/", length, type, duration in ms) of the episode's enclosure: its ready rendition,
    else its master."""
    if rendition is not None:
        return (
            f"{row['audio_id']}/r/{rendition['sha256'][:16]}.mp3",
            rendition["size"],
            "audio/mpeg",
            rendition["duration_ms"],
        )
    extension = row["audio__extension"]
    return (
        f"{row['audio_id']}/{row['audio__sha256'][:16]}.{extension}",
        row["audio__size"],
        MIME_TYPES.get(extension, row["audio__mime_type"]),
        row["audio__duration_ms"],
    )


def _alternates(fe, row: dict, audio_root: str, files: dict[str, dict]) -> None:
    """The item's other files (the show's extra formats, ready) as ``podcast:alternateEnclosure``, each
    with its integrity, after the enclosure's file as the default. Nothing when there are none: the
    enclosure alone says it all."""
    others = [fmt for fmt in SPECS if fmt != AudioRendition.MP3 and fmt in files]
    if not others:
        return
    mp3 = files.get(AudioRendition.MP3)
    url, length, mime_type, _ = _enclosure(row, mp3)
    digest = mp3["sha256"] if mp3 else row["audio__sha256"]
    extension = AudioRendition.MP3 if mp3 else row["audio__extension"]
    fe.alternates.alternate_enclosure(
        measured(audio_root + url),
        mime_type,
        length,
        bitrate=(mp3["bitrate"] if mp3 else row["audio__bitrate"]) or None,
        title=SPECS[extension].label if extension in SPECS else extension.upper(),
        codecs=SPECS[AudioRendition.MP3].codecs if mime_type == "audio/mpeg" else None,
        default=True,
        integrity=sri_sha256(digest) if len(digest) == 64 else None,
    )
    for fmt in others:
        rendition = files[fmt]
        fe.alternates.alternate_enclosure(
            measured(f"{audio_root}{row['audio_id']}/r/{rendition['sha256'][:16]}.{fmt}"),
            AudioRendition.MIME_TYPES[fmt],
            rendition["size"],
            bitrate=rendition["bitrate"] or None,
            title=SPECS[fmt].label,
            codecs=SPECS[fmt].codecs,
            integrity=sri_sha256(rendition["sha256"]),
        )


def transcript_links_from_hooks(page_ids: list[int], root_url: str) -> dict[int, list[tuple]]:
    """Transcript links other apps add, as ``{page_id: [(url, mime_type, language, rel), ...]}``.

    Each hook receives all the feed's episode ids at once, so that it can answer in a fixed number of
    queries.
    """
    links: dict[int, list[tuple]] = defaultdict(list)
    for fn in hooks.get_hooks(TRANSCRIPT_LINKS_HOOK):
        for page_id, page_links in fn(page_ids, root_url).items():
            links[page_id].extend(page_links)
    return links


def chapters_json(episode: EpisodePage, root_url: str) -> dict:
    """The episode's chapters in the Podcasting 2.0 JSON chapters format (version 1.2.0)."""
    chapters = []
    media = _Media(root_url)  # object storage gives full URLs, the file system paths
    for chapter in episode.chapters.select_related("image").order_by("start_ms", "sort_order"):
        item = {"startTime": chapter.start_ms / 1000, "title": chapter.title}
        if chapter.url:
            item["url"] = chapter.url
        if chapter.image:
            item["img"] = media.url(chapter.image.file.name)
        chapters.append(item)
    return {"version": "1.2.0", "title": episode.title, "chapters": chapters}
