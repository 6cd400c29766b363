from .audio import AudioFile
from .episodes import Chapter, EpisodePage, EpisodePerson, EpisodeTranscriptLink, Soundbite, released_pages
from .interviews import InterviewIndexPage, InterviewPage, InterviewPerson
from .renditions import AudioRendition
from .shows import ShowCategory, ShowHost, ShowPage
from .snippets import Person

__all__ = [
    "AudioFile",
    "AudioRendition",
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
    "released_pages",
]
