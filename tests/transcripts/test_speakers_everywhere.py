"""Who said it, everywhere a transcript is shown or quoted: the files (WebVTT, SRT, JSON, HTML, text), the
episode and interview pages, search results, concept moments and learning-path quotes, all read from
``Segment.speaker``; a rename reaches every one of them (and the cached page); hostile names stay text;
and the transcript's speakers are checked against the page's people (``podcast:person`` in the feed).

The transcript used throughout: two named speakers (a host and a guest), one diarization label nobody has
named yet ("SPEAKER 3", shown as it is) and one line that names nobody (shown with no name).
"""

import html
import json
import re

import pytest
import srt
import webvtt
from bs4 import BeautifulSoup
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lxml_html

from concepts.factories import ConceptIndexPageFactory, ConceptPageFactory
from concepts.linking import link_transcript
from concepts.models import LearningPathPage, LearningPathStep
from episodes.factories import (
    AudioFileFactory,
    EpisodePageFactory,
    InterviewIndexPageFactory,
    InterviewPageFactory,
    PersonFactory,
    ShowPageFactory,
)
from episodes.models import EpisodePerson, InterviewPerson, ShowHost
from search.indexing import index_transcript
from tests.transcripts.transcript_samples import long_segment, seg
from transcripts.editing import rename_speaker
from transcripts.formats import cues, parse_vtt, to_html, to_json, to_srt, to_text, to_vtt
from transcripts.models import Segment, Transcript
from transcripts.speaker_checks import check_speakers, page_people, speaker_problems
from transcripts.wagtail_hooks import warn_about_speakers

HOST, GUEST, LABEL = "Tomasz Wren", "Dr Amara Okafor", "SPEAKER 3"
AT_12_34 = 754_000  # 12:34

LINES = [
    seg(0, 3000, "Welcome back to the clinic corner.", HOST),
    seg(3000, 6000, "Today we talk about choosing treatment together.", HOST),
    seg(6000, 9000, "Thank you for having me here.", GUEST),
    seg(9000, 12000, "A good consultation sets out every option.", GUEST),
    seg(12000, 15000, "My grandmother kept a notebook of questions.", LABEL),
    seg(15000, 17000, "Music plays under the voices."),
    seg(AT_12_34, AT_12_34 + 3000, "That notebook is coproduction in practice.", GUEST),
]
# The speaker of each line, and of each turn (a change of speaker), as every format should name them.
SPEAKERS = [HOST, HOST, GUEST, GUEST, LABEL, "", GUEST]
TURNS = [HOST, GUEST, LABEL, "", GUEST]


# ------------------------------------------------------------------------------------------------ files


def test_every_format_names_each_lines_speaker_and_nobody_for_an_unnamed_line():
    captions = webvtt.from_string(to_vtt(LINES), strict=True).captions
    assert [c.voice or "" for c in captions] == SPEAKERS
    assert captions[5].raw_text == "Music plays under the voices."  # no voice span at all

    subtitles = list(srt.parse(to_srt(LINES)))
    assert [s.content for s in subtitles] == [
        f"{line['speaker']}: {line['text']}" if line["speaker"] else line["text"] for line in LINES
    ]

    entries = json.loads(to_json(LINES))["segments"]
    assert [e.get("speaker", "") for e in entries] == SPEAKERS
    assert "speaker" not in entries[5]  # absent, not "", for a line that names nobody

    fragment = lxml_html.fragment_fromstring(to_html(LINES))
    turns = fragment.xpath("./div[@class='transcript-turn']")
    assert [turn.xpath("string(p[@class='transcript-speaker'])") for turn in turns] == TURNS
    assert [len(turn.xpath("p[@data-start-ms]")) for turn in turns] == [2, 2, 1, 1, 1]

    assert to_text(LINES).splitlines() == [
        f"{HOST}: Welcome back to the clinic corner.",
        "Today we talk about choosing treatment together.",
        "",
        f"{GUEST}: Thank you for having me here.",
        "A good consultation sets out every option.",
        "",
        f"{LABEL}: My grandmother kept a notebook of questions.",
        "Music plays under the voices.",
        "",
        f"{GUEST}: That notebook is coproduction in practice.",
    ]


def test_a_cue_never_claims_one_speaker_for_the_words_of_two():
    """A long segment split into several cues, then a change of speaker: every cue lies within one
    segment and names that segment's speaker (a cue that ran on into the next speaker's words would name
    the wrong person for them)."""
    first = {**long_segment(0), "speaker": GUEST}
    segments = [first, seg(first["end_ms"], first["end_ms"] + 2500, "Yes, exactly that.", HOST)]

    made = cues(segments)

    assert len(made) > 2
    for cue in made:
        owner = next(s for s in segments if s["start_ms"] <= cue.start_ms < s["end_ms"])
        assert cue.end_ms <= owner["end_ms"]
        assert cue.speaker == owner["speaker"]
    assert [c.voice for c in webvtt.from_string(to_vtt(segments)).captions][-2:] == [GUEST, HOST]


HOSTILE_NAMES = [
    "<script>alert('x')</script>",
    "Ann --> 00:00:09.000",
    "Eve\n\n2\n00:00:05,000 --> 00:00:09,000\nMallory",
    "Eve><v Mallory>",
    "</v><c.loud>Mallory",
    "<i>Ital</i> &amp; <font color=red>Co</font>",
    "  Spaced\tout\r\nname  ",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_speaker_name_stays_one_name_of_text_in_every_format(name):
    """Input: a speaker made of HTML, a cue arrow, blank lines and a cue of its own, a ``<v`` span, SRT
    formatting tags, stray whitespace. Each format still has exactly the two cues or entries written, the
    name comes back as one line of text (whitespace collapsed), and nothing of it is read as markup."""
    segments = [seg(0, 2000, "First line.", name), seg(2000, 4000, "Second line.", "Ben")]
    expected = " ".join(name.split())

    vtt = to_vtt(segments)
    captions = webvtt.from_string(vtt, strict=True).captions
    assert len(captions) == 2 and vtt.count("<v ") == 2 and vtt.count("-->") == 2
    assert html.unescape(captions[0].voice) == expected
    assert [s["speaker"] for s in parse_vtt(vtt)] == [expected, "Ben"]

    subtitles = list(srt.parse(to_srt(segments)))
    assert [s.index for s in subtitles] == [1, 2]
    first = subtitles[0].content
    assert "\n" not in first and "-->" not in first and "<" not in first and ">" not in first
    assert first.endswith(": First line.")

    entries = json.loads(to_json(segments))["segments"]
    assert [e["speaker"] for e in entries] == [expected, "Ben"]

    fragment = lxml_html.fragment_fromstring(to_html(segments))
    assert {el.tag for el in fragment.iter()} <= {"div", "p", "time"}
    assert fragment.xpath("string(.//p[@class='transcript-speaker'])") == expected

    assert to_text(segments).splitlines()[0] == f"{expected}: First line."


@given(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60))
def test_any_speaker_name_reads_back_from_webvtt_as_itself(name):
    segments = [seg(0, 2000, "Hello there.", name)]
    expected = " ".join(name.split())
    assert [s["speaker"] for s in parse_vtt(to_vtt(segments))] == [expected]
    assert len(list(srt.parse(to_srt(segments)))) == 1


# ------------------------------------------------------------------------------------------------ pages


@pytest.fixture
def world(home_page, audio_dir):
    """A show hosted by the host, an episode with the guest among its people and the transcript above, a
    concept said in the last line, a learning path over the guest's turn, and an interview of the same
    audio."""
    host, guest = PersonFactory(name=HOST), PersonFactory(name=GUEST)
    show = ShowPageFactory(parent=home_page, title="The Power of Coproduction")
    ShowHost.objects.create(page=show, person=host)
    audio = AudioFileFactory(path=audio_dir / "tone.mp3")
    episode = EpisodePageFactory(parent=show, audio=audio, title="A notebook for the clinic")
    EpisodePerson.objects.create(page=episode, person=guest, role="guest")
    transcript = Transcript.objects.create(
        audio=audio, status=Transcript.DONE, audio_sha256=audio.sha256, language="en"
    )
    Segment.objects.bulk_create(
        Segment(
            transcript=transcript, index=i, **{k: line[k] for k in ("start_ms", "end_ms", "text", "speaker")}
        )
        for i, line in enumerate(LINES)
    )
    index_transcript(transcript.pk)
    concepts = ConceptIndexPageFactory(parent=home_page)
    coproduction = ConceptPageFactory(parent=concepts, title="Coproduction", definition="Working together.")
    link_transcript(transcript.pk)
    path = LearningPathPage(title="Who decides", slug="who-decides")
    concepts.add_child(instance=path)
    LearningPathStep.objects.create(page=path, sort_order=0, target=episode, start_ms=6000, end_ms=14000)
    interviews = InterviewIndexPageFactory(parent=home_page)
    interview = InterviewPageFactory(parent=interviews, audio=audio, title="The notebook, in writing")
    InterviewPerson.objects.create(page=interview, person=guest, role="guest")
    return {
        "show": show,
        "episode": episode,
        "interview": interview,
        "transcript": transcript,
        "concept": coproduction,
        "path": path,
        "host": host,
        "guest": guest,
    }


def transcript_turns(response) -> list[tuple[str, list[str]]]:
    """``[(speaker named at the turn's start, [line texts])]`` of the page's transcript."""
    box = BeautifulSoup(response.content, "html.parser").select_one("[data-transcript]")
    result = []
    for turn in box.select(".transcript-turn"):
        name = turn.select_one(".transcript-speaker")
        lines = [" ".join(p.get_text().split()[1:]) for p in turn.select("p[data-start-ms]")]
        result.append((name.get_text() if name else "", lines))
    return result


@pytest.mark.django_db
@pytest.mark.parametrize("which", ["episode", "interview"])
def test_the_page_names_the_speaker_at_each_change_of_speaker_only(client, world, which):
    turns = transcript_turns(client.get(world[which].url))

    assert [name for name, _ in turns] == TURNS
    assert [line for _, lines in turns for line in lines] == [line["text"] for line in LINES]
    # Not repeated on every line: each name appears once per turn, not in the lines themselves.
    assert all(name not in line for name, lines in turns if name for line in lines)


@pytest.mark.django_db
def test_search_shows_who_said_a_line_and_when(client, world):
    """ "Dr Amara Okafor, 12:34" for a named line, the label as it is, no name for a line without one; on
    whichever database runs the tests (SQLite FTS5 or PostgreSQL full text)."""
    page = client.get("/search/", {"q": "notebook"}).content.decode()
    assert f'<span class="said-by">{GUEST}, <time datetime="PT754S">12:34</time></span>' in page
    assert f'<span class="said-by">{LABEL}, <time datetime="PT12S">0:12</time></span>' in page

    found = client.get("/search/", {"q": "notebook", "format": "json"}).json()
    hits = {h["start_seconds"]: h["speaker"] for g in found["groups"] for h in g["results"] if g}
    assert hits[754.0] == GUEST and hits[12.0] == LABEL

    unnamed = client.get("/search/", {"q": "music voices"}).content.decode()
    assert ", at <time" in unnamed and "said-by" not in unnamed


@pytest.mark.django_db
def test_a_concept_moment_names_its_speaker(client, world):
    page = BeautifulSoup(client.get(world["concept"].url).content, "html.parser")
    moment = page.select_one("section.moments li")
    assert " ".join(moment.get_text().split()).startswith(f"{GUEST}, 12:34")
    assert moment.select_one(".said-by").get_text() == f"{GUEST}, "


@pytest.mark.django_db
def test_a_learning_path_quote_names_each_speaker_in_it(client, world):
    page = BeautifulSoup(client.get(world["path"].url).content, "html.parser")
    quote = page.select_one("blockquote.transcript-excerpt")
    assert [" ".join(p.get_text().split()) for p in quote.select("p")] == [
        f"{GUEST}: Thank you for having me here. A good consultation sets out every option.",
        f"{LABEL}: My grandmother kept a notebook of questions.",
    ]


@pytest.mark.django_db
def test_renaming_a_label_changes_every_format_the_cached_page_search_concepts_and_paths(
    client, world, settings, django_user_model, django_capture_on_commit_callbacks
):
    """The page cache on: the episode page is cached with the label, then the editor names it; the next
    visit is a miss (the rename purged the cache) that shows the name, as does every file, search, the
    learning path. Without the purge the cached page would still show the label."""
    settings.PAGE_CACHE_SECONDS, settings.PAGE_CACHE_MAX_AGE = 300, 60
    episode, transcript = world["episode"], world["transcript"]
    client.get(episode.url)
    cached = client.get(episode.url)
    assert cached["X-Cache"] == "hit" and LABEL in cached.content.decode()
    client.get("/search/", {"q": "grandmother"})  # the search scope is remembered too

    editor = django_user_model.objects.create_superuser("editor", "editor@example.org", "pw")
    with django_capture_on_commit_callbacks(execute=True):  # the purge waits for the commit, as in a request
        assert rename_speaker(transcript, LABEL, "Ruth  Mensah ", editor) == 1

    after = client.get(episode.url)
    assert after["X-Cache"] == "miss"
    assert [name for name, _ in transcript_turns(after)] == [HOST, GUEST, "Ruth Mensah", "", GUEST]
    files = {ext: client.get(f"/transcripts/{transcript.pk}.{ext}").content.decode() for ext in FILE_EXTS}
    assert "<v Ruth Mensah>My grandmother" in files["vtt"]
    assert "Ruth Mensah: My grandmother" in files["srt"]
    assert json.loads(files["json"])["segments"][4]["speaker"] == "Ruth Mensah"
    assert '<p class="transcript-speaker">Ruth Mensah</p>' in files["html"]
    assert "Ruth Mensah: My grandmother" in files["txt"]
    assert all(LABEL not in text for text in files.values())
    assert "Ruth Mensah, <time" in client.get("/search/", {"q": "grandmother"}).content.decode()
    assert "Ruth Mensah:" in client.get(world["path"].url).content.decode()


FILE_EXTS = ("vtt", "srt", "json", "html", "txt")


# ------------------------------------------------------------------------- speakers and podcast:person


@pytest.mark.django_db
def test_the_check_names_a_label_not_yet_named_then_a_stranger_then_a_person_never_heard(world):
    episode, transcript = world["episode"], world["transcript"]
    assert page_people(episode) == [(GUEST, "guest"), (HOST, "host")]

    problems = speaker_problems(episode)
    assert len(problems) == 1 and f"“{LABEL}” is not named yet" in problems[0]

    rename_speaker(transcript, LABEL, "Ruth Mensah", None)
    problems = speaker_problems(episode)
    assert len(problems) == 1 and "“Ruth Mensah”, not among the page's people" in problems[0]

    rename_speaker(transcript, "Ruth Mensah", "dr amara okafor", None)
    assert (
        "names “dr amara okafor” where the page's people have “Dr Amara Okafor”"
        in speaker_problems(episode)[0]
    )

    rename_speaker(transcript, "dr amara okafor", GUEST, None)
    rename_speaker(transcript, HOST, "Guest Host", None)
    problems = speaker_problems(episode)
    assert any("“Guest Host”, not among" in p for p in problems)
    assert any(f"“{HOST}” is among the page's people but never named" in p for p in problems)


@pytest.mark.django_db
def test_a_transcript_that_names_nobody_is_not_checked(world):
    """Not diarized, nobody named by hand: nothing to compare, so no warning about unheard people."""
    world["transcript"].segments.update(speaker="")
    assert speaker_problems(world["episode"]) == []
    assert check_speakers(None, [(GUEST, "guest")]).problems() == []


@pytest.mark.django_db
def test_once_mapped_the_json_speakers_are_the_feeds_podcast_person_names(client, world):
    """Naming the label after one of the episode's people (as Name speakers offers them): every speaker
    in the JSON transcript is then a podcast:person of the episode's feed item, written the same."""
    episode, transcript = world["episode"], world["transcript"]
    ruth = PersonFactory(name="Ruth Mensah")
    EpisodePerson.objects.create(page=episode, person=ruth, role="guest")
    rename_speaker(transcript, LABEL, ruth.name, None)

    feed = etree.fromstring(client.get(world["show"].feed_url()).content)
    ns = {"podcast": "https://podcastindex.org/namespace/1.0"}
    item = next(i for i in feed.iter("item") if i.findtext("title") == episode.title)
    persons = {p.text for p in item.findall("podcast:person", ns)}
    spoken = {
        e["speaker"]
        for e in json.loads(client.get(f"/transcripts/{transcript.pk}.json").content)["segments"]
        if "speaker" in e
    }

    assert spoken == {HOST, GUEST, "Ruth Mensah"}
    assert spoken <= persons
    assert speaker_problems(episode) == []


@pytest.mark.django_db
def test_the_editor_is_warned_on_the_edit_form_and_on_saving(client, world, django_user_model):
    episode = world["episode"]
    editor = django_user_model.objects.create_superuser("editor", "editor@example.org", "pw")
    client.force_login(editor)

    form = client.get(f"/admin/pages/{episode.pk}/edit/").content.decode()
    warning = BeautifulSoup(form, "html.parser").select_one("[data-speaker-checks]")
    assert warning is not None and LABEL in warning.get_text()

    request = RequestFactory().post("/")
    request.session, request.user = client.session, editor
    request._messages = FallbackStorage(request)
    warn_about_speakers(request, episode)
    assert [re.sub(r"\s+", " ", str(m)) for m in get_messages(request)][0].startswith(
        "Speakers and people do not agree:"
    )
