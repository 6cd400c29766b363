"""Speakers in a transcription run: diarize the audio after the engine, name the lines' speakers, and give
voices an editor has named the same names again on a re-run.

The run spools the engine's segments as they come (a long episode is never held in memory), then finds who
speaks when (``diarization.diarize``, a window at a time), then cuts the spooled segments into lines with
``split_lines``, whose ``speaker_of`` makes each change of speaker a line break and names each line's
speaker. Diarization never fails a transcript: if it is turned off (``TRANSCRIPT_SPEAKERS``), its model
package is missing, or it fails, the lines are cut without speakers and ``note`` says why, for the admin.

Names given once survive a re-run: ``Transcript.voices`` keeps a voice print per name the segments use
(``{"Dr Amara Okafor": [[...256 numbers...]], "Speaker 2": [[...]]}``), written by each run and moved along by
``editing.name_speakers``. A new run's label takes the name of the remembered voice it is closest to, when
that is close enough (``SAME_VOICE``) and the name is one an editor gave (not a ``Speaker N`` label).
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
from collections.abc import Iterable, Iterator

from django.conf import settings

from .diarization import SETTING, Diarization, DiarizationError, diarize, similarity
from .engines.base import SegmentResult, Word
from .lines import Line, split_lines

logger = logging.getLogger(__name__)

# Voice prints of one person in two runs of the same file are ~0.95 alike; two espeak-ng voices ~0.5,
# two people in a meeting 0.6 to 0.75.
SAME_VOICE = 0.8
# People credited in these roles are heard; producers, editors and composers usually are not.
SPEAKING_ROLES = ("host", "co-host", "guest", "interviewer")
_LABEL = re.compile(r"^Speaker \d+$")


def enabled() -> bool:
    return bool(getattr(settings, SETTING, True))


def is_label(name: str) -> bool:
    """Whether ``name`` is a label a run gave (``Speaker 2``), not a name an editor gave."""
    return bool(_LABEL.match(name))


def people_count(audio) -> int | None:
    """How many people the episodes and interviews that use ``audio`` credit in speaking roles, or None
    when they credit nobody: the number of voices to look for."""
    from episodes.models import EpisodePerson, InterviewPerson

    people = set()
    for model in (EpisodePerson, InterviewPerson):
        credited = model.objects.filter(page__audio=audio, role__in=SPEAKING_ROLES)
        people |= set(credited.values_list("person_id", flat=True))
    return len(people) or None


def names_for(found: dict[str, list[float]], remembered: dict[str, list[list[float]]]) -> dict[str, str]:
    """For each label of this run (with its voice print), the name it goes by: the editor-given name of the
    closest remembered voice at least ``SAME_VOICE`` alike, else the label itself."""
    names = {}
    for label, voice in found.items():
        best, best_similarity = label, SAME_VOICE
        for name, prints in remembered.items():
            if is_label(name):
                continue
            for known in prints:
                alike = similarity(voice, known)
                if alike >= best_similarity:
                    best, best_similarity = name, alike
        names[label] = best
    return names


class SpeakerLines:
    """The lines of one run, with speakers when they can be found. After ``lines`` is exhausted,
    ``fields`` are the transcript's ``voices`` and ``speakers_note`` to store with them."""

    def __init__(self, path: str, *, audio=None, remembered: dict | None = None):
        self.path = path
        self.audio = audio
        self.remembered = remembered or {}
        self.note = ""
        self.voices: dict[str, list[list[float]]] = {}
        self.found = False

    def fields(self) -> dict:
        """What to store on the transcript: the note, and the voices when speakers were found (else the
        remembered ones stay, for the next run that finds them)."""
        found = {"voices": self.voices} if self.found else {}
        return {"speakers_note": self.note, **found}

    def lines(self, segments: Iterable[SegmentResult]) -> Iterator[Line]:
        if not enabled():
            self.note = f"Speakers are not looked for: {SETTING} is off."
            yield from split_lines(segments)
            return
        with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
            for segment in segments:
                words = [[w.start_ms, w.end_ms, w.text, w.probability] for w in segment.words]
                spool.write(json.dumps([segment.start_ms, segment.end_ms, segment.text, words]) + "\n")
            speaker_of = self._speaker_of()
            spool.seek(0)
            yield from split_lines(_read(spool), speaker_of=speaker_of)

    def _speaker_of(self):
        try:
            found = diarize(self.path, speakers=people_count(self.audio) if self.audio else None)
        except DiarizationError as error:
            logger.warning("No speakers for %s: %s", self.path, error)
            self.note = str(error)
            return None
        except Exception as error:  # a bug or a fault there must not lose the transcript
            logger.exception("Finding the speakers of %s failed", self.path)
            self.note = f"Speakers could not be found ({type(error).__name__}: {error}); the lines name none."
            return None
        return self._named(found)

    def _named(self, found: Diarization):
        self.found = True
        names = names_for(found.voices, self.remembered)
        for label, name in names.items():
            self.voices.setdefault(name, []).append(found.voices[label])
        if not found.turns:
            self.note = "No speech was found for speakers to be told apart."

        def speaker_of(word: Word) -> str | None:
            label = found.speaker_at((word.start_ms + word.end_ms) // 2)
            return names[label] if label else None

        return speaker_of


def _read(spool) -> Iterator[SegmentResult]:
    for line in spool:
        start_ms, end_ms, text, words = json.loads(line)
        yield SegmentResult(start_ms, end_ms, text, tuple(Word(*w) for w in words))
