"""`manage.py import_feed` brings an episode's transcript along (issue 19): a WebVTT, SRT or Podcasting 2.0
JSON file named by ``podcast:transcript`` becomes the episode's transcript, marked as imported, with the
speakers the file names, searchable and linked to concepts at once. A file that cannot be fetched or read
is a note, and the audio is queued for transcription instead. Every file comes from the local test server."""

import json

import pytest

from concepts.factories import ConceptIndexPageFactory, ConceptPageFactory
from concepts.models import Mention
from episodes.models import EpisodePage
from search.query import search
from tests.episodes.feed_server import import_feed
from transcripts.models import Transcript

pytestmark = pytest.mark.django_db

VTT = """WEBVTT

00:00:00.000 --> 00:00:01.500
<v Dr Amara Okafor>Coproduction means we plan

00:00:01.500 --> 00:00:02.800
<v Tomasz Wren>the ward round together.
"""

SRT = """1
00:00:00,000 --> 00:00:01,200
Teachback checks what stuck.

2
00:00:01,200 --> 00:00:02,500
Ask, then listen.
"""

# Word by word, as many hosts write it: joined into lines here, a new line at each change of speaker.
JSON_WORDS = [
    ("Sam", 0.0, 0.4, "Who"),
    ("Sam", 0.4, 0.7, "decides?"),
    ("Priya", 1.0, 1.3, "We"),
    ("Priya", 1.3, 1.7, "decide"),
    ("Priya", 1.7, 2.2, "together."),
]
JSON = {
    "version": "1.0.0",
    "segments": [
        {"speaker": who, "startTime": start, "endTime": end, "body": body}
        for who, start, end, body in JSON_WORDS
    ],
}

CHANNEL = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"
     xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>Ward Round</title><description>Talk from the ward.</description>
<itunes:owner><itunes:name>Jo</itunes:name><itunes:email>jo@example.org</itunes:email></itunes:owner>
{items}
</channel></rss>"""
ITEM = """<item><guid>{guid}</guid><title>{guid}</title>
<pubDate>Mon, 0{n} Mar 2026 09:00:00 GMT</pubDate>
<enclosure url="{root}/audio/{audio}" type="audio/mpeg"/>
<podcast:transcript url="{root}/transcripts/page.html" type="text/html"/>
<podcast:transcript url="{root}{transcript}" type="{type}" language="en"/>
</item>"""
EPISODES = [
    # guid, audio, transcript path, its type
    ("vtt", "tone.mp3", "/transcripts/one.vtt", "text/vtt"),
    ("srt", "tone.m4a", "/transcripts/two.srt", "application/srt"),
    ("json", "tone.ogg", "/transcripts/three.json", "application/json"),
    ("gone", "tone.flac", "/transcripts/gone.vtt", "text/vtt"),
    ("garbled", "tone.wav", "/transcripts/garbled.vtt", "text/vtt"),
]


@pytest.fixture
def old_host_with_transcripts(server, audio_dir):
    for _, audio, _, _ in EPISODES:
        server.add(f"/audio/{audio}", (audio_dir / audio).read_bytes(), "audio/mpeg")
    server.add("/transcripts/one.vtt", VTT.encode(), "text/vtt")
    server.add("/transcripts/two.srt", SRT.encode(), "application/srt")
    server.add("/transcripts/three.json", json.dumps(JSON).encode(), "application/json")
    server.add("/transcripts/garbled.vtt", b"WEBVTT\n\nthis is not a cue\n00:00 --> soon\n", "text/vtt")
    server.add("/transcripts/page.html", b"<p>The same, as a web page.</p>", "text/html")
    items = "".join(
        ITEM.format(guid=guid, n=n, root=server.root, audio=audio, transcript=path, type=kind)
        for n, (guid, audio, path, kind) in enumerate(EPISODES, start=1)
    )
    server.add("/feed.xml", CHANNEL.format(items=items).encode(), "application/rss+xml")
    return server


def rows(guid: str) -> list[tuple]:
    audio = EpisodePage.objects.get(guid=guid).audio
    return list(audio.transcript.segments.values_list("start_ms", "end_ms", "text", "speaker"))


def test_transcripts_come_along(old_host_with_transcripts, home_page, django_capture_on_commit_callbacks):
    coproduction = ConceptPageFactory(parent=ConceptIndexPageFactory(parent=home_page), title="Coproduction")
    server = old_host_with_transcripts
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        output = import_feed(server.url("/feed.xml"), "--publish")
    for callback in callbacks:
        callback()  # after the commit: search indexing, concept linking, transcription requests

    assert "5 imported" in output and "0 failed" in output
    assert rows("vtt") == [
        (0, 1500, "Coproduction means we plan", "Dr Amara Okafor"),
        (1500, 2800, "the ward round together.", "Tomasz Wren"),
    ]
    assert rows("srt") == [
        (0, 1200, "Teachback checks what stuck.", ""),
        (1200, 2500, "Ask, then listen.", ""),
    ]
    assert rows("json") == [(0, 700, "Who decides?", "Sam"), (1000, 2200, "We decide together.", "Priya")]
    for guid, _, path, _ in EPISODES[:3]:
        transcript = EpisodePage.objects.get(guid=guid).audio.transcript
        # Marked as imported (not transcribed), of this audio, and kept from automatic re-runs.
        assert transcript.status == Transcript.DONE and transcript.engine == "import"
        assert transcript.model == path.rsplit("/", 1)[1] and transcript.language == "en"
        assert transcript.audio_sha256 == transcript.audio.sha256 and transcript.edited
        assert f"transcript imported from {server.url(path)}" in output
    assert "speakers Dr Amara Okafor, Tomasz Wren" in output
    # Other formats stay links on the episode.
    assert EpisodePage.objects.get(guid="vtt").transcript_links.filter(mime_type="text/html").exists()
    assert server.gets("/transcripts/page.html") == 0

    # Searchable, and linked to concepts, at once.
    [moments] = search("teachback", kind="moments").groups
    assert moments.total == 1
    assert moments.hits[0].start_ms == 0 and "Teachback" in moments.hits[0].text
    assert Mention.objects.filter(concept=coproduction, page=EpisodePage.objects.get(guid="vtt")).exists()

    # A file that cannot be fetched or read: a note, and the audio is transcribed instead.
    gone = next(line for line in output.splitlines() if "/transcripts/gone.vtt not fetched" in line)
    assert "HTTP 404" in gone
    assert f"transcript {server.url('/transcripts/garbled.vtt')} not imported: " in output
    assert output.count("no transcript could be imported: the audio is queued for transcription") == 2
    for guid in ("gone", "garbled"):
        transcript = EpisodePage.objects.get(guid=guid).audio.transcript
        assert transcript.status == Transcript.QUEUED and transcript.engine == ""


def test_a_second_run_fetches_no_transcript_again(old_host_with_transcripts, home_page):
    server = old_host_with_transcripts
    import_feed(server.url("/feed.xml"))
    before = list(Transcript.objects.order_by("pk").values_list("pk", "status", "edited"))

    output = import_feed(server.url("/feed.xml"))

    assert "Nothing changed" in output
    assert list(Transcript.objects.order_by("pk").values_list("pk", "status", "edited")) == before
    assert server.gets("/transcripts/one.vtt") == server.gets("/transcripts/three.json") == 1
