"""Transcript segments for the format tests: short ones with speakers and hostile text, and one too long for
a single cue, with Whisper-style word timings."""

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
