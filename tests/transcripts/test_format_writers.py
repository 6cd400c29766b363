"""Transcript files, each read back by a real reader of its format: webvtt-py, srt, jsonschema, lxml."""

import json

import jsonschema
import pytest
import srt
import webvtt
from hypothesis import given
from hypothesis import strategies as st
from lxml import html as lxml_html

from tests.transcripts.transcript_samples import HOSTILE, SHORT, long_segment, seg
from transcripts.formats import (
    CUE_LINE_CHARS,
    CUE_LINES,
    FORMATS,
    parse_vtt,
    to_html,
    to_json,
    to_srt,
    to_text,
    to_vtt,
)

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
    # SRT has no escaping: a name cannot open a tag (look-alike brackets); the text is kept as it is.
    assert subtitles[3].content == f"Ann ‹the host› & co: {HOSTILE}"


def test_srt_text_that_starts_like_cue_times_cannot_start_a_cue():
    """Input: a line of text that is a line of cue times. srt reads it back as text of one cue, and no line
    starts with an arrow a lax reader would take for a new cue's times."""
    subtitles = list(srt.parse(to_srt([seg(0, 2000, "00:00:05,000 --> 00:00:09,000 Fake")])))
    assert [s.content for s in subtitles] == ["00:00:05,000 → 00:00:09,000 Fake"]


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
    paragraphs = fragment.xpath(".//p[@data-start-ms]")
    assert len(paragraphs) == len(SHORT)
    assert [p.find("time").get("datetime") for p in paragraphs] == [
        "PT0S",
        "PT1.234S",
        "PT5.678S",
        "PT3723.004S",
    ]
    assert paragraphs[3].find("time").text == "1:02:03"
    assert paragraphs[0].text_content() == "0:00 Welcome to the show."
    assert paragraphs[2].text_content() == "0:05 Let's begin without a named speaker."
    # Each change of speaker is a turn, named once in text; the unnamed line's turn names nobody.
    turns = fragment.xpath("./div[@class='transcript-turn']")
    assert [[p.text_content() for p in turn.xpath("p[@class='transcript-speaker']")] for turn in turns] == [
        ["Dr Amara Okafor"],
        ["Tomasz Wren"],
        [],
        ["Ann <the host> & co"],
    ]
    # Hostile text and speaker are text, not markup.
    assert fragment.xpath("//script") == []
    assert paragraphs[3].text_content() == f"1:02:03 {HOSTILE}"


# ------------------------------------------------------------------------------------------- plain text


def test_plain_text_names_each_new_speaker():
    segments = [
        seg(0, 1, "Hello.", "Ann"),
        seg(1, 2, "  Still   me. ", "Ann"),
        seg(2, 3, "Hi Ann.", "Ben"),
        seg(3, 4, "Nobody said this."),
    ]
    assert to_text(segments) == "Ann: Hello.\nStill me.\n\nBen: Hi Ann.\nNobody said this.\n"


def test_formats_table_names_each_writer_and_mime_type():
    assert {ext: mime for ext, (mime, _) in FORMATS.items()} == {
        "vtt": "text/vtt",
        "srt": "application/x-subrip",
        "json": "application/json",
        "html": "text/html",
        "txt": "text/plain",
    }
    assert [writer for _, writer in FORMATS.values()] == [to_vtt, to_srt, to_json, to_html, to_text]
