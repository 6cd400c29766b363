from .audio import AudioFile
from .pages import (
    Chapter,
    EpisodePage,
    EpisodePerson,
    InterviewIndexPage,
    InterviewPage,
    InterviewPerson,
    ShowCategory,
    ShowHost,
    ShowPage,
)
from .snippets import Person

__all__ = [
    "AudioFile",
    "Chapter",
    "EpisodePage",
    "EpisodePerson",
    "InterviewIndexPage",
    "InterviewPage",
    "InterviewPerson",
    "Person",
    "ShowCategory",
    "ShowHost",
    "ShowPage",
]
