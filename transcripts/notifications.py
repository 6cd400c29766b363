"""Telling the people of every page that uses an audio file that its transcript is done or has failed
(``episodes.notifications``: the page owner and the show's notification addresses).

Called by the transcription run (``transcripts.transcribing``) where it records the outcome. The mail
goes after the outcome is committed and can never fail the run: a rolled-back outcome sends nothing, and
a mail server's refusal is logged.
"""

from __future__ import annotations

import logging
from functools import partial

from django.db import transaction

from episodes.notifications import notify, one_line

from .models import Transcript

logger = logging.getLogger(__name__)


def transcript_finished(transcript_id: int) -> None:
    """Mail the outcome (DONE or FAILED) of ``transcript_id`` once the current transaction commits."""
    transaction.on_commit(partial(_send, transcript_id), robust=True)


def _send(transcript_id: int) -> None:
    try:
        transcript = Transcript.objects.select_related("audio").get(pk=transcript_id)
        if transcript.status not in (Transcript.DONE, Transcript.FAILED):
            return  # changed again since (queued anew): the next outcome is told instead
        for page in transcript.audio.pages():
            subject, message, detail = _wording(transcript, page.title)
            notify(page, subject, message, detail=detail)
    except Exception:
        logger.exception("Could not tell anyone about the outcome of transcript %s", transcript_id)


def _wording(transcript: Transcript, title: str) -> tuple[str, str, str]:
    if transcript.status == Transcript.DONE and transcript.held:
        return (
            f"Transcript held for review: {one_line(title)}",
            f"The transcript of “{title}” is made but not published: {transcript.held_reason}",
            "Open Edit segments from the edit page (Transcript panel), check it, then Approve and publish.",
        )
    if transcript.status == Transcript.DONE:
        lines = transcript.segments.count()
        return (
            f"Transcript ready: {one_line(title)}",
            f"The transcript of “{title}” is ready: {lines} line{'s' if lines != 1 else ''}.",
            "Read it through and correct names and terms on the edit page; visitors see it once the page is "
            "published.",
        )
    return (
        f"Transcript failed: {one_line(title)}",
        f"Transcribing “{title}” failed, and it will not be tried again by itself.",
        f"The reason: {transcript.error}\nYou can run it again from the edit page (Transcript panel).",
    )
