"""The feed's completions of issue 14: Podlove Simple Chapters, moving and hiding a show, the ownership
token, licences, and the show's hosts on items that list their own people."""

from datetime import timedelta

import feedparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from lxml import etree

from episodes.factories import AudioFileFactory, EpisodePageFactory, PersonFactory, ShowPageFactory
from episodes.feeds import build_feed
from episodes.importing.parse import parse_feed
from episodes.models import Chapter, EpisodePerson, ShowCategory, ShowHost, ShowPage
from episodes.people_roles import ROLES, TAXONOMY, feed_role, role_from_feed, taxonomy_problems
from episodes.psc import npt

pytestmark = pytest.mark.django_db

NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "psc": "http://podlove.org/simple-chapters",
}


@pytest.fixture
def audio(audio_dir):
    return AudioFileFactory(path=audio_dir / "tone.mp3", title="Tone")


@pytest.fixture
def show(home_page):
    show = ShowPageFactory(parent=home_page, title="The Power of Coproduction", slug="coproduction")
    ShowCategory.objects.create(page=show, category="Education")
    ShowHost.objects.create(page=show, person=PersonFactory(name="Dr Amara Okafor"))
    return show


def add_episode(show, audio, slug="deciding-together", **fields):
    return EpisodePageFactory(parent=show, slug=slug, title=slug.replace("-", " "), audio=audio, **fields)


def feed(show) -> etree._Element:
    return etree.fromstring(build_feed(ShowPage.objects.get(pk=show.pk))).find("channel")


# Podlove Simple Chapters


def test_psc_chapters_from_the_episodes_chapters_in_time_order(show, audio):
    episode = add_episode(show, audio)
    Chapter.objects.create(page=episode, start_ms=3_723_456, title="Later", url="https://example.org/later")
    Chapter.objects.create(page=episode, start_ms=0, title="Welcome & hello")

    chapters = feed(show).find("item/psc:chapters", NS)

    assert chapters.get("version") == "1.2"
    assert [dict(c.attrib) for c in chapters.findall("psc:chapter", NS)] == [
        {"start": "00:00:00.000", "title": "Welcome & hello"},
        {"start": "01:02:03.456", "title": "Later", "href": "https://example.org/later"},
    ]


def test_psc_chapter_image_is_an_absolute_url(show, audio):
    from tests.episodes.test_directory_checks import make_image

    episode = add_episode(show, audio)
    Chapter.objects.create(page=episode, start_ms=0, title="Pictured", image=make_image(100, 100))

    image = feed(show).find("item/psc:chapters/psc:chapter", NS).get("image")

    assert image.startswith("http://localhost/") and image.endswith(".jpeg")


def test_no_psc_chapters_without_chapters(show, audio):
    add_episode(show, audio)
    channel = feed(show)
    assert channel.find("item/psc:chapters", NS) is None


def test_feedparser_reads_the_psc_chapters(show, audio):
    episode = add_episode(show, audio)
    Chapter.objects.create(page=episode, start_ms=0, title="Hello")
    Chapter.objects.create(page=episode, start_ms=90_500, title="Options")

    entry = feedparser.parse(build_feed(ShowPage.objects.get(pk=show.pk))).entries[0]

    chapters = entry.psc_chapters["chapters"]
    assert [(c["title"], c["start_parsed"]) for c in chapters] == [
        ("Hello", timedelta(0)),
        ("Options", timedelta(seconds=90, milliseconds=500)),
    ]


def test_npt_writes_hours_always():
    assert npt(0) == "00:00:00.000"
    assert npt(61_001) == "00:01:01.001"
    assert npt(36_000_000) == "10:00:00.000"
    with pytest.raises(ValueError):
        npt(-1)


# Show options


def test_show_options_absent_when_not_set(show, audio):
    add_episode(show, audio)
    channel = feed(show)
    for tag in ("itunes:block", "itunes:complete", "itunes:new-feed-url", "podcast:txt", "podcast:license"):
        assert channel.find(tag, NS) is None, tag
    assert channel.find("item/podcast:license", NS) is None


def test_block_complete_and_new_feed_url(show):
    ShowPage.objects.filter(pk=show.pk).update(
        itunes_block=True, itunes_complete=True, new_feed_url="https://new-host.example/feed.xml"
    )
    channel = feed(show)
    assert channel.findtext("itunes:block", namespaces=NS) == "Yes"
    assert channel.findtext("itunes:complete", namespaces=NS) == "Yes"
    assert channel.findtext("itunes:new-feed-url", namespaces=NS) == "https://new-host.example/feed.xml"


def test_a_new_feed_url_that_is_not_http_is_left_out(show):
    ShowPage.objects.filter(pk=show.pk).update(new_feed_url="javascript:alert(1)")
    assert feed(show).find("itunes:new-feed-url", NS) is None


def test_txt_with_and_without_purpose(show):
    ShowPage.objects.filter(pk=show.pk).update(
        verification_text=" apple-token-123 ", verification_purpose="applepodcastsverify"
    )
    txt = feed(show).find("podcast:txt", NS)
    assert (txt.text, dict(txt.attrib)) == ("apple-token-123", {"purpose": "applepodcastsverify"})

    ShowPage.objects.filter(pk=show.pk).update(verification_purpose="")
    txt = feed(show).find("podcast:txt", NS)
    assert (txt.text, dict(txt.attrib)) == ("apple-token-123", {})


# Licences


def test_show_licence_and_episode_falling_back_to_it(show, audio):
    ShowPage.objects.filter(pk=show.pk).update(licence="cc-by-4.0")
    add_episode(show, audio)
    channel = feed(show)

    licence = channel.find("podcast:license", NS)
    assert (licence.text, licence.get("url")) == ("cc-by-4.0", "https://creativecommons.org/licenses/by/4.0/")
    assert channel.find("item/podcast:license", NS) is None  # the channel's applies


def test_episode_licence_of_its_own(show, audio):
    add_episode(show, audio, slug="open", licence="cc-by-nc-sa-4.0")
    ShowPage.objects.filter(pk=show.pk).update(licence="cc-by-4.0")
    licence = feed(show).find("item/podcast:license", NS)
    assert (licence.text, licence.get("url")) == (
        "cc-by-nc-sa-4.0",
        "https://creativecommons.org/licenses/by-nc-sa/4.0/",
    )


def test_all_rights_reserved_points_at_the_show_page(show, audio):
    add_episode(show, audio, slug="closed", licence="all-rights-reserved")
    ShowPage.objects.filter(pk=show.pk).update(licence="cc0-1.0")
    channel = feed(show)
    assert channel.findtext("podcast:license", namespaces=NS) == "cc0-1.0"
    licence = channel.find("item/podcast:license", NS)
    assert (licence.text, licence.get("url")) == ("all-rights-reserved", "http://localhost/coproduction/")


# podcast:person


def persons(element) -> list[tuple]:
    return [(p.text, p.get("role"), p.get("group")) for p in element.findall("podcast:person", NS)]


def test_an_item_that_lists_people_lists_the_show_hosts_too(show, audio):
    episode = add_episode(show, audio)
    EpisodePerson.objects.create(page=episode, person=PersonFactory(name="Tomasz Wren"), role="guest")
    EpisodePerson.objects.create(page=episode, person=PersonFactory(name="Ola Sound"), role="editor")

    channel = feed(show)

    assert persons(channel) == [("Dr Amara Okafor", "host", "cast")]
    assert persons(channel.find("item")) == [
        ("Tomasz Wren", "guest", "cast"),
        ("Ola Sound", "audio editor", "audio post-production"),
        ("Dr Amara Okafor", "host", "cast"),
    ]


def test_a_host_listed_on_the_item_is_not_repeated(show, audio):
    host = ShowHost.objects.get(page=show).person
    episode = add_episode(show, audio)
    EpisodePerson.objects.create(page=episode, person=host, role="interviewer")
    assert persons(feed(show).find("item")) == [("Dr Amara Okafor", "reporter", "cast")]


def test_an_item_without_people_of_its_own_lists_none(show, audio):
    add_episode(show, audio)
    assert persons(feed(show).find("item")) == []  # the channel's hosts apply


def test_import_reads_our_item_people_back_without_the_hosts(show, audio):
    episode = add_episode(show, audio)
    EpisodePerson.objects.create(page=episode, person=PersonFactory(name="Ola Sound"), role="editor")

    data = parse_feed(build_feed(ShowPage.objects.get(pk=show.pk)))

    assert [(p.name, p.role) for p in data.hosts] == [("Dr Amara Okafor", "host")]
    assert [(p.name, p.role) for p in data.items[0].people] == [("Ola Sound", "editor")]


# The taxonomy


def test_every_role_maps_to_a_role_of_its_group_in_the_taxonomy():
    assert taxonomy_problems() == []
    assert {value for value, *_ in ROLES} == {
        value for value, _ in EpisodePerson._meta.get_field("role").choices
    }


def test_taxonomy_problems_name_a_wrong_group_or_role(monkeypatch):
    monkeypatch.setattr(
        "episodes.people_roles.ROLES",
        [
            ("producer", "Producer", "producer", "audio production"),
            ("dj", "DJ", "dj", "cast"),
            ("x", "X", "x", "y"),
        ],
    )
    assert taxonomy_problems() == [
        "producer: 'producer' is not a role of the group 'audio production'",
        "dj: 'dj' is not a role of the group 'cast'",
        "x: 'y' is not a group of the podcast:person taxonomy",
    ]


def test_roles_read_from_a_feed():
    assert role_from_feed("Audio Editor") == "editor"
    assert role_from_feed("co-host") == "co-host"
    assert role_from_feed("Foley Artist") is None
    assert feed_role("unknown") == ("guest", "cast")
    assert all(role == role.lower() for roles in TAXONOMY.values() for role in roles)


# Cost


def test_query_count_stays_constant_with_all_the_new_tags(home_page, audio):
    counts = {}
    for count in (3, 30):
        show = ShowPageFactory(
            parent=home_page,
            licence="cc-by-4.0",
            itunes_complete=True,
            new_feed_url="https://example.org/feed.xml",
            verification_text="token",
        )
        ShowHost.objects.create(page=show, person=PersonFactory())
        for n in range(count):
            episode = add_episode(show, audio, slug=f"e{n}", licence="cc0-1.0")
            EpisodePerson.objects.create(page=episode, person=PersonFactory(), role="guest")
            Chapter.objects.create(page=episode, start_ms=0, title="Start", url="https://example.org/")
        show = ShowPage.objects.get(pk=show.pk)
        build_feed(show)  # warm Wagtail's site-root cache, as a running site has it
        with CaptureQueriesContext(connection) as captured:
            content = build_feed(show)
        assert len(etree.fromstring(content).findall("channel/item/psc:chapters", NS)) == count
        counts[count] = len(captured)
    assert counts[3] == counts[30], counts


def test_show_settings_tab_has_the_feed_options(admin_client, show):
    response = admin_client.get(reverse("wagtailadmin_pages:edit", args=[show.pk]))
    html = response.content.decode()
    for name in ("itunes_block", "itunes_complete", "new_feed_url", "verification_text", "licence"):
        assert f'name="{name}"' in html, name


def test_license_and_txt_setters_validate():
    from episodes.podcast2 import Podcast2Extension

    ext = Podcast2Extension()
    assert ext.license("CC-BY-4.0").identifier == "cc-by-4.0"
    with pytest.raises(ValueError):
        ext.license("custom", "ftp://example.org/licence")
    with pytest.raises(ValueError):
        ext.license(url="https://example.org/licence")
    with pytest.raises(ValueError):
        ext.txt("x" * 4001)
    with pytest.raises(ValueError):
        ext.txt(purpose="applepodcastsverify")
    assert [t.text for t in ext.txt("a\x00b")] == ["ab"]
