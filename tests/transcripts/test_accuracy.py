"""How well the default engine hears speech, and how much the glossary prompt helps with our words.

The speech is our own text spoken by espeak-ng; Whisper tiny.en hears that voice imperfectly, which is
what makes the glossary's effect measurable.
"""

import re

import jiwer
import pytest

from episodes.factories import PersonFactory
from tests.audio import speech
from transcripts.engines import get_engine
from transcripts.transcribing import glossary_prompt

pytestmark = pytest.mark.django_db

SCRIPT = (
    "Coproduction means patients and clinicians design care together. "
    "Doctor Amara Okafor uses teach-back after every consultation. "
    "Patient activation grows when people manage their own health. "
    "Shared decision making puts every option on the table."
)
TERMS = ["coproduction", "amara okafor", "teach back", "patient activation", "shared decision making"]
NORMALISE = jiwer.Compose(
    [
        jiwer.ToLowerCase(),
        jiwer.SubstituteRegexes({r"-": " ", r"\bdr\b": "doctor"}),
        jiwer.RemovePunctuation(),
        jiwer.RemoveMultipleSpaces(),
        jiwer.Strip(),
        jiwer.ReduceToListOfListOfWords(),
    ]
)


@pytest.fixture(scope="session")
def spoken(tmp_path_factory):
    return speech(tmp_path_factory.mktemp("accuracy") / "script.mp3", SCRIPT)


def hear(path, prompt=""):
    _info, segments = get_engine().transcribe(str(path), prompt=prompt)
    return " ".join(segment.text for segment in segments)


def plain(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.lower().replace("-", " "))).strip()


def recall(text: str) -> float:
    heard = plain(text)
    return sum(term in heard for term in TERMS) / len(TERMS)


def test_word_error_rate_of_the_default_engine_is_below_035(spoken):
    hypothesis = hear(spoken)
    wer = jiwer.wer(SCRIPT, hypothesis, reference_transform=NORMALISE, hypothesis_transform=NORMALISE)
    assert wer < 0.35, (wer, hypothesis)


def test_the_glossary_prompt_raises_the_recall_of_our_terms(spoken, settings):
    settings.TRANSCRIPTION_VOCABULARY = ["coproduction", "teach-back", "patient activation"]
    PersonFactory(name="Amara Okafor")
    prompt = glossary_prompt()
    assert "Amara Okafor" in prompt

    without, with_glossary = recall(hear(spoken)), recall(hear(spoken, prompt))

    assert with_glossary > without, (without, with_glossary)
    assert with_glossary >= 0.8


@pytest.mark.parametrize(
    "source",
    [
        # A held two-note chord: music without words.
        [
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=220:duration=6",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=330:duration=6",
        ]
        + ["-filter_complex", "amix=inputs=2"],
        # Pink noise: a room, traffic, a fan. Seeded: the same samples on every run, so that a transcript
        # invented from one unlucky draw fails every run, not one in a hundred.
        ["-f", "lavfi", "-i", "anoisesrc=d=5:c=pink:a=0.3:seed=1"],
    ],
    ids=["music", "noise"],
)
def test_music_and_noise_give_no_invented_text(tmp_path, source):
    import subprocess

    path = tmp_path / "no-speech.mp3"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *source, "-ac", "1", str(path)], check=True)

    assert hear(path) == ""
