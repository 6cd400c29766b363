"""What bench/feed.py builds and times: the two shows of its throwaway database, the feed's queries, and the
floor it compares the feed's build time with (feedgen alone, writing the same items from plain values)."""

import statistics
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from loadkit import make_tone

SMALL_SHOW = 10


# --- content ---------------------------------------------------------------------------------------------


def create_show(home, slug: str, count: int, audio, people):
    """A published show with ``count`` live episodes, each with audio, notes, a person, a chapter and a
    soundbite. Pages go through ``add_child`` (one transaction); their children are bulk-created."""
    from django.db import transaction

    from episodes.factories import EpisodePageFactory, ShowPageFactory
    from episodes.models import Chapter, EpisodePerson, ShowCategory, ShowHost, ShowPage, Soundbite

    show = ShowPageFactory(
        parent=home,
        title=f"Benchmark show ({count} episodes)",
        slug=slug,
        copyright="© 2026 Coproduction Collective",
        funding_url="https://example.org/support",
        funding_text="Support the show",
    )
    ShowCategory.objects.create(page=show, category="Health & Fitness > Medicine")
    ShowHost.objects.create(page=show, person=people[0])
    first = datetime(2020, 1, 6, 9, 30, tzinfo=UTC)
    notes = (
        "<p>Two people talk about deciding together: what each brings, what each needs, and how they "
        f'agree. More in <a linktype="page" id="{show.pk}">the show</a> and on '
        '<a href="https://example.org/reading">our reading list</a>.</p>'
        "<ul><li>Shared decisions</li><li>Patient leaders</li><li>What changed</li></ul>"
    )
    with transaction.atomic():
        episodes = []
        for n in range(count):
            published = first + timedelta(days=7 * n)
            episodes.append(
                EpisodePageFactory(
                    parent=show,
                    title=f"Episode {n + 1}: deciding together, part {n + 1}",
                    slug=f"{slug}-episode-{n + 1}",
                    summary=f"Episode {n + 1}. Two people talk about deciding together, and what changed.",
                    show_notes=notes,
                    publication_date=published,
                    first_published_at=published,
                    last_published_at=published,
                    season=n // 50 + 1,
                    episode_number=n + 1,
                    audio=audio,
                )
            )
        EpisodePerson.objects.bulk_create(
            EpisodePerson(page=e, person=people[n % len(people)], role="guest", sort_order=0)
            for n, e in enumerate(episodes)
        )
        Chapter.objects.bulk_create(
            Chapter(page=e, start_ms=0, title="Introductions", sort_order=0) for e in episodes
        )
        Soundbite.objects.bulk_create(
            Soundbite(page=e, start_ms=500, duration_ms=2000, title="The key idea", sort_order=0)
            for e in episodes
        )
    # Publishing the show (as an editor would) sets feed_changed_at, the feed's cache key.
    show.save_revision().publish()
    return ShowPage.objects.get(pk=show.pk)


def create_content(args, workdir: Path):
    from wagtail.models import Site

    from episodes.factories import AudioFileFactory, PersonFactory

    home = Site.objects.get(is_default_site=True).root_page.specific
    audio = AudioFileFactory(path=make_tone(workdir / "tone.mp3", 3), title="Tone")
    people = [PersonFactory(name=f"Person {n}", link=f"https://example.org/people/{n}") for n in range(20)]
    small = create_show(home, "bench-small", SMALL_SHOW, audio, people)
    large = create_show(home, "bench-large", args.episodes, audio, people)
    return small, large


# --- 1. queries ----------------------------------------------------------------------------------------


def count_queries(show):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from lxml import etree

    from episodes.feeds import build_feed

    build_feed(show)  # warm Wagtail's site-root cache, as a running site has it
    with CaptureQueriesContext(connection) as captured:
        content = build_feed(show)
    items = len(etree.fromstring(content).findall("channel/item"))
    return [q["sql"] for q in captured.captured_queries], items


# --- 2. build time -------------------------------------------------------------------------------------


def plain_values(show):
    """Everything the show's feed says, as plain Python values: the baseline's input, made untimed (with
    the ORM, but not through ``episodes.feeds``)."""
    from wagtail.rich_text import expand_db_html

    from episodes.feeds import CHAPTERS_MIME_TYPE, feed_url, site_root
    from episodes.models import EpisodePage
    from episodes.podcast2 import podcast_guid

    root_url = site_root(show)
    url = feed_url(show, root_url)
    episodes = list(
        EpisodePage.objects.child_of(show)
        .released()
        .filter(audio__isnull=False)
        .select_related("audio")
        .prefetch_related("people__person", "chapters", "soundbites")
        .order_by("-publication_date", "-pk")
    )
    channel = {
        "title": show.title,
        "description": show.description,
        "self": url,
        "link": show.get_full_url(),
        "language": show.language,
        "copyright": show.copyright,
        "author": show.author,
        "owner": (show.owner_name, show.owner_email),
        "explicit": "yes" if show.explicit else "no",
        "type": show.show_type,
        "categories": [{"cat": "Health & Fitness", "sub": "Medicine"}],
        "podcast": [
            ("guid", show.podcast_guid or podcast_guid(url), {}),
            ("locked", "yes", {"owner": show.owner_email}),
            ("funding", show.funding_text, {"url": show.funding_url}),
        ]
        + [("person", h.person.name, {"role": "host", "href": h.person.link}) for h in show.hosts.all()],
        "last_build": max(e.last_published_at or e.publication_date for e in episodes),
    }
    items = []
    for episode in episodes:
        audio = episode.audio
        podcast = [
            ("season", str(episode.season), {}),
            ("episode", str(episode.episode_number), {}),
            ("chapters", None, {"url": f"{root_url}/chapters/{episode.pk}.json", "type": CHAPTERS_MIME_TYPE}),
        ]
        podcast += [
            ("person", p.person.name, {"role": p.role, "href": p.person.link}) for p in episode.people.all()
        ]
        for s in episode.soundbites.all():
            timing = {"startTime": str(s.start_ms / 1000), "duration": str(s.duration_ms / 1000)}
            podcast.append(("soundbite", s.title, timing))
        items.append(
            {
                "guid": episode.guid,
                "title": episode.title,
                "link": episode.get_full_url(),
                "description": episode.summary,
                "content": expand_db_html(episode.show_notes),
                "pub_date": episode.publication_date,
                "enclosure": (root_url + audio.url, str(audio.size), audio.content_type),
                "duration": audio.duration_seconds,
                "explicit": "yes" if episode.explicit else "no",
                "episode_type": episode.episode_type,
                "episode": episode.episode_number,
                "season": episode.season,
                "podcast": podcast,
            }
        )
    return channel, items


def floor_extensions():
    """A podcast: extension that only appends the elements it is given: no checks, no cleaning."""
    from feedgen.ext.base import BaseEntryExtension, BaseExtension
    from lxml import etree

    from episodes.podcast2 import PODCAST_NS

    def append(parent, elements):
        for tag, text, attrs in elements:
            element = etree.SubElement(parent, f"{{{PODCAST_NS}}}{tag}", attrs)
            element.text = text

    class Floor(BaseExtension):
        def __init__(self):
            self.elements = []

        def extend_ns(self):
            return {"podcast": PODCAST_NS}

        def extend_rss(self, rss_feed):
            append(rss_feed[0], self.elements)
            return rss_feed

    class FloorEntry(BaseEntryExtension):
        def __init__(self):
            self.elements = []

        def extend_ns(self):
            return {"podcast": PODCAST_NS}

        def extend_rss(self, item):
            append(item, self.elements)
            return item

    return Floor, FloorEntry


def feedgen_floor(channel, items, extensions) -> bytes:
    """feedgen alone (with its own itunes extension) writing the same feed from plain values."""
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("podcast2", *extensions)
    fg.title(channel["title"])
    fg.description(channel["description"])
    fg.link(href=channel["self"], rel="self")
    fg.link(href=channel["link"], rel="alternate")
    fg.language(channel["language"])
    fg.generator("feedgen")
    fg.copyright(channel["copyright"])
    fg.podcast.itunes_author(channel["author"])
    fg.podcast.itunes_owner(name=channel["owner"][0], email=channel["owner"][1])
    fg.podcast.itunes_summary(channel["description"])
    fg.podcast.itunes_explicit(channel["explicit"])
    fg.podcast.itunes_type(channel["type"])
    fg.podcast.itunes_category(channel["categories"])
    fg.podcast2.elements = channel["podcast"]
    for item in items:
        fe = fg.add_entry(order="append")
        fe.guid(item["guid"], permalink=False)
        fe.title(item["title"])
        fe.link(href=item["link"])
        fe.description(item["description"])
        fe.content(item["content"])
        fe.pubDate(item["pub_date"])
        fe.enclosure(*item["enclosure"])
        fe.podcast.itunes_duration(item["duration"])
        fe.podcast.itunes_explicit(item["explicit"])
        fe.podcast.itunes_episode_type(item["episode_type"])
        fe.podcast.itunes_episode(item["episode"])
        fe.podcast.itunes_season(item["season"])
        fe.podcast2.elements = item["podcast"]
    fg.lastBuildDate(channel["last_build"])
    return fg.rss_str(pretty=True)


def item_tags(content: bytes) -> Counter:
    from lxml import etree

    return Counter(child.tag for item in etree.fromstring(content).iter("item") for child in item)


def timed_pair(repeat, first, second):
    """Best and median seconds of each function, run alternately so that drift weighs on both alike."""
    times = ([], [])
    for _ in range(repeat):
        for fn, kept in zip((first, second), times, strict=True):
            start = time.perf_counter()
            fn()
            kept.append(time.perf_counter() - start)
    return [(min(t), statistics.median(t)) for t in times]
