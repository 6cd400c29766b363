from .audio import AudioFile
from .pages import (
    Chapter,
    EpisodePage,
    EpisodePerson,
    EpisodeTranscriptLink,
    InterviewIndexPage,
    InterviewPage,
    InterviewPerson,
    ShowCategory,
    ShowHost,
    ShowPage,
    Soundbite,
)
from .snippets import Person

__all__ = [
    "AudioFile",
    "Chapter",
    "EpisodePage",
    "EpisodePerson",
    "EpisodeTranscriptLink",
    "InterviewIndexPage",
    "InterviewPage",
    "InterviewPerson",
    "Person",
    "ShowCategory",
    "ShowHost",
    "ShowPage",
    "Soundbite",
]
