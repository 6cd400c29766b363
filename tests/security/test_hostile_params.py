"""Whatever a visitor puts in a public URL, header or form, the site answers without a server error and
never echoes the input as markup.

Hypothesis generates, for every public query parameter and form field: any text (control characters,
NUL, every plane, right-to-left marks), very long values, numbers of every shape (huge, negative,
``nan``, ``1e999``) and markup (``<script>``, ``"><svg onload=...>``, ``javascript:``). Each response must
be below 500 (the test client also re-raises any exception from a view, which fails the test), and an HTML
response must not contain the markup raw. Lone surrogates are left out: a URL or form cannot carry them.
"""

import json
import re
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from concepts.factories import ConceptIndexPageFactory, ConceptPageFactory
from episodes.factories import (
    AudioFileFactory,
    EpisodePageFactory,
    InterviewIndexPageFactory,
    InterviewPageFactory,
    ShowPageFactory,
)
from episodes.models import Chapter
from transcripts.models import Segment, Transcript
from website.models import HONEYPOT_FIELD, FeedbackFormField, FeedbackFormPage

pytestmark = pytest.mark.django_db

PROPERTY = hypothesis_settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

MARKUP = [
    "<script>alert(7)</script>",
    '"><svg onload=alert(7)>',
    "'><img src=x onerror=alert(7)>",
    "javascript:alert(7)",
    "</textarea><script>alert(7)</script>",
    "]]><x>",
]
# What must never appear in an HTML response: the markup above as markup, not text.
RAW = re.compile(
    r"<script>alert\(7\)|<svg onload|<img src=x|(?:href|src|action)\s*=\s*[\"']?javascript:", re.I
)

any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["0", "-1", "1e999", "0x10", "1_000", "٣", "²", " 2 ", "2.5", "NaN", "99:99:99", "1:-1"]),
)
very_long = st.tuples(
    st.sampled_from(["a", "9", "<", "é", "%", "&", " ", "🙂"]), st.integers(2000, 12000)
).map(lambda pair: pair[0] * pair[1])
with_markup = st.tuples(any_text, st.sampled_from(MARKUP), any_text).map("".join)
values = st.one_of(any_text, numbers, very_long, with_markup)
# Parameters nobody asked for, besides the ones a view reads.
extra_params = st.dictionaries(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=8), values, max_size=3
)


def check(response, *, allowed=()):
    """The response is not a server error (but those ``allowed``), and an HTML one holds no raw markup
    from the input."""
    assert response.status_code < 500 or response.status_code in allowed, response.status_code
    if response.streaming:
        return
    body = response.content.decode("utf-8", errors="replace")
    if "html" in response.get("Content-Type", ""):
        assert not RAW.search(body), RAW.search(body).group(0)
    return body


class Pages(dict):
    """The site's pages and files by name (shown short when hypothesis reports a failing case)."""

    def __repr__(self):
        return "<site: " + ", ".join(self) + ">"


@pytest.fixture
def site(home_page, audio_dir):
    """One of every public page and file: show, episode with chapters and transcript, interview index and
    interview with audio, concept index and concept, and a feedback form with every field type."""
    show = ShowPageFactory(parent=home_page)
    audio = AudioFileFactory(path=audio_dir / "tone.mp3")
    episode = EpisodePageFactory(parent=show, audio=audio, show_notes="<p>Notes.</p>")
    Chapter.objects.create(page=episode, start_ms=0, title="Start")
    transcript = Transcript.objects.create(
        audio=audio, status=Transcript.DONE, audio_sha256=audio.sha256, language="en"
    )
    Segment.objects.create(transcript=transcript, index=0, start_ms=0, end_ms=2000, text="Hello there.")
    interviews = InterviewIndexPageFactory(parent=home_page)
    interview = InterviewPageFactory(parent=interviews, audio=AudioFileFactory(path=audio_dir / "tone.ogg"))
    concepts = ConceptIndexPageFactory(parent=home_page)
    concept = ConceptPageFactory(parent=concepts)
    feedback = FeedbackFormPage(title="We want to hear from you", slug="feedback")
    home_page.add_child(instance=feedback)
    for label, field_type, choices in FORM_FIELDS:
        FeedbackFormField.objects.create(
            page=feedback, label=label, field_type=field_type, choices=choices, required=field_type == "email"
        )
    feedback.save_revision().publish()
    return Pages(
        home=home_page,
        show=show,
        episode=episode,
        audio=audio,
        transcript=transcript,
        interviews=interviews,
        interview=interview,
        concepts=concepts,
        concept=concept,
        feedback=feedback,
        audio_bytes=(audio_dir / "tone.mp3").read_bytes(),
    )


FORM_FIELDS = [
    ("Your name", "singleline", ""),
    ("Email", "email", ""),
    ("Message", "multiline", ""),
    ("Age", "number", ""),
    ("Website", "url", ""),
    ("Agree", "checkbox", ""),
    ("Topics", "checkboxes", "Care\nTeaching"),
    ("Show", "dropdown", "One\nTwo"),
    ("Shows", "multiselect", "One\nTwo"),
    ("Rating", "radio", "Good\nBad"),
    ("Day", "date", ""),
    ("When", "datetime", ""),
]
FORM_NAMES = ["your_name", "email", "message", "age", "website", "agree", "topics", "show", "shows", "rating"]
FORM_NAMES += ["day", "when", HONEYPOT_FIELD]


def get(client, url, params):
    return check(client.get(url, params))


# Each group: the URL and the parameters its view reads; every request also carries unasked parameters.
PAGES = {
    "home": (lambda s: s["home"].url, ["page"]),
    "show": (lambda s: s["show"].url, ["page", "season"]),
    "episode": (lambda s: s["episode"].url, ["t"]),
    "interview index": (lambda s: s["interviews"].url, ["page"]),
    "interview": (lambda s: s["interview"].url, ["t"]),
    "concept index": (lambda s: s["concepts"].url, ["page"]),
    "concept": (lambda s: s["concept"].url, ["page"]),
    "feedback form": (lambda s: s["feedback"].url, []),
    "search": (lambda s: "/search/", ["q", "type", "show", "concept", "page", "format"]),
    "feed": (lambda s: f"/feeds/{s['show'].pk}.xml", []),
    "chapters": (lambda s: f"/chapters/{s['episode'].pk}.json", []),
    "transcript vtt": (lambda s: f"/transcripts/{s['transcript'].pk}.vtt", []),
    "transcript json": (lambda s: f"/transcripts/{s['transcript'].pk}.json", []),
    "embed": (lambda s: f"/embed/episodes/{s['episode'].pk}/", ["t"]),
    "sitemap": (lambda s: "/sitemap.xml", ["p", "page"]),
    "robots": (lambda s: "/robots.txt", []),
}


@pytest.mark.parametrize("name", PAGES)
@PROPERTY
@given(data=st.data())
def test_any_query_parameter_gives_a_page_never_an_error(client, site, name, data):
    """Input: any value for each parameter the page reads, plus unasked ones. Bad input gives the page
    (first page, no moment, no results) or a 4xx, never a 5xx or unescaped markup."""
    url_of, names = PAGES[name]
    params = data.draw(extra_params)
    params.update({key: data.draw(values, label=key) for key in names})
    body = get(client, url_of(site), params)
    if name == "search" and params.get("format") == "json" and body:
        assert len(json.loads(body)["query"]) <= 200


@PROPERTY
@given(url=values, maxwidth=values, maxheight=values, fmt=st.one_of(st.just("json"), values), moment=values)
def test_oembed_answers_any_url_and_size_with_json_or_a_client_error(
    client, site, url, maxwidth, maxheight, fmt, moment
):
    """Input: any url (also a real episode URL with any ?t=), maxwidth, maxheight and format. Bad input
    gives 400, 404 or 501; the iframe HTML it returns never carries markup from the input."""
    episode_url = site["episode"].get_full_url()
    for target in (url, f"{episode_url}?t={quote(moment)}"):
        response = client.get(
            "/oembed/", {"url": target, "maxwidth": maxwidth, "maxheight": maxheight, "format": fmt}
        )
        # oEmbed's own answer to a format it does not offer is 501 Not Implemented (oembed.com, 2.3.1).
        body = check(response, allowed=[501] if fmt != "json" else [])
        if response.status_code == 200:
            html = json.loads(body)["html"]
            assert not RAW.search(html)
            assert html.startswith('<iframe src="http')


@PROPERTY
@given(path=st.lists(any_text | with_markup, min_size=1, max_size=4))
def test_any_path_gives_a_page_or_not_found(client, site, path):
    """Input: any path under the site, under a page and under the app URLs. Unknown paths give 404 (or a
    redirect to the slash-ended URL), never a 5xx; the 404 page does not echo the path as markup."""
    tail = "/".join(quote(part, safe="") for part in path)
    for prefix in ("/", site["episode"].url, "/audio/1/", "/search/", "/embed/episodes/"):
        check(client.get(prefix + tail))


range_values = st.one_of(
    st.text(st.characters(max_codepoint=255, exclude_characters="\r\n"), max_size=40),
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(-(10**20), 10**20)),
            st.one_of(st.none(), st.integers(-(10**20), 10**20)),
        ),
        min_size=1,
        max_size=4,
    ).map(
        lambda ranges: (
            "bytes="
            + ",".join(f"{a if a is not None else ''}-{b if b is not None else ''}" for a, b in ranges)
        )
    ),
    st.tuples(st.sampled_from(["bytes=", "Bytes = ", "items=", "bytes=-", "bytes= "]), numbers).map("".join),
)
header_values = st.one_of(
    st.text(st.characters(max_codepoint=255, exclude_characters="\r\n"), max_size=40), numbers
)


@PROPERTY
@given(
    byte_range=range_values,
    if_range=st.one_of(st.none(), header_values),
    if_none_match=st.one_of(st.none(), header_values),
    if_modified_since=st.one_of(st.none(), header_values),
    method=st.sampled_from(["get", "head"]),
)
def test_any_range_header_gives_the_right_bytes_or_416(
    client, site, byte_range, if_range, if_none_match, if_modified_since, method
):
    """Input: any Range header (malformed, reversed, huge, negative, several ranges) with any If-Range,
    If-None-Match and If-Modified-Since. The answer is 200 with the whole file, 206 with exactly the bytes
    its Content-Range names, 304 or 416, never an error."""
    headers = {"Range": byte_range}
    for name, value in (
        ("If-Range", if_range),
        ("If-None-Match", if_none_match),
        ("If-Modified-Since", if_modified_since),
    ):
        if value is not None:
            headers[name] = value
    response = getattr(client, method)(site["audio"].url, headers=headers)
    check(response)
    # Reading a streamed body to its end closes the file (the test client wraps the iterator).
    content = b"".join(response.streaming_content) if response.streaming else response.content
    whole = site["audio_bytes"]
    assert response.status_code in (200, 206, 304, 416)
    if response.status_code == 206:
        start, end, size = map(
            int, re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", response["Content-Range"]).groups()
        )
        assert 0 <= start <= end < size == len(whole)
        assert int(response["Content-Length"]) == end - start + 1
        if method == "get":
            assert content == whole[start : end + 1]
    elif response.status_code == 200 and method == "get":
        assert content == whole
    elif response.status_code == 416:
        assert response["Content-Range"] == f"bytes */{len(whole)}"


@PROPERTY
@given(fields=st.fixed_dictionaries({}, optional=dict.fromkeys(FORM_NAMES, values)))
def test_any_feedback_submission_is_kept_refused_or_ignored_never_an_error(site, fields):
    """Input: any value (or none) for every field of the feedback form, the honeypot included, posted
    with CSRF checks on and a valid token. Bad input re-shows the form with its errors, escaped; a filled
    honeypot gives the thank-you page and keeps nothing."""
    client = Client(enforce_csrf_checks=True)
    url = site["feedback"].url
    client.get(url)
    response = client.post(url, {**fields, "csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    body = check(response)
    assert response.status_code == 200
    if fields.get(HONEYPOT_FIELD):
        assert "Thank you" in body
