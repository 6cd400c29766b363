"""The listener's episode page: what it shows, the player markup player.js enhances (the DOM contract in
the e2e tests), moments named with ?t=, the transcript readable without JavaScript, and a query count that
does not grow with the transcript, the chapters, the people, the concepts or the soundbites."""

import pytest
import wagtail_factories
from bs4 import BeautifulSoup
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from concepts.factories import ConceptIndexPageFactory, ConceptPageFactory
from concepts.linking import link_transcript
from concepts.models import Mention
from episodes.factories import (
    AudioFileFactory,
    EpisodePageFactory,
    InterviewIndexPageFactory,
    InterviewPageFactory,
    PersonFactory,
    ShowPageFactory,
)
from episodes.models import Chapter, EpisodePerson, Soundbite
from episodes.moments import parse_moment
from tests.audio import tone
from transcripts.models import Segment, Transcript

pytestmark = pytest.mark.django_db

LONG_SECONDS = 150


@pytest.fixture(scope="session")
def long_tone(tmp_path_factory):
    """A real mp3 long enough for moments such as 1:30."""
    return tone(tmp_path_factory.mktemp("long") / "long.mp3", LONG_SECONDS)


@pytest.fixture
def show(home_page):
    return ShowPageFactory(parent=home_page, title="The Power of Coproduction")


@pytest.fixture
def audio(long_tone):
    return AudioFileFactory(path=long_tone)


def transcribe(audio, count: int, *, every_ms: int = 3000, speaker: str = "Ruth") -> Transcript:
    transcript = Transcript.objects.create(
        audio=audio, status=Transcript.DONE, audio_sha256=audio.sha256, language="en"
    )
    Segment.objects.bulk_create(
        Segment(
            transcript=transcript,
            index=i,
            start_ms=i * every_ms,
            end_ms=i * every_ms + every_ms - 500,
            text=f"Line {i} about deciding together.",
            speaker=speaker,
        )
        for i in range(count)
    )
    return transcript


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


# ------------------------------------------------------------------------------------------------ moments


@pytest.mark.parametrize(
    ("value", "ms"),
    [
        ("90", 90_000),
        ("90.5", 90_500),
        ("1:30", 90_000),
        ("01:30", 90_000),
        ("1:02:03", 3_723_000),
        ("1:02:03.25", 3_723_250),
        ("1h2m3s", 3_723_000),
        ("1H2M3S", 3_723_000),
        ("2m", 120_000),
        ("45s", 45_000),
    ],
)
def test_moment_shapes_the_player_accepts(value, ms):
    assert parse_moment(value) == ms


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "0",  # the start: nothing to seek to
        "-5",
        "+90",
        " 90",
        "90 ",
        "1e9",
        "1E3",
        "NaN",
        "Infinity",
        "0x5a",
        "9" * 7,  # 115 days in seconds: more digits than a moment has
        "1" * 17,  # longer than any moment
        "٩٠",  # Arabic-Indic digits: int() would take them, the pattern must not
        "９０",  # fullwidth digits
        "1:60",
        "1:61:00",
        "1::30",
        "1:30:",
        ":30",
        "1.2.3",
        "h",
        "ms",
        "1s2m",  # units out of order
        "1:30; DROP TABLE",
        "<script>",
        "25:00:00",  # past a day
    ],
)
def test_hostile_or_malformed_moments_are_ignored(value):
    """Input: anything that is not plainly a moment. Error if parsed: a wrong seek, or an exception."""
    assert parse_moment(value) is None


def test_a_moment_at_or_past_the_end_of_the_audio_is_ignored():
    assert parse_moment("59", duration_ms=60_000) == 59_000
    assert parse_moment("60", duration_ms=60_000) is None
    assert parse_moment("1:30", duration_ms=60_000) is None


# ------------------------------------------------------------------------------------------------ the page


@pytest.fixture
def episode(show, audio):
    episode = EpisodePageFactory(
        parent=show,
        audio=audio,
        title="Deciding together",
        summary="Two people talk about deciding together.",
        publication_date="2026-03-04T10:00Z",
        season=2,
        episode_number=5,
        show_notes="<p>Notes with a <a href='https://example.org/'>link</a>.</p>",
    )
    Chapter.objects.create(page=episode, start_ms=0, title="Welcome")
    Chapter.objects.create(
        page=episode, start_ms=75_000, title="Why it matters", url="https://example.org/why"
    )
    Soundbite.objects.create(page=episode, start_ms=30_000, duration_ms=6_000, title="The heart of it")
    EpisodePerson.objects.create(page=episode, person=PersonFactory(name="Amara Osei"), role="guest")
    return episode


def test_the_page_shows_the_episode_its_show_date_duration_and_notes(client, episode, show):
    page = soup(client.get(episode.url))

    assert page.h1.get_text() == "Deciding together"
    header = page.select_one(".episode-header")
    assert header.find("a", href=show.url).get_text() == "The Power of Coproduction"
    assert "Season 2 · Episode 5" in " ".join(header.get_text().split())
    assert header.find("time", datetime="2026-03-04T10:00:00+00:00").get_text() == "4 March 2026"
    assert header.find("time", datetime=f"PT{LONG_SECONDS}S").get_text() == "2 min 30 s"
    assert page.select_one("p.summary").get_text() == "Two people talk about deciding together."
    assert page.find(id="notes-heading").find_next("a")["href"] == "https://example.org/"
    assert "Amara Osei" in page.find(id="people-heading").parent.get_text()
    assert page.select_one("section.subscribe") is not None, "the subscribe box"


def test_the_player_follows_the_contract(client, episode, audio):
    transcript = transcribe(audio, 4)

    page = soup(client.get(episode.url))

    figure = page.select_one("figure.player[data-player]")
    assert figure["data-duration-ms"] == str(audio.duration_ms)
    assert figure["data-share-url"] == f"http://localhost{episode.url}"
    player = figure.find("audio")
    assert player.has_attr("controls") and player["preload"] == "metadata"
    assert player["src"] == audio.url, "no media fragment without ?t="
    assert player.find("track", kind="captions")["src"] == f"/transcripts/{transcript.pk}.vtt"
    assert player.find("a", href=audio.url), "a download link for browsers without audio support"
    status = figure.select_one("[data-player-status]")
    assert status["aria-live"] == "polite"
    # The toolbar waits in a <template> for the script: without JavaScript, no button that does nothing
    # (CSS selectors, like the browser's, do not look into a template's content).
    assert page.select(".player-controls") == []
    toolbar = figure.find("template", attrs={"data-player-controls": True}).find(class_="player-controls")
    assert toolbar["role"] == "group" and toolbar["aria-label"] == "Player controls"
    assert [b["data-action"] for b in toolbar.find_all("button")] == ["play", "back", "forward", "share"]
    speed = toolbar.find("select", id="player-speed")
    assert [o["value"] for o in speed.find_all("option")] == ["0.75", "1", "1.25", "1.5", "2"]
    assert speed.find("option", selected=True)["value"] == "1"
    assert toolbar.find("label", attrs={"for": "player-speed"}).decode_contents() == "Speed"
    script = page.find("script", src="/static/js/player.js")
    assert script.has_attr("defer")
    assert page.find("link", rel="stylesheet", href="/static/css/player.css")


def test_chapters_are_links_to_their_moment(client, episode):
    page = soup(client.get(episode.url))

    links = page.select("ol.chapters a[data-seek-ms]")
    assert [(a["href"], a["data-seek-ms"], " ".join(a.get_text().split())) for a in links] == [
        ("?t=0", "0", "0:00 Welcome"),
        ("?t=75", "75000", "1:15 Why it matters"),
    ]
    assert links[1].find("time")["datetime"] == "PT75S"
    more = page.select_one("ol.chapters a.chapter-link")
    assert more["href"] == "https://example.org/why" and more.get_text() == "Read more about Why it matters"


def test_soundbites_are_moments_to_share_with_what_is_said(client, episode, audio):
    transcribe(audio, 20)  # lines every 3 s: 30 s to 36 s overlaps lines 10 and 11

    page = soup(client.get(episode.url))

    item = page.select_one(".soundbite-list li")
    assert item.h3.get_text() == "The heart of it"
    assert (
        item.blockquote.get_text(strip=True)
        == "Line 10 about deciding together. Line 11 about deciding together."
    )
    listen = item.find("a", attrs={"data-seek-ms": "30000"})
    assert listen["href"] == "?t=30"
    share = item.find("a", attrs={"data-share": True})
    assert share["href"] == "?t=30"
    assert share.get_text() == "Share the moment at 0:30"


def test_a_soundbite_without_a_transcript_has_no_quote(client, episode):
    page = soup(client.get(episode.url))

    item = page.select_one(".soundbite-list li")
    assert item.blockquote is None
    assert item.find("a", attrs={"data-share": True})


def test_an_episode_without_audio_has_no_player_and_no_soundbites(client, show):
    episode = EpisodePageFactory(parent=show)
    Soundbite.objects.create(page=episode, start_ms=1000, duration_ms=5000, title="Orphan")

    page = soup(client.get(episode.url))

    assert page.select("[data-player]") == [] and page.find("script", src="/static/js/player.js") is None
    assert "Orphan" not in page.get_text()


# ------------------------------------------------------------------------------------------------ ?t=


@pytest.mark.parametrize(("value", "seconds"), [("90", 90), ("1:30", 90), ("1m30s", 90), ("90.9", 90)])
def test_a_moment_in_the_address_becomes_the_audios_media_fragment(client, episode, audio, value, seconds):
    page = soup(client.get(episode.url, {"t": value}))

    assert page.find("audio")["src"] == f"{audio.url}#t={seconds}"


@pytest.mark.parametrize(
    "value", ["-5", "1e9", "99999999999999999999", "٩٠", "abc", "1:99", "%", "<b>", f"{LONG_SECONDS + 1}"]
)
def test_a_hostile_moment_in_the_address_is_ignored(client, episode, audio, value):
    """Input: ?t= values that name no moment in the audio. Error if mishandled: a 500, or a src that
    seeks somewhere (or echoes the value into the page)."""
    response = client.get(episode.url, {"t": value})

    page = soup(response)
    assert page.find("audio")["src"] == audio.url
    assert "#t=" not in response.content.decode()


def test_repeated_t_takes_the_last_and_unknown_parameters_are_harmless(client, episode, audio):
    page = soup(client.get(f"{episode.url}?t=10&t=20&utm_source=x"))

    assert page.find("audio")["src"] == f"{audio.url}#t=20"


# ------------------------------------------------------------------------------------------------ transcript


def test_the_transcript_is_readable_without_javascript(client, episode, audio):
    transcribe(audio, 3)

    page = soup(client.get(episode.url))

    section = page.select_one("section.transcript-section")
    assert section is not None and not section.has_attr("hidden")
    box = section.select_one("div.transcript[data-transcript]")
    assert box["lang"] == "en"
    lines = box.select("p[data-start-ms]")
    assert [(p["data-start-ms"], p["data-end-ms"]) for p in lines] == [
        ("0", "2500"),
        ("3000", "5500"),
        ("6000", "8500"),
    ]
    assert [" ".join(p.get_text().split()) for p in lines] == [
        "0:00 Line 0 about deciding together.",
        "0:03 Line 1 about deciding together.",
        "0:06 Line 2 about deciding together.",
    ]
    # One speaker's turn: her name once, before her lines (not repeated on each).
    assert [p.get_text() for p in box.select("p.transcript-speaker")] == ["Ruth"]
    assert lines[1].time["datetime"] == "PT3S"
    # Nothing hides it before a script runs: no hidden attribute or inline style on the way.
    for node in [box, *box.parents]:
        if node.name:
            assert not node.has_attr("hidden") and "display" not in node.get("style", "")
    # The search field is the script's (it could not work without it).
    assert page.select("[data-transcript-filter]") == []
    search = section.find("template", attrs={"data-transcript-search": True})
    assert search.find("input", type="search", id="transcript-filter", attrs={"data-transcript-filter": True})
    assert (
        search.find("label", attrs={"for": "transcript-filter"}).decode_contents() == "Search the transcript"
    )


def test_transcript_player_and_page_text_are_escaped(client, show, audio):
    hostile = '<img src=x onerror="alert(1)">'
    episode = EpisodePageFactory(parent=show, audio=audio, title=f"Title {hostile}", summary=f"Sum {hostile}")
    Chapter.objects.create(page=episode, start_ms=1000, title=f"Chapter {hostile}")
    Soundbite.objects.create(page=episode, start_ms=2000, duration_ms=3000, title=f"Bite {hostile}")
    EpisodePerson.objects.create(page=episode, person=PersonFactory(name=f"Person {hostile}"))
    transcript = Transcript.objects.create(
        audio=audio, status=Transcript.DONE, audio_sha256=audio.sha256, language="en"
    )
    Segment.objects.create(
        transcript=transcript,
        index=0,
        start_ms=0,
        end_ms=4000,
        text=f"Said {hostile}",
        speaker=f"Sp {hostile}",
    )

    html = client.get(episode.url).content.decode()
    main = html[html.index("<main") : html.index("</main>")]  # the page's head is the machines' tests'

    assert hostile not in html
    assert "onerror=" not in main.replace("onerror=&quot;", "")
    escaped = "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"
    for text in ("Title", "Sum", "Chapter", "Bite", "Person", "Said", "Sp"):
        assert f"{text} {escaped}" in main, text
    handlers = [
        (tag.name, name) for tag in BeautifulSoup(main, "html.parser").find_all(True) for name in tag.attrs
    ]
    assert [pair for pair in handlers if pair[1].startswith("on")] == [], "no inline event handlers"
    assert ("img", "src") not in handlers


def test_an_interview_with_audio_gets_the_same_player_and_transcript(client, home_page, audio):
    interview = InterviewPageFactory(parent=InterviewIndexPageFactory(parent=home_page), audio=audio)
    transcribe(audio, 2)

    page = soup(client.get(interview.url, {"t": "0:04"}))

    figure = page.select_one("figure.player[data-player]")
    assert figure.find("audio")["src"] == f"{audio.url}#t=4"
    assert figure["data-share-url"] == f"http://localhost{interview.url}"
    assert len(page.select("[data-transcript] p[data-start-ms]")) == 2
    assert page.find("script", src="/static/js/player.js")


# ------------------------------------------------------------------------------------------------ queries


def test_the_show_is_read_once_for_all_its_episodes_and_follows_its_changes(
    client, settings, show, audio, django_capture_on_commit_callbacks
):
    """With the page cache on, the show an episode page names (title, link, artwork, licence) is remembered
    beside the cached pages, for all its episodes, until a change of the show retires it (a full purge).
    Bad: a query for the show on every uncached episode page, or the old name after the show is renamed."""
    settings.PAGE_CACHE_SECONDS = 300
    first = EpisodePageFactory(parent=show, audio=audio)
    second = EpisodePageFactory(parent=show)
    caches["default"].clear()
    assert soup(client.get(first.url)).select_one(".episode-header a").get_text() == show.title

    with CaptureQueriesContext(connection) as queries:
        page = soup(client.get(f"{second.url}?v=1"))  # another episode, not cached yet
    assert page.select_one(".episode-header a").get_text() == show.title
    assert not [query for query in queries.captured_queries if "episodes_showpage" in query["sql"]]

    with django_capture_on_commit_callbacks(execute=True):
        show.title = "Coproduction, renamed"
        show.save_revision().publish()
    page = soup(client.get(f"{second.url}?v=2"))
    assert page.select_one(".episode-header a").get_text() == "Coproduction, renamed"
    assert page.select_one(".subscribe") is not None


def test_concepts_discussed_come_from_the_transcript_the_page_shows(
    client, episode, audio, home_page, audio_dir, django_capture_on_commit_callbacks
):
    """Linking keeps the mentions of every finished transcript; an episode lists those of its text and of
    the transcript it shows. Bad: after the episode's audio is replaced by another file, a concept said
    only in the old file (still transcribed) listed with a moment into audio the page no longer plays."""
    concept_index = ConceptIndexPageFactory(parent=home_page)
    ConceptPageFactory(parent=concept_index, title="Patient activation")
    ConceptPageFactory(parent=concept_index, title="Shared decision-making")
    new_audio = AudioFileFactory(path=audio_dir / "tone.mp3")
    for file, said in ((audio, "Patient activation starts here."), (new_audio, "Shared decision-making.")):
        transcript = transcribe(file, 3)
        transcript.segments.filter(index=1).update(text=said)
        link_transcript(transcript.pk)  # as a finished transcription does

    def discussed():
        items = soup(client.get(episode.url)).select("section.concepts-discussed li")
        return [(item.a.get_text(), item.find("time").get_text()) for item in items]

    assert discussed() == [("Patient activation", "0:03")]
    with django_capture_on_commit_callbacks(execute=True):  # linking runs for the new audio's transcript
        episode.audio = new_audio
        episode.save_revision().publish()
    assert Mention.objects.filter(page=episode).count() == 2  # the old file's is kept, not shown
    assert discussed() == [("Shared decision-making", "0:03")]


def dress(episode, audio, *, lines: int, extras: int, concept_index) -> None:
    """Give ``episode`` a transcript of ``lines`` lines and ``extras`` chapters, people (with photos),
    soundbites and concepts discussed."""
    transcript = transcribe(audio, lines, every_ms=3000)
    first = transcript.segments.order_by("index").first()
    for n in range(extras):
        Chapter.objects.create(page=episode, start_ms=n * 60_000, title=f"Chapter {n}")
        Soundbite.objects.create(page=episode, start_ms=n * 3000, duration_ms=6000, title=f"Bite {n}")
        person = PersonFactory(photo=wagtail_factories.ImageFactory())
        EpisodePerson.objects.create(page=episode, person=person)
        concept = ConceptPageFactory(parent=concept_index, title=f"Concept {episode.pk}-{n}")
        Mention.objects.create(concept=concept, page=episode, segment=first, start_ms=0, quote="Line 0")


def test_the_query_count_does_not_grow_with_transcript_chapters_people_or_concepts(
    client, show, home_page, audio_dir, long_tone
):
    """A 1-minute and a 60-minute transcript (20 and 1200 lines), with 1 and 12 of every other listing,
    cost the same number of queries. Error if not: a query per line, chapter, person, photo or concept."""
    concept_index = ConceptIndexPageFactory(parent=home_page)
    short_audio = AudioFileFactory(path=audio_dir / "tone.mp3")
    long_audio = AudioFileFactory(path=long_tone)
    short = EpisodePageFactory(parent=show, audio=short_audio)
    long = EpisodePageFactory(parent=show, audio=long_audio)
    dress(short, short_audio, lines=20, extras=1, concept_index=concept_index)
    dress(long, long_audio, lines=1200, extras=12, concept_index=concept_index)
    for episode in (short, long):
        client.get(episode.url)  # warm the site cache and make the photos' renditions

    counts = {}
    for name, episode in (("short", short), ("long", long)):
        caches["default"].clear()  # photos' renditions too: a cold cache must not cost a query per photo
        with CaptureQueriesContext(connection) as queries:
            response = client.get(episode.url)
        assert response.status_code == 200
        counts[name] = len(queries.captured_queries)

    html = response.content.decode()
    assert html.count("<p data-start-ms=") == 1200
    print("COUNTS", counts)
    assert counts["short"] == counts["long"], counts


def test_times_shown_to_listeners_are_whole_seconds():
    """A mention found at 10.468 s reads "0:10", like the ``?t=10`` link it opens (not "0:10.468")."""
    from episodes.templatetags.episodes_tags import timestamp

    assert timestamp(10_468) == "0:10"
    assert timestamp(3_725_900) == "1:02:05"
    assert timestamp(0) == "0:00"
    assert timestamp(None) == ""
