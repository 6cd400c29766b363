"""Whatever editors type, the feed stays well-formed XML, keeps every GUID and never double-escapes."""

import html

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from episodes.factories import AudioFileFactory, EpisodePageFactory, PersonFactory, ShowPageFactory
from episodes.feeds import build_feed
from episodes.models import Chapter, EpisodePage, EpisodePerson, ShowPage, Soundbite
from episodes.xmltext import xml_safe

pytestmark = pytest.mark.django_db

NS = {"podcast": "https://podcastindex.org/namespace/1.0"}

# Anything a browser can send: every plane, control characters, right-to-left marks, emoji, and the
# sequences that trip XML writers. NUL and lone surrogates are excluded: Django's forms refuse the first
# and a browser cannot send the second (xml_safe's own tests cover both).
hostile_text = st.lists(
    st.one_of(
        st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=4),
        st.sampled_from(
            ["&", "<", ">", '"', "'", "]]>", "&amp;", "\u202e", "\u200f", "👩🏽‍⚕️", "\x0b", "\x1f"]
        ),
    ),
    max_size=20,
).map("".join)
long_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=5000
)


@pytest.fixture
def setup(home_page, audio_dir):
    show = ShowPageFactory(parent=home_page)
    audio = AudioFileFactory(path=audio_dir / "tone.mp3")
    episodes = [EpisodePageFactory(parent=show, audio=audio, episode_number=n) for n in (1, 2)]
    person = PersonFactory()
    for episode in episodes:
        EpisodePerson.objects.create(page=episode, person=person, role="guest")
        Chapter.objects.create(page=episode, start_ms=0, title="Start")
        Soundbite.objects.create(page=episode, start_ms=0, duration_ms=1000, title="Bite")
    return show, episodes, person


def nonblank(text: str, fallback: str) -> str:
    # Wagtail requires titles; an editor's title is never empty once XML-unsafe characters are gone.
    return text if xml_safe(text).strip() else fallback


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=hostile_text, summary=hostile_text, notes=hostile_text, name=hostile_text, description=long_text)
def test_hostile_text_never_breaks_the_feed(setup, title, summary, notes, name, description):
    show, episodes, person = setup
    ShowPage.objects.filter(pk=show.pk).update(
        title=nonblank(title, "Show"), description=description, author=name, copyright=title
    )
    EpisodePage.objects.filter(pk=episodes[0].pk).update(
        title=nonblank(title, "Episode"), summary=summary, show_notes=f"<p>{html.escape(notes)}</p>"
    )
    Chapter.objects.filter(page=episodes[0]).update(title=nonblank(name, "Chapter"))
    Soundbite.objects.filter(page=episodes[0]).update(title=name)
    person.name = nonblank(name, "Someone")
    person.save()

    content = build_feed(ShowPage.objects.get(pk=show.pk))

    root = etree.fromstring(content)  # raises on anything that is not well-formed XML
    items = root.findall("channel/item")
    assert {item.findtext("guid") for item in items} == {e.guid for e in episodes}
    first = next(item for item in items if item.findtext("guid") == episodes[0].guid)
    # Exactly what the editor typed, less what XML cannot carry: never escaped twice.
    assert first.findtext("title") == xml_safe(nonblank(title, "Episode"))
    assert root.findtext("channel/title") == xml_safe(nonblank(title, "Show"))
    # Person names are stripped (the namespace wants no padding); U+0085 and friends count as space.
    assert first.find("podcast:person", NS).text == xml_safe(nonblank(name, "Someone")).strip()
    assert len(root.findtext("channel/description").encode()) <= 4000
    assert len(first.findtext("description").encode()) <= 4000
    parsed = feedparser.parse(content)
    assert {entry.id for entry in parsed.entries} == {e.guid for e in episodes}


def test_a_title_of_255_characters_and_control_characters(setup):
    show, episodes, _ = setup
    title = ("Ab\x0c\x1b ]]> & 🙂 " * 30)[:255]
    EpisodePage.objects.filter(pk=episodes[0].pk).update(title=title)

    root = etree.fromstring(build_feed(ShowPage.objects.get(pk=show.pk)))

    titles = [item.findtext("title") for item in root.iterfind("channel/item")]
    assert xml_safe(title) in titles
    assert "\x0c" not in xml_safe(title) and "]]>" in xml_safe(title)


def test_values_past_the_namespace_limits_are_shortened_not_fatal(setup):
    show, episodes, person = setup
    person.name = "N" * 255
    person.link = "ftp://files.example.org/me"
    person.save()
    Soundbite.objects.filter(page=episodes[0]).update(title="T" * 255)
    ShowPage.objects.filter(pk=show.pk).update(funding_url="ftp://example.org/give", funding_text="Give")

    root = etree.fromstring(build_feed(ShowPage.objects.get(pk=show.pk)))

    names = {p.text for p in root.iterfind("channel/item/podcast:person", NS)}
    assert names == {"N" * 127 + "…"}
    assert {p.get("href") for p in root.iterfind("channel/item/podcast:person", NS)} == {None}
    bites = {b.text for b in root.iterfind("channel/item/podcast:soundbite", NS)}
    assert bites == {"T" * 127 + "…", "Bite"}
    assert root.find("channel/podcast:funding", NS) is None
