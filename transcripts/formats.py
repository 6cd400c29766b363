"""A transcript's segments written out in the formats podcast apps, browsers and editors read, and read back.

Writers take any sequence of segments: ``Segment`` rows, or mappings with the same keys (what the parsers
return), so that an imported file can be checked or converted before anything is saved. Times are integer
milliseconds throughout, as on ``Segment``; each format's own time notation is made only here.

Caption formats (WebVTT, SRT) are cut into cues a person can read: at most ``CUE_LINES`` lines of at most
``CUE_LINE_CHARS`` characters, the usual subtitle guideline. A Whisper segment can run for thirty seconds, so
a long one becomes several cues, timed from its word timings when they still match its text (an editor may
have corrected the text since) and by the share of characters otherwise. The other formats keep one entry
per segment: they are read, not overlaid on the audio.

Speakers: every format reads ``Segment.speaker`` through ``speaker_name`` (one line, as typed), so that a
name is the same wherever it appears, and the same as the ``podcast:person`` it was mapped from. A cue never
spans two segments, so never two speakers: each cue names the one speaker of its segment. A label such as
"Speaker 1" is shown as it is; an empty speaker names nobody. The name is escaped in each format's own way
(WebVTT entities, HTML escaping, JSON strings); SRT has no escaping, so a name there cannot carry what SRT
players read as markup or as cue times.
"""

from __future__ import annotations

import html
import json
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import srt
import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from episodes.timecodes import format_timecode, split_ms

CUE_LINE_CHARS = 65
CUE_LINES = 2


class SegmentLike(Protocol):
    start_ms: int
    end_ms: int
    text: str
    speaker: str
    words: list  # [[start_ms, end_ms, text, probability], ...]


Segments = Iterable[SegmentLike | Mapping[str, Any]]


def _field(segment: SegmentLike | Mapping[str, Any], name: str, default: Any = None) -> Any:
    if isinstance(segment, Mapping):
        return segment.get(name, default)
    return getattr(segment, name, default)


def speaker_name(segment: SegmentLike | Mapping[str, Any]) -> str:
    """Who says the segment, on one line ("" when nobody is named): a name typed with a line break or
    doubled spaces is written the same way in every format, and cannot break a line or a cue."""
    return " ".join(str(_field(segment, "speaker") or "").split())


@dataclass(frozen=True)
class Cue:
    """One caption on screen: its time span, its lines (plain text, not yet escaped) and who speaks."""

    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    speaker: str = ""


# ---------------------------------------------------------------------------------------------- cutting cues


def _wrap(text: str) -> list[str]:
    return textwrap.wrap(text, CUE_LINE_CHARS, break_long_words=True, break_on_hyphens=False)


def _timed_tokens(segment: SegmentLike | Mapping[str, Any]) -> list[tuple[str, int, int]]:
    """The segment's words with their times, clamped into the segment.

    Word timings are used only when the words still spell the segment's text; otherwise (an edited
    segment, or none recorded) each word gets a share of the segment's time by its length.
    """
    start, end = int(_field(segment, "start_ms")), int(_field(segment, "end_ms"))
    end = max(end, start)
    text = " ".join((_field(segment, "text") or "").split())
    words = _field(segment, "words") or []
    tokens: list[tuple[str, int, int]] = []
    if words and " ".join(" ".join(str(w[2]) for w in words).split()) == text:
        for word in words:
            for piece in str(word[2]).split():
                w_start = min(max(int(word[0]), start), end)
                w_end = min(max(int(word[1]), w_start), end)
                tokens.append((piece, w_start, w_end))
    else:
        pieces = text.split()
        total = sum(len(p) + 1 for p in pieces) or 1
        done = 0
        for piece in pieces:
            p_start = start + (end - start) * done // total
            done += len(piece) + 1
            tokens.append((piece, p_start, start + (end - start) * done // total))

    # A "word" longer than a line (a URL, say) is cut into line-sized pieces sharing its time.
    cut: list[tuple[str, int, int]] = []
    for piece, p_start, p_end in tokens:
        if len(piece) <= CUE_LINE_CHARS:
            cut.append((piece, p_start, p_end))
            continue
        parts = [piece[i : i + CUE_LINE_CHARS] for i in range(0, len(piece), CUE_LINE_CHARS)]
        for n, part in enumerate(parts):
            span = p_end - p_start
            cut.append((part, p_start + span * n // len(parts), p_start + span * (n + 1) // len(parts)))
    return cut


def cues(segments: Segments) -> list[Cue]:
    """Cut segments into readable cues; a segment that fits in one cue stays whole."""
    result: list[Cue] = []
    for segment in segments:
        start, end = int(_field(segment, "start_ms")), int(_field(segment, "end_ms"))
        end = max(end, start)
        speaker = speaker_name(segment)  # the segment's one speaker: a cue never spans two segments
        tokens = _timed_tokens(segment)
        if not tokens:
            continue
        groups: list[list[tuple[str, int, int]]] = [[]]
        for token in tokens:
            candidate = [*groups[-1], token]
            if groups[-1] and len(_wrap(" ".join(t[0] for t in candidate))) > CUE_LINES:
                groups.append([token])
            else:
                groups[-1] = candidate
        # Each cue runs until the next one starts, so that the captions do not blink off between them.
        starts = [start] + [group[0][1] for group in groups[1:]]
        ends = starts[1:] + [end]
        for group, c_start, c_end in zip(groups, starts, ends, strict=True):
            lines = tuple(_wrap(" ".join(t[0] for t in group)))
            result.append(Cue(c_start, max(c_end, c_start), lines, speaker))
    return result


# -------------------------------------------------------------------------------------------------- writers


def _clock(ms: int, separator: str = ".") -> str:
    """A cue time as WebVTT writes it (``00:01:02.500``); SRT's is the same with a comma."""
    hours, minutes, seconds, millis = split_ms(ms)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def _vtt_escape(text: str) -> str:
    # WebVTT cue text has only these three escapes; escaping ">" also keeps "-->" out of a cue.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def to_vtt(segments: Segments, *, language: str = "") -> str:
    """WebVTT captions, written with webvtt-py: browsers' ``<track>`` and most podcast apps read these.

    A known speaker becomes a voice span (``<v Name>``), which players can show or style. webvtt-py writes
    cue lines as given, so the text is escaped here and the voice span added here.
    """
    captions = []
    for cue in cues(segments):
        lines = [_vtt_escape(line) for line in cue.lines]
        if cue.speaker:
            lines[0] = f"<v {_vtt_escape(cue.speaker)}>{lines[0]}"
            lines[-1] = f"{lines[-1]}</v>"
        captions.append(webvtt.Caption(_clock(cue.start_ms), _clock(cue.end_ms), lines))
    return webvtt.WebVTT(captions=captions).content


# What SRT readers take for the times of a new cue: a line that starts like "00:00:05,000 -->".
_SRT_ARROW = re.compile(r"--+>")
_SRT_TIMES_AT_START = re.compile(r"^\s*\d+:\d+:\d+[,.]\d+\s*--+>")


def _srt_line(line: str) -> str:
    """A cue's line as it is, unless it starts like a line of cue times, which a lax reader would take
    for a new cue: SRT has no escaping, so that line's arrow loses its shape ("-->" -> "→")."""
    return _SRT_ARROW.sub("→", line) if _SRT_TIMES_AT_START.match(line) else line


def _srt_speaker(name: str) -> str:
    """A speaker's name at the start of an SRT line: no arrow ("-->" -> "→"), and angle brackets as the
    look-alike ‹ › so that a name can never open a formatting tag (``<i>``, ``<font>``) or a voice span
    that players would apply to the line. A name has no markup of its own to lose."""
    return _SRT_ARROW.sub("→", name).replace("<", "‹").replace(">", "›")


def to_srt(segments: Segments, *, language: str = "") -> str:
    """SubRip captions, for players and editors that predate WebVTT. SRT has no voice markup, so a known
    speaker is named at the start of the cue's first line, as subtitlers do ("Ann: ...")."""
    subtitles = []
    for n, cue in enumerate(cues(segments), start=1):
        lines = [_srt_line(line) for line in cue.lines]
        if cue.speaker:
            lines[0] = f"{_srt_speaker(cue.speaker)}: {lines[0]}"
        subtitles.append(
            srt.Subtitle(
                index=n,
                start=timedelta(milliseconds=cue.start_ms),
                end=timedelta(milliseconds=cue.end_ms),
                content="\n".join(lines),
            )
        )
    return srt.compose(subtitles)


def to_json(segments: Segments, *, language: str = "") -> str:
    """The Podcasting 2.0 JSON transcript: one entry per segment, times in seconds as numbers."""
    entries = []
    for segment in segments:
        entry: dict[str, Any] = {}
        speaker = speaker_name(segment)
        if speaker:
            entry["speaker"] = speaker
        entry["startTime"] = int(_field(segment, "start_ms")) / 1000
        entry["endTime"] = int(_field(segment, "end_ms")) / 1000
        entry["body"] = _field(segment, "text") or ""
        entries.append(entry)
    return json.dumps({"version": "1.0.0", "segments": entries}, ensure_ascii=False, indent=1)


def _duration(ms: int) -> str:
    """An HTML valid duration string, e.g. ``PT83.250S``, for ``<time datetime>``."""
    seconds, millis = divmod(int(ms), 1000)
    return f"PT{seconds}.{millis:03d}S" if millis else f"PT{seconds}S"


def turns(segments: Segments) -> list[tuple[str, list]]:
    """``[(speaker, [segment, ...]), ...]``: runs of consecutive segments said by the same speaker ("" for
    segments that name nobody), in order. What pages show as one turn, the name once at its start."""
    result: list[tuple[str, list]] = []
    for segment in segments:
        speaker = speaker_name(segment)
        if result and result[-1][0] == speaker:
            result[-1][1].append(segment)
        else:
            result.append((speaker, [segment]))
    return result


def to_html(segments: Segments, *, language: str = "") -> str:
    """A small HTML fragment for pages and apps that show the transcript as text.

    Each segment is a paragraph starting with a ``<time>`` (machine-readable offset in ``datetime``), so
    screen readers announce where a line is and scripts can seek there. The lines of one speaker's turn are
    grouped (``<div class="transcript-turn">``) under a paragraph naming the speaker once, as a script
    names who speaks: in text, read in order by screen readers, not shown by style alone; a turn of lines
    that name nobody has no such paragraph. Every piece of text is escaped: segments come from Whisper and
    editors.
    """
    lang = f' lang="{html.escape(language)}"' if language else ""
    parts = [f'<div class="transcript"{lang}>']
    for speaker, said in turns(segments):
        parts.append('<div class="transcript-turn">')
        if speaker:
            parts.append(f'<p class="transcript-speaker">{html.escape(speaker)}</p>')
        for segment in said:
            start = int(_field(segment, "start_ms"))
            parts.append(
                f'<p data-start-ms="{start}" data-end-ms="{int(_field(segment, "end_ms"))}">'
                f'<time datetime="{_duration(start)}">{format_timecode(start)}</time> '
                f"{html.escape(_field(segment, 'text') or '')}</p>"
            )
        parts.append("</div>")
    parts.append("</div>")
    return "\n".join(parts) + "\n"


def to_text(segments: Segments, *, language: str = "") -> str:
    """Plain text to read or search: a line per segment, the speaker named (after a blank line) when it
    changes. No times: those are what the other formats are for."""
    lines: list[str] = []
    previous = None
    for segment in segments:
        speaker = speaker_name(segment)
        text = " ".join((_field(segment, "text") or "").split())
        if speaker and speaker != previous:
            if lines:
                lines.append("")
            text = f"{speaker}: {text}"
        previous = speaker
        lines.append(text)
    return "\n".join(lines) + "\n"


Writer = Callable[..., str]

# Extension -> (MIME type, writer). The MIME types are bare (the feed's podcast:transcript type attribute
# takes no parameters); the view adds the charset when it serves text.
FORMATS: dict[str, tuple[str, Writer]] = {
    "vtt": ("text/vtt", to_vtt),
    "srt": ("application/x-subrip", to_srt),
    "json": ("application/json", to_json),
    "html": ("text/html", to_html),
    "txt": ("text/plain", to_text),
}


# -------------------------------------------------------------------------------------------------- parsers


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_VTT_TIMESTAMP = r"(?:\d{2,}:)?\d{2}:\d{2}\.\d{3}"
_VTT_TIMINGS = re.compile(rf"\s*{_VTT_TIMESTAMP}\s*-->\s*{_VTT_TIMESTAMP}(?=\s|$)")
_VTT_OTHER_BLOCKS = ("NOTE", "STYLE", "REGION")


def _quoted(line: str, limit: int = 60) -> str:
    return repr(line if len(line) <= limit else line[: limit - 1] + "…")


def _vtt_cue_lines(text: str) -> list[int]:
    """The line number of each cue's timings line in a WebVTT file, checking every block on the way.

    WebVTT readers skip a block that is not a cue (a mistyped arrow, a missing blank line), and so does
    webvtt-py even when strict; an import must not lose text without saying so. So every block after the
    header must be a cue, a comment, a style or a region, or this raises ValueError naming the line.
    """
    lines = _LINE_BREAK.split(text)
    if not lines[0].startswith("WEBVTT"):
        raise ValueError("Not a valid WebVTT file: the first line must be WEBVTT.")
    blocks: list[list[tuple[int, str]]] = []
    block: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if not line:
            if block:
                blocks.append(block)
            block = []
        elif not blocks and block and "-->" in line:
            blocks.append(block)  # a cue right after the header line ends the header, as in WebVTT
            block = [(number, line)]
        else:
            block.append((number, line))
    if block:
        blocks.append(block)

    cue_lines = []
    for block in blocks[1:]:
        first_number, first = block[0]
        arrows = [(n, line) for n, line in block if "-->" in line]
        if first.split()[0] in _VTT_OTHER_BLOCKS:
            if arrows:
                raise ValueError(
                    f"Not a valid WebVTT file: line {arrows[0][0]} has cue times inside a "
                    f"{first.split()[0]} block; leave a blank line before each cue."
                )
            continue
        timings_at = next((i for i, (_, line) in enumerate(block[:2]) if "-->" in line), None)
        if timings_at is None:
            raise ValueError(
                f"Not a valid WebVTT file: line {first_number} ({_quoted(first)}) starts neither a cue nor a "
                "comment. A cue starts with its times, like 00:00:01.000 --> 00:00:04.000, after an "
                "optional name line."
            )
        number, timings = block[timings_at]
        if not _VTT_TIMINGS.match(timings):
            raise ValueError(
                f"Not a valid WebVTT file: the cue times on line {number} ({_quoted(timings)}) should look "
                "like 00:01:02.500 --> 00:01:04.000."
            )
        for later, line in block[timings_at + 1 :]:
            if "-->" in line:
                raise ValueError(
                    f"Not a valid WebVTT file: line {later} ({_quoted(line)}) starts a new cue without a "
                    "blank line before it."
                )
        cue_lines.append(number)
    return cue_lines


def _srt_error_line(text: str, error: srt.SRTParseError) -> str:
    """Where srt's parser stopped, as a line number and that line's text."""
    position = error.expected_start
    while position < len(text) and text[position].isspace():
        position += 1
    number = text.count("\n", 0, position) + 1
    line = _LINE_BREAK.split(text[position:], maxsplit=1)[0]
    return f"line {number} ({_quoted(line)})"


def _checked(parsed: list[dict], kind: str) -> list[dict]:
    if not parsed:
        raise ValueError(f"The {kind} file has no cues.")
    for n, segment in enumerate(parsed, start=1):
        if segment["end_ms"] < segment["start_ms"]:
            where = f" (line {segment['line']})" if segment.get("line") else ""
            raise ValueError(f"Cue {n}{where} of the {kind} file ends before it starts.")
    return parsed


def parse_vtt(text: str) -> list[dict]:
    """Segments from an existing WebVTT file (one per cue), to import a transcript made elsewhere.

    Cue tags are dropped, a voice span gives the speaker, entities are decoded and the cue's lines joined.
    Each segment also has the ``line`` of its cue's times, for messages about it. Raises ValueError, naming
    the line where it can, for anything that is not a valid WebVTT file with at least one cue.
    """
    if not isinstance(text, str):
        raise ValueError("A WebVTT file must be text.")
    text = text.lstrip("\ufeff")
    cue_lines = _vtt_cue_lines(text)
    try:
        parsed = webvtt.from_string(text, strict=True)
    except (MalformedFileError, MalformedCaptionError) as error:
        raise ValueError(f"Not a valid WebVTT file: {error}") from error
    if len(parsed.captions) != len(cue_lines):  # the checks above should have caught what webvtt-py skips
        raise ValueError(f"Not a valid WebVTT file: only {len(parsed.captions)} of its cues could be read.")
    segments = []
    for n, (caption, line) in enumerate(zip(parsed.captions, cue_lines, strict=True)):
        speaker = caption.voice
        segments.append(
            {
                "index": n,
                "start_ms": caption.start_time.in_milliseconds(),
                "end_ms": caption.end_time.in_milliseconds(),
                "text": html.unescape(" ".join(caption.text.split())),
                "speaker": html.unescape(speaker.strip()) if speaker else "",
                "words": [],
                "line": line,
            }
        )
    return _checked(segments, "WebVTT")


# The formatting SRT players understand: <b>, <i>, <u>, <s>, <font ...> and {\an8}-style overrides. Other
# angle brackets are text (SRT has no escaping).
_SRT_TAG = re.compile(r"</?(?:b|i|u|s|font)\b[^>]*>|\{\\[^}]*\}", re.IGNORECASE)
_SRT_TIMINGS = re.compile(r"^\s*\d+:\d+:\d+[,.]\d+\s*-->", re.MULTILINE)
_SRT_STRAY_NUMBER = re.compile(r"\n[ \t]*\n[ \t]*(\d+)[ \t]*(?:\n|$)")


def parse_srt(text: str) -> list[dict]:
    """Segments from an existing SubRip file (one per cue). Formatting tags are dropped. A name at the start
    is left in the text: "Note: ..." cannot be told from a speaker. Each segment also has the ``line`` of its
    cue's times when it can be told. Raises ValueError on malformed input, naming the line where srt's
    parser stopped."""
    if not isinstance(text, str):
        raise ValueError("An SRT file must be text.")
    text = text.lstrip("\ufeff")
    try:
        subtitles = list(srt.parse(text))
    except srt.SRTParseError as error:
        raise ValueError(
            f"Not a valid SRT file: cannot read a cue at {_srt_error_line(text, error)}. Each cue is a "
            "number, a line of times like 00:01:02,500 --> 00:01:04,000, then its text and a blank line."
        ) from error
    except ValueError as error:
        raise ValueError(f"Not a valid SRT file: {error}") from error
    timing_lines = [text.count("\n", 0, match.start()) + 1 for match in _SRT_TIMINGS.finditer(text)]
    if len(timing_lines) != len(subtitles):  # a line of text that looks like times: lines unknown
        timing_lines = [None] * len(subtitles)
    for n, (subtitle, line) in enumerate(zip(subtitles, timing_lines, strict=True), start=1):
        # srt reads a numbered block without times as more text of the cue before it: say so instead.
        stray = _SRT_STRAY_NUMBER.search(subtitle.content)
        if stray:
            where = (
                f"line {line + 1 + subtitle.content.count(chr(10), 0, stray.start(1))}"
                if line
                else f"cue {n}"
            )
            raise ValueError(
                f"Not a valid SRT file: at {where} a cue number is not followed by its times, like "
                "00:01:02,500 --> 00:01:04,000."
            )
    segments = [
        {
            "index": n,
            "start_ms": subtitle.start // timedelta(milliseconds=1),
            "end_ms": subtitle.end // timedelta(milliseconds=1),
            "text": " ".join(_SRT_TAG.sub("", subtitle.content).split()),
            "speaker": "",
            "words": [],
            "line": line,
        }
        for n, (subtitle, line) in enumerate(zip(subtitles, timing_lines, strict=True))
    ]
    return _checked(segments, "SRT")
