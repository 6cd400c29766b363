"""Whether a transcript's speakers and a page's people agree: what the feed says and what the transcript says.

The feed lists an episode's people in ``podcast:person`` (its own, then the show's hosts), and the transcript
files name who says each line (WebVTT ``<v Name>``, the JSON ``speaker``). Podcast apps match the two by
name, exactly, to show a face beside a line; a listener reads both. So an editor is told, on the episode's
edit form and when it is saved, when they disagree:

- a name in the transcript that is none of the page's people (a guest not yet added under People, a typo,
  a person renamed since, or the same name written differently, e.g. in another case);
- a person in a speaking role (host, co-host, guest, interviewer) whom the transcript never names, once its
  speakers have been named: perhaps one of them is still under a label;
- labels that diarization gave ("Speaker 1") and nobody has named yet.

Nothing is blocked: these are warnings, as with the directory checks, since an editor may be halfway through.
Names are compared as the formats write them (``transcripts.formats.speaker_name``: one line, single spaces).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from episodes.models import EpisodePage, InterviewPage

from .formats import speaker_name
from .models import Transcript

# Labels a diarization step gives before an editor names them ("Speaker 1", "SPEAKER_00").
GENERIC_LABEL = re.compile(r"^speaker[\s_-]*\d+$", re.IGNORECASE)
# Roles in which a person is expected to be heard (the taxonomy's "cast" group, people_roles.ROLES).
SPEAKING_ROLES = frozenset({"host", "co-host", "guest", "interviewer"})


def is_generic_label(name: str) -> bool:
    return bool(GENERIC_LABEL.match(name))


@dataclass
class SpeakerCheck:
    """What ``check_speakers`` found; ``problems()`` says it in words for editors."""

    unknown: list[str] = field(default_factory=list)  # names in the transcript that no person has
    differently_written: list[tuple[str, str]] = field(default_factory=list)  # (in the transcript, person)
    unheard: list[str] = field(default_factory=list)  # people in speaking roles the transcript never names
    unnamed: list[str] = field(default_factory=list)  # generic labels still in the transcript

    def problems(self) -> list[str]:
        problems = []
        for said, person in self.differently_written:
            problems.append(
                f"The transcript names “{said}” where the page's people have “{person}”: podcast apps match "
                "names exactly, so rename the speaker to the person's name (Name speakers)."
            )
        if self.unknown:
            problems.append(
                f"The transcript names {_names(self.unknown)}, not among the page's people: add "
                f"{'them' if len(self.unknown) > 1 else 'this person'} under People so that the feed lists "
                "who speaks, or rename the speaker (Name speakers)."
            )
        if self.unnamed:
            problems.append(
                f"{_names(self.unnamed)} {'are' if len(self.unnamed) > 1 else 'is'} not named yet: listeners "
                "see the label as it is. Name speakers gives each label a person's name."
            )
        elif self.unheard:
            problems.append(
                f"{_names(self.unheard)} {'are' if len(self.unheard) > 1 else 'is'} among the page's people "
                "but never named as a speaker in the transcript: rename a speaker, or check who is listed."
            )
        return problems


def _names(names: list[str]) -> str:
    quoted = [f"“{name}”" for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def page_people(page) -> list[tuple[str, str]]:
    """``[(name, role), ...]``: the people the feed lists for ``page`` (an episode's own people, then its
    show's hosts; an interview's people), names as the formats would write them."""
    # Objects, not values_list: on the edit form the page may hold people not saved yet (modelcluster).
    people = [
        (credit.person.name, credit.role)
        for credit in page.people.all().select_related("person")
        if credit.person_id
    ]
    if isinstance(page, EpisodePage):
        show = page.show
        if show is not None:
            people += [(name, "host") for name in show.hosts.values_list("person__name", flat=True)]
    seen: dict[str, tuple[str, str]] = {}
    for name, role in people:
        name = " ".join((name or "").split())
        if name:
            seen.setdefault(_key(name), (name, role))
    return list(seen.values())


def transcript_speakers(transcript: Transcript) -> list[str]:
    """The distinct speakers a transcript names, in order of first appearance."""
    names = transcript.segments.exclude(speaker="").order_by("index").values_list("speaker", flat=True)
    return list(dict.fromkeys(speaker_name({"speaker": name}) for name in names))


def check_speakers(transcript: Transcript | None, people: list[tuple[str, str]]) -> SpeakerCheck:
    """Compare a transcript's speakers with ``people`` (``page_people``). A transcript that names nobody
    (not diarized, nor named by hand) has nothing to compare, so nothing is found."""
    check = SpeakerCheck()
    if transcript is None:
        return check
    speakers = transcript_speakers(transcript)
    if not speakers:
        return check
    exact = {name for name, _ in people}
    by_key = {_key(name): name for name, _ in people}
    heard = set()
    for name in speakers:
        if is_generic_label(name):
            check.unnamed.append(name)
        elif name in exact:
            heard.add(name)
        elif _key(name) in by_key:
            check.differently_written.append((name, by_key[_key(name)]))
            heard.add(by_key[_key(name)])
        else:
            check.unknown.append(name)
    check.unheard = [name for name, role in people if role in SPEAKING_ROLES and name not in heard]
    return check


def speaker_problems(page) -> list[str]:
    """Warnings for an episode or interview's edit form: see the module's docstring. [] for other pages and
    for a page without audio or without a finished transcript of its present audio."""
    if not isinstance(page, EpisodePage | InterviewPage) or not page.pk:
        return []
    audio = getattr(page, "audio", None)
    if audio is None:
        return []
    transcript = Transcript.objects.shown_with(audio)
    return check_speakers(transcript, page_people(page)).problems()
