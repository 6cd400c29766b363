"""`javascript:` links, script tags and event handlers that editors (or Whisper) put in text never reach a
listener as markup: rich text is cleaned when the editor's input is converted, plain text is escaped when it
is written, on pages, in transcript files, in search results and in the feed.

Rich text is cleaned by Wagtail's converter from the editor's (Draftail) content to the stored HTML, which
keeps only the features a field allows and drops links whose scheme is not http(s), mailto, tel or ftp; the
tests post that content through the admin's own edit view or its widgets. Plain text (titles, summaries,
definitions, transcript lines and speakers, mention quotes) is stored as typed and escaped on output.
"""

import io
import json
import re

import feedparser
import podcastparser
import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from lxml import etree

from concepts.factories import ConceptIndexPageFactory, ConceptPageFactory
from concepts.models import ConceptPage
from episodes.blocks import AnswerBlock, InterviewBodyBlock
from episodes.factories import (
    AudioFileFactory,
    EpisodePageFactory,
    InterviewIndexPageFactory,
    InterviewPageFactory,
    ShowPageFactory,
)
from episodes.feeds import build_feed
from episodes.models import EpisodePage, InterviewIndexPage, ShowPage
from tests.episodes.admin_forms import episode_form_data
from transcripts.formats import FORMATS
from transcripts.models import Segment, Transcript
from website.models import FeedbackFormPage, HomePage

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script>'
IMG = '<img src=x onerror="alert(1)">'
# Links a browser would run, in the spellings that slip past naive filters.
HOSTILE_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "\x01javascript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
]
CDATA_BREAK = f"]]>{SCRIPT}<![CDATA["
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "data", "background"}
RUNNABLE = re.compile(r"^(javascript|vbscript|data:text/html)", re.I)


def active_markup(html: str) -> list[str]:
    """Everything in ``html`` a browser would run: scripts other than our JSON-LD and static files,
    event-handler attributes, and URL attributes with a runnable scheme (control characters and white
    space removed, as browsers do)."""
    found = []
    for tag in BeautifulSoup(html, "html.parser").find_all(True):
        if tag.name == "script":
            ours = tag.get("type") == "application/ld+json" or (
                tag.get("src", "").startswith("/static/") and not tag.get_text(strip=True)
            )
            if not ours:
                found.append(str(tag)[:120])
        for name, value in tag.attrs.items():
            value = " ".join(value) if isinstance(value, list) else value
            if name.lower().startswith("on"):
                found.append(f"<{tag.name} {name}=...>")
            elif name.lower() in URL_ATTRIBUTES and RUNNABLE.match(
                re.sub(r"[\x00-\x20\x7f-\xa0]+", "", value)
            ):
                found.append(f"<{tag.name} {name}={value!r}>")
    return found


def draftail(*urls: str) -> str:
    """What Draftail posts for a paragraph of script-like text per URL, each linked to that URL."""
    text = f"Read {SCRIPT} and {IMG} here"
    return json.dumps(
        {
            "blocks": [
                {
                    "key": f"b{i}",
                    "type": "unstyled",
                    "depth": 0,
                    "text": text,
                    "inlineStyleRanges": [],
                    "entityRanges": [{"offset": 0, "length": len(text), "key": i}],
                    "data": {},
                }
                for i in range(len(urls))
            ],
            "entityMap": {
                str(i): {"type": "LINK", "mutability": "MUTABLE", "data": {"url": url}}
                for i, url in enumerate(urls)
            },
        }
    )


def converted(widget, urls=HOSTILE_URLS) -> str:
    """The stored HTML that an editor's hostile content becomes through ``widget`` (the admin's path)."""
    return str(widget.value_from_datadict({"field": draftail(*urls)}, {}, "field"))


def assert_clean_rich_text(stored: str) -> None:
    assert "javascript" not in stored.lower() and "vbscript" not in stored.lower()
    assert "data:" not in stored and "<script" not in stored and "<img" not in stored
    assert "&lt;script&gt;" in stored  # the text the editor typed is kept, as text


@pytest.fixture
def show(home_page):
    return ShowPageFactory(parent=home_page)


@pytest.fixture
def audio(audio_dir):
    return AudioFileFactory(path=audio_dir / "tone.mp3")


def test_show_notes_posted_through_the_admin_lose_hostile_links_on_the_page_and_in_the_feed(
    admin_client, client, show, audio
):
    """Input: show notes whose links are javascript:, vbscript: and data: URLs in eight spellings and
    whose text is a script tag and an img with onerror, posted to the episode's edit view and published.
    Stored and rendered, the links have no href and the tags are text; the feed carries the same."""
    episode = EpisodePageFactory(parent=show, audio=audio)
    data = episode_form_data(title="Hostile notes", slug=episode.slug, audio=audio.pk, publish=True)
    data["show_notes"] = draftail(*HOSTILE_URLS, "https://example.org/safe")

    response = admin_client.post(reverse("wagtailadmin_pages:edit", args=[episode.pk]), data)

    assert response.status_code == 302, response.context["form"].errors if response.context else response
    stored = EpisodePage.objects.get(pk=episode.pk).show_notes
    assert_clean_rich_text(stored)
    assert stored.count("<a>") == len(HOSTILE_URLS) and '<a href="https://example.org/safe">' in stored
    page = client.get(episode.url).content.decode()
    assert active_markup(page) == []
    assert '<a href="https://example.org/safe">' in page

    feed = build_feed(ShowPage.objects.get(pk=show.pk))
    notes = etree.fromstring(feed).find("channel/item/{http://purl.org/rss/1.0/modules/content/}encoded").text
    assert active_markup(notes) == [] and '<a href="https://example.org/safe">' in notes


@pytest.mark.parametrize(
    "name,widget",
    [
        ("episode show notes", lambda: EpisodePage._meta.get_field("show_notes").formfield().widget),
        ("interview answer", lambda: AnswerBlock().child_blocks["text"].field.widget),
        ("interview paragraph", lambda: InterviewBodyBlock().child_blocks["paragraph"].field.widget),
        ("interview index intro", lambda: InterviewIndexPage._meta.get_field("intro").formfield().widget),
        ("concept body", lambda: ConceptPage._meta.get_field("body").formfield().widget),
        ("home intro", lambda: HomePage._meta.get_field("intro").formfield().widget),
        (
            "feedback thank-you text",
            lambda: FeedbackFormPage._meta.get_field("thank_you_text").formfield().widget,
        ),
    ],
)
def test_every_rich_text_field_drops_hostile_links_and_tags_from_the_editors_input(name, widget):
    """Input: the same hostile links and tags in each rich text field and block the site has, through the
    field's admin widget. Stored: links without href, tags as text."""
    stored = converted(widget())

    assert_clean_rich_text(stored)
    assert stored.count("<a>") == len(HOSTILE_URLS), stored


def test_interview_answers_and_paragraphs_render_clean(client, home_page):
    """Input: an interview whose answer and paragraph come from the admin's widgets with hostile links
    and tags, and whose question and pull quote are plain text with tags. The page has no active markup
    and shows the tags as text."""
    answer_widget = AnswerBlock().child_blocks["text"].field.widget
    paragraph_widget = InterviewBodyBlock().child_blocks["paragraph"].field.widget
    body = InterviewBodyBlock()
    interview = InterviewPageFactory(
        parent=InterviewIndexPageFactory(parent=home_page),
        title=f"Interview {SCRIPT}",
        intro=f"Intro {IMG}",
        body=body.to_python(
            [
                {"type": "question", "value": {"speaker": None, "text": f"Question {SCRIPT}"}},
                {"type": "answer", "value": {"speaker": None, "text": converted(answer_widget)}},
                {"type": "paragraph", "value": converted(paragraph_widget)},
                {
                    "type": "pull_quote",
                    "value": {"quote": f"Quote {IMG}", "attribution": SCRIPT, "time": None},
                },
            ]
        ),
    )

    page = client.get(interview.url).content.decode()

    assert active_markup(page) == []
    assert "Question &lt;script&gt;" in page and "Quote &lt;img src=x onerror=" in page


def test_transcript_lines_and_speakers_are_escaped_on_the_page_in_every_file_and_in_search(
    client, show, audio
):
    """Input: transcript lines and a speaker made of script and img tags, a javascript: link and a
    cue-breaking '-->'. The episode page, the VTT, SRT, JSON, text and HTML files and the search results
    have no active markup; the VTT and HTML escape the tags; the JSON gives the text back exactly."""
    episode = EpisodePageFactory(parent=show, audio=audio)
    transcript = Transcript.objects.create(
        audio=audio, status=Transcript.DONE, audio_sha256=audio.sha256, language="en"
    )
    line = f'Pharmacist {SCRIPT} {IMG} <a href="javascript:alert(1)">link</a> --> end'
    speaker = f"Ruth {IMG}"
    Segment.objects.create(
        transcript=transcript, index=0, start_ms=0, end_ms=2000, text=line, speaker=speaker
    )

    page = client.get(episode.url).content.decode()
    assert active_markup(page) == []
    assert "Pharmacist &lt;script&gt;" in page

    for extension in FORMATS:
        response = client.get(f"/transcripts/{transcript.pk}.{extension}")
        assert response.status_code == 200, extension
        body = response.content.decode()
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "default-src 'none'"
        if extension == "html":
            assert active_markup(body) == [] and "Pharmacist &lt;script&gt;" in body
        if extension == "vtt":  # cue text is markup in WebVTT: the tags must be escaped
            assert "<script" not in body and "<img" not in body and "<a " not in body
        if extension == "vtt":
            assert "--> end" not in body  # a cue's text cannot end the cue timing line
        if extension == "json":
            segments = json.loads(body)["segments"]
            assert [(s["body"], s["speaker"]) for s in segments] == [(line, speaker)]

    results = client.get("/search/", {"q": "pharmacist"}).content.decode()
    assert "Pharmacist" in results and active_markup(results) == []


def test_concept_definitions_and_mentions_are_escaped(client, home_page, show, audio):
    """Input: a concept whose title, definition and other names hold script and img tags. The concept
    page, the concept index, the search results and the episode that discusses it show them as text."""
    concept = ConceptPageFactory(
        parent=ConceptIndexPageFactory(parent=home_page),
        title=f"Pharmacy {SCRIPT}",
        definition=f"Deciding {IMG} together",
        other_names=f"PH {SCRIPT}",
        body=converted(ConceptPage._meta.get_field("body").formfield().widget),
    )

    for url in (concept.url, concept.get_parent().url):
        html = client.get(url).content.decode()
        assert active_markup(html) == [], url
        assert "Deciding &lt;img src=x onerror=&quot;alert(1)&quot;&gt; together" in html, url
    results = client.get("/search/", {"q": "pharmacy"}).content.decode()
    assert "Pharmacy &lt;script&gt;" in results and active_markup(results) == []


def test_the_feed_survives_cdata_breaks_and_carries_no_runnable_link(show, audio):
    """Input: an episode title, summary and show title that close a CDATA section and open a script
    (']]><script>...<![CDATA['), and show notes from the admin's widget with hostile links. The feed is
    well-formed, both feed parsers read the exact titles back, and no link, enclosure or description has
    a runnable URL or active markup."""
    notes = converted(EpisodePage._meta.get_field("show_notes").formfield().widget)
    ShowPage.objects.filter(pk=show.pk).update(
        title=f"Show {CDATA_BREAK}", description=f"About {CDATA_BREAK}"
    )
    EpisodePageFactory(
        parent=show, audio=audio, title=f"Ep {CDATA_BREAK}", summary=f"Sum {CDATA_BREAK}", show_notes=notes
    )

    content = build_feed(ShowPage.objects.get(pk=show.pk))

    root = etree.fromstring(content)
    assert root.findtext("channel/title") == f"Show {CDATA_BREAK}"
    assert root.findtext("channel/item/title") == f"Ep {CDATA_BREAK}"
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not RUNNABLE.match(re.sub(r"[\x00-\x20\x7f-\xa0]+", "", value)), (element.tag, name, value)
        if element.text and element.tag.rsplit("}", 1)[-1] in ("link", "url", "guid"):
            assert element.text.strip().startswith(("http://", "https://")) or element.tag.endswith("guid")
    for element in root.iter("{http://purl.org/rss/1.0/modules/content/}encoded"):
        assert active_markup(element.text or "") == [], element.text

    parsed = feedparser.parse(content)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.entries[0].title == f"Ep {CDATA_BREAK}"
    podcast = podcastparser.parse("http://testserver/feed.xml", io.BytesIO(content))
    assert podcast["title"] == f"Show {CDATA_BREAK}"
    assert podcast["episodes"][0]["title"] == f"Ep {CDATA_BREAK}"
    assert "javascript" not in json.dumps(podcast).lower()


def test_plain_text_in_a_feed_description_is_not_read_as_markup(show, audio):
    """Input: a show description and an episode summary holding a script tag. RSS readers and podcast
    apps treat <description> as HTML, so the decoded text must not hold a tag."""
    ShowPage.objects.filter(pk=show.pk).update(description=f"About {SCRIPT}")
    EpisodePageFactory(parent=show, audio=audio, summary=f"Sum {IMG}")

    root = etree.fromstring(build_feed(ShowPage.objects.get(pk=show.pk)))

    for element in root.iter("description"):
        assert active_markup(element.text or "") == [], element.text
