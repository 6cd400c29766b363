"""Transcript files read back into segments: ours round-trip, others' are read, malformed ones refused."""

import pytest

from tests.transcripts.transcript_samples import SHORT, long_segment
from transcripts.formats import parse_srt, parse_vtt, to_srt, to_vtt

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
