"""Template tags through which episode and interview pages show their audio's transcript."""

import hashlib

from django import template
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from pagecache.caching import remember

from ..formats import to_html, to_text
from ..models import Transcript

register = template.Library()

DOWNLOADS = [("vtt", "WebVTT captions"), ("srt", "SRT subtitles"), ("txt", "Plain text"), ("json", "JSON")]
# What a page needs of a segment: not its word timings, which are most of its size.
LINE_FIELDS = ("start_ms", "end_ms", "text", "speaker")
QUOTE_WORDS = 40


@register.simple_tag
def published_transcript(audio) -> Transcript | None:
    """The transcript the page playing ``audio`` shows (``Transcript.objects.shown_with``), or None.
    One query per page, however many tags ask: kept on the audio instance, which the page holds."""
    if audio is None:
        return None
    if not hasattr(audio, "_shown_transcript"):
        audio._shown_transcript = Transcript.objects.shown_with(audio)
    return audio._shown_transcript


def revision_tag(transcript_id: int) -> str:
    """The page cache's tag of what is made from this transcript's lines: a change of them purges it
    (``transcripts.purges``: every change of the lines calls ``transcript_changed``, which purges)."""
    return f"transcript:{transcript_id}"


def from_lines(transcript: Transcript, kind: str, build):
    """``build()``, made from the transcript's lines, kept beside the cached pages until the lines change
    (``pagecache.caching.remember``; built every time when the page cache is off). So a page the cache
    does not hold yet (a new query string, another host, a purge of the show's pages) is rendered without
    reading or formatting 600 lines again."""
    return remember(f"transcript-{kind}:{transcript.pk}", build, tags=(revision_tag(transcript.pk),))


def transcript_lines(transcript: Transcript | None) -> list[dict]:
    """The transcript's lines as dicts of LINE_FIELDS, in order: one query, however long the transcript,
    and only one per page (kept on the instance, which the page's audio holds), whoever asks."""
    if transcript is None:
        return []
    if not hasattr(transcript, "_page_lines"):
        transcript._page_lines = from_lines(
            transcript, "lines", lambda: list(transcript.segments.order_by("index").values(*LINE_FIELDS))
        )
    return transcript._page_lines


def transcript_html(transcript: Transcript) -> str:
    """The transcript as the page shows it (``formats.to_html``), for the player script (data-transcript)."""

    def build():
        lines = transcript_lines(transcript)
        if not lines:
            return ""
        # to_html escapes every value it writes (tested in test_format_writers).
        body = to_html(lines, language=transcript.language)
        return body.replace('<div class="transcript"', '<div class="transcript" data-transcript', 1)

    return from_lines(transcript, f"html:{transcript.language}", build)


def transcript_text(transcript: Transcript) -> str:
    """The transcript as plain text (``formats.to_text``), for search engines (JSON-LD)."""
    return from_lines(
        transcript,
        f"text:{transcript.language}",
        lambda: to_text(transcript_lines(transcript), language=transcript.language).strip(),
    )


@register.inclusion_tag("transcripts/includes/transcript.html")
def transcript_section(audio):
    transcript = published_transcript(audio)
    body = transcript_html(transcript) if transcript is not None else ""
    return {"transcript": transcript, "downloads": DOWNLOADS, "body": mark_safe(body)}  # noqa: S308


@register.simple_tag
def soundbite_quotes(soundbites, audio) -> list[tuple]:
    """``[(soundbite, quote), ...]``: each soundbite with what is said in it, from the published
    transcript ("" without one), cut to QUOTE_WORDS words. No query beyond the transcript's one; the quotes
    are kept with the transcript's other fragments (``from_lines``), per set of times."""
    bites = list(soundbites)
    transcript = published_transcript(audio)
    if transcript is None or not bites:
        return [(bite, "") for bite in bites]
    spans = [(bite.start_ms, bite.start_ms + (bite.duration_ms or 0)) for bite in bites]

    def build() -> list[str]:
        lines = transcript_lines(transcript)
        return [
            Truncator(
                " ".join(
                    line["text"].strip()
                    for line in lines
                    if line["start_ms"] < end and line["end_ms"] > start
                )
            ).words(QUOTE_WORDS)
            for start, end in spans
        ]

    times = hashlib.sha256(repr(spans).encode()).hexdigest()[:16]
    return list(zip(bites, from_lines(transcript, f"soundbites:{times}", build), strict=True))
