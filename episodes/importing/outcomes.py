"""What an import did: the outcome of the show and of each episode, and the report on the whole run."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import EpisodePage, ShowPage

CREATED = "created"
UPDATED = "updated"
PUBLISHED = "published"  # unchanged, but its draft was published (--publish after a draft import)
UNCHANGED = "unchanged"
SKIPPED = "skipped"  # nothing to import (an item without audio); not a failure
FAILED = "failed"  # could not be imported; the command exits with 2


@dataclass
class EpisodeOutcome:
    guid: str
    title: str
    status: str = UNCHANGED
    reason: str = ""  # why it was skipped or failed
    notes: list[str] = field(default_factory=list)  # parts left out, and other things worth knowing
    page: EpisodePage | None = None


@dataclass
class ShowOutcome:
    show: ShowPage
    status: str
    notes: list[str] = field(default_factory=list)
    to_fill_in: list[str] = field(default_factory=list)  # what the feed lacked: defaulted or left empty
    repairs: list[str] = field(default_factory=list)  # what was wrong with the feed's XML


@dataclass
class ImportReport:
    show: ShowOutcome
    episodes: list[EpisodeOutcome]

    def with_status(self, *statuses: str) -> list[EpisodeOutcome]:
        return [outcome for outcome in self.episodes if outcome.status in statuses]

    @property
    def failed(self) -> list[EpisodeOutcome]:
        return self.with_status(FAILED)

    @property
    def changed(self) -> bool:
        return self.show.status != UNCHANGED or any(
            o.status not in (UNCHANGED, SKIPPED) for o in self.episodes
        )
