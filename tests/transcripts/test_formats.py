"""Transcript files, each read back by a real reader of its format: webvtt-py, srt, jsonschema, lxml.

AudioFiles are created without committing, so the on-commit transcription never runs here: each test makes
the Transcript and Segment rows it needs itself.
"""

import io
import json

import jsonschema
import pytest
import srt
import webvtt
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lxml_html
from wagtail.models import PageViewRestriction

from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from episodes.feeds import build_feed
from episodes.models import ShowPage
from transcripts.formats import (
    CUE_LINE_CHARS,
    CUE_LINES,
    FORMATS,
    parse_srt,
    parse_vtt,
    to_html,
    to_json,
    to_srt,
    to_text,
    to_vtt,
)
from transcripts.models import Segment, Transcript

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
HOSTILE = "Beware <script>alert('x')</script> & --> arrows"

LONG_TEXT = (
    "Shared decision making is a conversation in which the clinician brings the evidence and the "
    "patient brings what matters to them, and together they weigh every option on the table before "
    "anyone chooses, which takes longer than a prescription but lasts far better."
)
LONG_WORDS = LONG_TEXT.split(" ")


def seg(start_ms, end_ms, text, speaker="", words=None):
    return {"start_ms": start_ms, "end_ms": end_ms, "text": text, "speaker": speaker, "words": words or []}


def long_segment(start_ms=10_000, word_ms=400):
    """A segment too long for one cue, with Whisper-style word timings (leading spaces, small gaps)."""
    words = [
        [start_ms + n * word_ms, start_ms + n * word_ms + word_ms - 50, f" {word}", 0.9]
        for n, word in enumerate(LONG_WORDS)
    ]
    return seg(start_ms, start_ms + len(LONG_WORDS) * word_ms, " ".join(LONG_WORDS), words=words)


SHORT = [
    seg(0, 1234, "Welcome to the show.", speaker="Dr Amara Okafor"),
    seg(1234, 5678, "Thanks for having me.", speaker="Tomasz Wren"),
    seg(5678, 9001, "Let's begin without a named speaker."),
    seg(3_723_004, 3_725_999, HOSTILE, speaker="Ann <the host> & co"),
]


# ----------------------------------------------------------------------------------------------- WebVTT


def read_vtt(text):
    assert text.startswith("WEBVTT\n")
    return webvtt.from_string(text, strict=True).captions


def test_vtt_times_text_and_voices_read_back_by_webvtt_py():
    captions = read_vtt(to_vtt(SHORT))

    assert [(c.start_time.in_milliseconds(), c.end_time.in_milliseconds()) for c in captions] == [
        (s["start_ms"], s["end_ms"]) for s in SHORT
    ]
    assert captions[3].start == "01:02:03.004"
    assert [c.voice for c in captions] == [
        "Dr Amara Okafor",
        "Tomasz Wren",
        None,
        "Ann &lt;the host&gt; &amp; co",
    ]
    assert captions[0].text == "Welcome to the show."
    # The hostile text stays text: escaped, so no tag, and no "-->" that would start a cue.
    assert captions[3].raw_text == (
        "<v Ann &lt;the host&gt; &amp; co>"
        "Beware &lt;script&gt;alert('x')&lt;/script&gt; &amp; --&gt; arrows</v>"
    )


def test_vtt_splits_a_long_segment_into_cues_of_two_short_lines_at_word_times():
    segment = long_segment()
    word_starts = {w[0] for w in segment["words"]}

    captions = read_vtt(to_vtt([segment]))

    assert len(captions) >= 3
    for caption in captions:
        lines = caption.text.split("\n")
        assert 1 <= len(lines) <= CUE_LINES
        assert all(0 < len(line) <= CUE_LINE_CHARS for line in lines)
    assert " ".join(c.text.replace("\n", " ") for c in captions) == segment["text"]
    assert captions[0].start_time.in_milliseconds() == segment["start_ms"]
    assert captions[-1].end_time.in_milliseconds() == segment["end_ms"]
    for before, after in zip(captions, captions[1:], strict=False):
        start = after.start_time.in_milliseconds()
        assert before.end_time.in_milliseconds() == start  # no gap: the captions do not blink
        assert start in word_starts  # a cue starts when its first word is spoken
        first_word = after.text.split()[0]
        assert next(w for w in segment["words"] if w[0] == start)[2].strip() == first_word


def test_vtt_times_an_edited_long_segment_by_its_text_when_words_no_longer_match():
    segment = long_segment()
    segment["text"] = segment["text"].replace("Shared", "Joint")  # corrected after transcription

    captions = read_vtt(to_vtt([segment]))

    assert len(captions) >= 3
    assert captions[0].text.startswith("Joint decision")
    starts = [c.start_time.in_milliseconds() for c in captions]
    assert starts == sorted(starts)
    assert segment["start_ms"] == starts[0] < starts[1] < captions[-1].end_time.in_milliseconds()
    assert captions[-1].end_time.in_milliseconds() == segment["end_ms"]


def test_vtt_keeps_a_speaker_on_every_cue_of_a_split_segment():
    segment = {**long_segment(), "speaker": "Tomasz Wren"}
    captions = read_vtt(to_vtt([segment]))
    assert len(captions) > 1
    assert {c.voice for c in captions} == {"Tomasz Wren"}


@given(
    st.lists(
        st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zl", "Zp"]), max_size=400),
        min_size=1,
        max_size=5,
    )
)
def test_vtt_of_any_text_reads_back_as_the_same_words_in_short_lines(texts):
    segments = [seg(n * 10_000, n * 10_000 + 9_000, text) for n, text in enumerate(texts)]
    expected = " ".join(" ".join(text.split()) for text in texts if text.split())
    if not expected:
        return
    captions = read_vtt(to_vtt(segments))
    for caption in captions:
        assert len(caption.lines) <= CUE_LINES
    parsed = parse_vtt(to_vtt(segments))
    assert " ".join(s["text"] for s in parsed).replace(" ", "") == expected.replace(" ", "")


# -------------------------------------------------------------------------------------------------- SRT


def test_srt_read_back_by_srt_parse():
    subtitles = list(srt.parse(to_srt(SHORT)))

    assert [s.index for s in subtitles] == [1, 2, 3, 4]
    assert [(s.start.total_seconds() * 1000, s.end.total_seconds() * 1000) for s in subtitles] == [
        (s["start_ms"], s["end_ms"]) for s in SHORT
    ]
    assert subtitles[0].content == "Dr Amara Okafor: Welcome to the show."
    assert subtitles[2].content == "Let's begin without a named speaker."
    assert subtitles[3].content == f"Ann <the host> & co: {HOSTILE}"


def test_srt_splits_long_segments_like_vtt():
    subtitles = list(srt.parse(to_srt([long_segment()])))
    assert len(subtitles) >= 3
    for subtitle in subtitles:
        lines = subtitle.content.split("\n")
        assert len(lines) <= CUE_LINES
        assert all(len(line) <= CUE_LINE_CHARS for line in lines)


# ------------------------------------------------------------------------------------------------- JSON

PODCAST_JSON_SCHEMA = {
    "type": "object",
    "required": ["version", "segments"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": "1.0.0"},
        "segments": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["startTime", "endTime", "body"],
                "additionalProperties": False,
                "properties": {
                    "speaker": {"type": "string", "minLength": 1},
                    "startTime": {"type": "number", "minimum": 0},
                    "endTime": {"type": "number", "minimum": 0},
                    "body": {"type": "string"},
                },
            },
        },
    },
}


def test_json_is_a_podcasting_transcript_with_one_entry_per_segment():
    segments = [*SHORT, long_segment(20_000)]
    document = json.loads(to_json(segments))

    jsonschema.validate(document, PODCAST_JSON_SCHEMA)
    entries = document["segments"]
    assert len(entries) == len(segments)
    assert [(round(e["startTime"] * 1000), round(e["endTime"] * 1000)) for e in entries] == [
        (s["start_ms"], s["end_ms"]) for s in segments
    ]
    assert [e.get("speaker") for e in entries] == [s["speaker"] or None for s in segments]
    assert [e["body"] for e in entries] == [s["text"] for s in segments]


def test_json_schema_in_this_test_rejects_a_string_time():
    document = json.loads(to_json(SHORT))
    document["segments"][0]["startTime"] = "0.0"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, PODCAST_JSON_SCHEMA)


# ------------------------------------------------------------------------------------------------- HTML


def test_html_fragment_has_times_speakers_and_escaped_text():
    fragment = lxml_html.fragment_fromstring(to_html(SHORT, language="en"))

    assert fragment.get("lang") == "en"
    paragraphs = fragment.findall("p")
    assert len(paragraphs) == len(SHORT)
    assert [p.find("time").get("datetime") for p in paragraphs] == [
        "PT0S",
        "PT1.234S",
        "PT5.678S",
        "PT3723.004S",
    ]
    assert paragraphs[3].find("time").text == "1:02:03"
    assert paragraphs[0].text_content() == "0:00 Dr Amara Okafor: Welcome to the show."
    assert paragraphs[2].text_content() == "0:05 Let's begin without a named speaker."
    # Hostile text and speaker are text, not markup.
    assert fragment.xpath("//script") == []
    assert paragraphs[3].text_content() == f"1:02:03 Ann <the host> & co: {HOSTILE}"


# ------------------------------------------------------------------------------------------- plain text


def test_plain_text_names_each_new_speaker():
    segments = [
        seg(0, 1, "Hello.", "Ann"),
        seg(1, 2, "  Still   me. ", "Ann"),
        seg(2, 3, "Hi Ann.", "Ben"),
        seg(3, 4, "Nobody said this."),
    ]
    assert to_text(segments) == "Ann: Hello.\nStill me.\n\nBen: Hi Ann.\nNobody said this.\n"


# ---------------------------------------------------------------------------------------------- parsers


def comparable(segments):
    return [(s["start_ms"], s["end_ms"], s["text"], s["speaker"]) for s in segments]


def test_parse_vtt_imports_what_to_vtt_writes():
    parsed = parse_vtt(to_vtt(SHORT))
    assert comparable(parsed) == comparable(SHORT)
    assert [s["index"] for s in parsed] == [0, 1, 2, 3]


def test_parse_srt_imports_what_to_srt_writes():
    plain = [{**s, "speaker": ""} for s in SHORT]  # SRT has no speaker markup to read back
    assert comparable(parse_srt(to_srt(plain))) == comparable(plain)


def test_parsers_import_a_split_segment_as_its_cues():
    segment = long_segment()
    for parse, write in ((parse_vtt, to_vtt), (parse_srt, to_srt)):
        parsed = parse(write([segment]))
        assert len(parsed) >= 3
        assert " ".join(s["text"] for s in parsed) == segment["text"]
        assert parsed[0]["start_ms"] == segment["start_ms"]
        assert parsed[-1]["end_ms"] == segment["end_ms"]


def test_parse_vtt_reads_a_file_from_elsewhere():
    text = (
        "\ufeffWEBVTT - made by hand\n\nNOTE a comment\n\nintro\n00:01.500 --> 00:04.000 align:start\n"
        "<v.loud Ann>Hello <b>there</b>,\nfriends &amp; family.\n\n00:04.000 --> 00:05.000\nBye.\n"
    )
    assert comparable(parse_vtt(text)) == [
        (1500, 4000, "Hello there, friends & family.", "Ann"),
        (4000, 5000, "Bye.", ""),
    ]


def test_parse_srt_drops_formatting_but_keeps_angle_brackets_that_are_text():
    text = "1\n00:00:01,000 --> 00:00:02,500\n<i>Hello</i> {\\an8}a < b > c\n\n"
    assert comparable(parse_srt(text)) == [(1000, 2500, "Hello a < b > c", "")]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "WEBVTT\n",  # no cues
        "Hello\n\n00:00:01.000 --> 00:00:02.000\nNo header\n",
        "WEBVTT\n\n00:00:xx.000 --> 00:00:02.000\nBad time\n",
        "WEBVTT\n\n00:00:03.000 --> 00:00:02.000\nEnds before it starts\n",
        "1\n00:00:01,000 --> 00:00:02,000\nAn SRT file\n",
    ],
)
def test_parse_vtt_rejects_malformed_input(text):
    with pytest.raises(ValueError, match="WebVTT"):
        parse_vtt(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "just some words\n",
        "1\n00:00:01,000 -> 00:00:02,000\nBad arrow\n",
        "1\n00:00:03,000 --> 00:00:02,000\nEnds before it starts\n",
    ],
)
def test_parse_srt_rejects_malformed_input(text):
    with pytest.raises(ValueError, match="SRT"):
        parse_srt(text)


def test_formats_table_names_each_writer_and_mime_type():
    assert {ext: mime for ext, (mime, _) in FORMATS.items()} == {
        "vtt": "text/vtt",
        "srt": "application/x-subrip",
        "json": "application/json",
        "html": "text/html",
        "txt": "text/plain",
    }
    assert [writer for _, writer in FORMATS.values()] == [to_vtt, to_srt, to_json, to_html, to_text]


# ------------------------------------------------------------------------------------------------ views


@pytest.fixture
def show(home_page):
    show = ShowPageFactory(parent=home_page)
    show.save_revision().publish()
    return ShowPage.objects.get(pk=show.pk)


def transcribed_episode(show, audio_dir, segments=SHORT, status=Transcript.DONE):
    audio = AudioFileFactory(path=audio_dir / "tone.mp3")
    episode = EpisodePageFactory(parent=show, audio=audio)
    transcript = Transcript.objects.create(
        audio=audio, status=status, audio_sha256=audio.sha256, language="en"
    )
    Segment.objects.bulk_create(Segment(transcript=transcript, index=n, **s) for n, s in enumerate(segments))
    return episode, transcript


def file_url(transcript, ext):
    return reverse("transcripts:file", kwargs={"pk": transcript.pk, "extension": ext})


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("ext", "content_type"),
    [
        ("vtt", "text/vtt; charset=utf-8"),
        ("srt", "application/x-subrip"),
        ("json", "application/json"),
        ("html", "text/html; charset=utf-8"),
        ("txt", "text/plain; charset=utf-8"),
    ],
)
def test_view_serves_each_format_with_cors_and_public_caching(client, show, audio_dir, ext, content_type):
    _, transcript = transcribed_episode(show, audio_dir)

    response = client.get(file_url(transcript, ext))

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response.content.decode() == FORMATS[ext][1](SHORT, language="en")


@pytest.mark.django_db
def test_view_answers_304_to_a_matching_etag_and_changes_etag_with_the_text(client, show, audio_dir):
    _, transcript = transcribed_episode(show, audio_dir)
    url = file_url(transcript, "vtt")
    etag = client.get(url)["ETag"]

    not_modified = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["Access-Control-Allow-Origin"] == "*"

    transcript.segments.filter(index=0).update(text="Welcome back to the show.")
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert (
        webvtt.from_buffer(io.StringIO(changed.content.decode())).captions[0].text
        == "Welcome back to the show."
    )


@pytest.mark.django_db
def test_view_hides_the_transcript_of_an_unpublished_episode(client, show, audio_dir):
    episode, transcript = transcribed_episode(show, audio_dir)
    assert client.get(file_url(transcript, "vtt")).status_code == 200

    episode.unpublish()

    assert client.get(file_url(transcript, "vtt")).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Transcript.QUEUED, Transcript.RUNNING, Transcript.FAILED])
def test_view_serves_only_finished_transcripts(client, show, audio_dir, status):
    _, transcript = transcribed_episode(show, audio_dir, status=status)
    assert client.get(file_url(transcript, "vtt")).status_code == 404


@pytest.mark.django_db
def test_view_hides_a_transcript_of_replaced_audio(client, show, audio_dir):
    _, transcript = transcribed_episode(show, audio_dir)
    Transcript.objects.filter(pk=transcript.pk).update(audio_sha256="0" * 64)
    assert client.get(file_url(transcript, "vtt")).status_code == 404


@pytest.mark.django_db
def test_view_keeps_a_restricted_episodes_transcript_private(client, show, audio_dir, django_user_model):
    episode, transcript = transcribed_episode(show, audio_dir)
    PageViewRestriction.objects.create(page=episode, restriction_type="password", password="secret")
    url = file_url(transcript, "vtt")
    assert client.get(url).status_code == 404

    client.force_login(django_user_model.objects.create_superuser("editor", "e@example.org", "pw"))
    response = client.get(url)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"


# ------------------------------------------------------------------------------------------------- feed


def transcript_tags(content):
    return etree.fromstring(content).findall(f".//item/{{{PODCAST_NS}}}transcript")


@pytest.mark.django_db
def test_feed_lists_each_transcript_format_of_a_finished_transcript(client, show, audio_dir):
    _, transcript = transcribed_episode(show, audio_dir)
    transcribed_episode(show, audio_dir, status=Transcript.RUNNING)

    tags = transcript_tags(build_feed(show))

    root = "http://localhost"
    assert [(t.get("url"), t.get("type"), t.get("language"), t.get("rel")) for t in tags] == [
        (f"{root}/transcripts/{transcript.pk}.vtt", "text/vtt", "en", "captions"),
        (f"{root}/transcripts/{transcript.pk}.srt", "application/x-subrip", "en", "captions"),
        (f"{root}/transcripts/{transcript.pk}.json", "application/json", "en", None),
        (f"{root}/transcripts/{transcript.pk}.html", "text/html", "en", None),
    ]
    for tag in tags:  # each link answers with what it says it is
        response = client.get(tag.get("url").removeprefix(root))
        assert response.status_code == 200
        assert response["Content-Type"].split(";")[0] == tag.get("type")


@pytest.mark.django_db
def test_feed_transcript_links_cost_the_same_queries_for_2_and_6_episodes(home_page, audio_dir):
    counts = {}
    for count in (2, 6):
        show = ShowPageFactory(parent=home_page)
        for _ in range(count):
            transcribed_episode(show, audio_dir, segments=SHORT[:1])
        show = ShowPage.objects.get(pk=show.pk)
        build_feed(show)  # warm Wagtail's site-root cache, as a running site has it
        with CaptureQueriesContext(connection) as captured:
            content = build_feed(show)
        assert len(transcript_tags(content)) == 4 * count
        counts[count] = len(captured)
    assert counts[2] == counts[6], counts
