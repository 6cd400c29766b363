import pytest

from concepts.factories import ConceptIndexPageFactory, ConceptPageFactory
from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from transcripts.models import Segment, Transcript

LINES = [
    "Welcome to the show.",
    "Today we talk about coproduction in the clinic.",
    "Shared decision making starts with the options.",
    "We are coproducing the plan with the family.",
    "Thank you for listening.",
]


def transcribe(audio, lines=LINES, *, seconds_apart=10):
    """A finished transcript of ``audio`` with one segment per line, ``seconds_apart`` seconds apart."""
    transcript, _ = Transcript.objects.update_or_create(
        audio=audio, defaults={"status": Transcript.DONE, "audio_sha256": audio.sha256, "language": "en"}
    )
    transcript.segments.all().delete()
    Segment.objects.bulk_create(
        Segment(
            transcript=transcript,
            index=i,
            start_ms=i * seconds_apart * 1000,
            end_ms=i * seconds_apart * 1000 + 4000,
            text=line,
        )
        for i, line in enumerate(lines)
    )
    return transcript


@pytest.fixture
def concept_index(home_page):
    return ConceptIndexPageFactory(parent=home_page)


@pytest.fixture
def coproduction(concept_index):
    return ConceptPageFactory(
        parent=concept_index, title="Coproduction", other_names="co-production\ncoproduce"
    )


@pytest.fixture
def sdm(concept_index):
    return ConceptPageFactory(
        parent=concept_index,
        title="Shared decision-making",
        other_names="SDM",
        definition="Choosing a treatment together, with the options, risks and what matters laid out.",
    )


@pytest.fixture
def show(home_page):
    return ShowPageFactory(parent=home_page)


@pytest.fixture
def audio(audio_dir):
    return AudioFileFactory(path=audio_dir / "tone.mp3")


@pytest.fixture
def episode(show, audio):
    return EpisodePageFactory(parent=show, audio=audio, title="Planning a discharge together")
