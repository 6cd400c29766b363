"""Content for the browser tests, built in the test database the live server reads.

Transcripts here are imported the way an editor imports captions (``transcripts.editing.import_captions``),
inside the transaction that stores the audio, so that no Whisper run is queued when it commits: the
page tests need transcripts with known lines and times, and would spend most of their time transcribing
otherwise. The one test that transcribes for real is the editor's journey in test_admin.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from concepts.models import ConceptIndexPage, ConceptPage
from demo import content
from demo.loader import load_demo
from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from episodes.models import AudioFile, EpisodePage, InterviewPage, ShowPage
from transcripts.editing import Captions, import_captions


def import_lines(audio: AudioFile, lines: list[tuple[int, int, str]], *, speaker: str = "") -> None:
    """Make ``lines`` (start ms, end ms, text) the audio's transcript, as an imported caption file."""
    segments = [
        {"start_ms": start, "end_ms": end, "text": text, "speaker": speaker} for start, end, text in lines
    ]
    import_captions(audio, Captions("vtt", segments, 0), name="captions.vtt", user=None, language="en")


def script_lines(episode: content.DemoEpisode, duration_ms: int) -> list[tuple[int, int, str]]:
    """The episode's script as timed lines, each given a share of the audio in proportion to its length
    (the demo audio is the script spoken line after line)."""
    total = sum(len(line.text) for line in episode.script)
    lines, start = [], 0
    for line in episode.script:
        end = start + duration_ms * len(line.text) // total
        lines.append((start, end, line.text))
        start = end
    return lines


def demo_site() -> dict[str, str]:
    """The demo content (``manage.py load_demo``), each episode with its script as its transcript.

    Returns the URL paths of one page of each kind, keyed by the names the artifacts use; the search is
    for a word that the demo's transcripts, concepts and pages all have.
    """
    with transaction.atomic():
        home = load_demo()
        for episode in content.EPISODES:
            audio = EpisodePage.objects.get(slug=episode.slug).audio
            import_lines(audio, script_lines(episode, audio.duration_ms))
    return {
        "home": home.url,
        "show": ShowPage.objects.get().url,
        "episode": EpisodePage.objects.get(slug=content.EPISODES[0].slug).url,
        "interview": InterviewPage.objects.get().url,
        "concepts": ConceptIndexPage.objects.get().url,
        "concept": ConceptPage.objects.get(slug="coproduction").url,
        "search": "/search/?q=coproduction",
    }


# The player tests' transcript: three lines of three seconds each, over a nine-second clip.
CLIP_SECONDS = 9
CLIP_LINES = [
    (0, 3000, "Welcome to the clinic."),
    (3000, 6000, "Today we decide together."),
    (6000, 9000, "Thank you for listening."),
]


@dataclass(frozen=True)
class PlayerEpisode:
    url: str
    lines: list[tuple[int, int, str]]  # start ms, end ms, text


def player_episode(home, clip: Path) -> PlayerEpisode:
    """A published episode of ``clip`` (CLIP_SECONDS long) with CLIP_LINES as its transcript."""
    with transaction.atomic():
        show = ShowPageFactory(parent=home, slug="coproduction")
        audio = AudioFileFactory(path=clip, title="Deciding together")
        import_lines(audio, CLIP_LINES, speaker="Amara")
        episode = EpisodePageFactory(parent=show, audio=audio, title="Deciding together", slug="deciding")
    return PlayerEpisode(url=episode.url, lines=CLIP_LINES)
