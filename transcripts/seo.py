"""The transcript in what search engines read about an episode or interview (schema.org's
AudioObject.transcript), added through episodes' ``AUDIO_OBJECT_HOOK``."""

from __future__ import annotations

from .templatetags.transcripts_tags import published_transcript, transcript_text

# schema.org's AudioObject.transcript is text; past this many bytes the page's own transcript (and its
# download links) serve readers better than a huge script block in every page view.
TRANSCRIPT_MAX_BYTES = 20_000


def add_transcript(audio, data: dict) -> None:
    """The audio's published transcript as plain text into ``data``, unless it is too long."""
    transcript = published_transcript(audio)
    if transcript is not None:
        if transcript.language:  # detected per episode by a multilingual model, or the model's only one
            data["inLanguage"] = transcript.language
        # From the lines the page's transcript section reads too: one query for both (none when kept).
        text = transcript_text(transcript)
        if text and len(text.encode()) <= TRANSCRIPT_MAX_BYTES:
            data["transcript"] = text
