"""Speakers found offline (issue 16, item 2): two espeak-ng voices in turns, transcribed by real Whisper and
told apart by resemblyzer's voice encoder; one voice gives one label; silence, music and very short audio do
not crash; a failure leaves a done transcript without speakers and says why. Real recordings are in
test_speakers_real_speech.py."""

import subprocess
import sys

import pytest

from episodes.factories import AudioFileFactory, EpisodePageFactory, PersonFactory, ShowPageFactory
from episodes.models import EpisodePerson
from tests.audio import PANEL, dialogue, speech
from transcripts import diarization, editing, speakers
from transcripts.models import Transcript
from transcripts.transcribing import request_transcription, run_transcription

pytestmark = pytest.mark.django_db

TURNS = [
    ("A", "Welcome back. Today we talk about deciding care together."),
    ("B", "Thank you. I have sat on a health board for nine years."),
    ("A", "What did the patients teach you?"),
    ("B", "That they notice problems long before any report does."),
]


@pytest.fixture(autouse=True)
def speakers_on(settings):
    settings.TRANSCRIPT_SPEAKERS = True


@pytest.fixture(scope="module")
def two_voices(tmp_path_factory):
    path = tmp_path_factory.mktemp("dialogue") / "two-voices.mp3"
    return path, dialogue(path, TURNS)


@pytest.fixture(scope="module")
def one_voice(tmp_path_factory):
    path = tmp_path_factory.mktemp("monologue") / "one-voice.mp3"
    return path, dialogue(path, [("A", text) for _, text in TURNS[:3]])


def transcribed(path, **fields):
    audio = AudioFileFactory(path=path, title="Dialogue")
    transcript = request_transcription(audio, enqueue=False)
    Transcript.objects.filter(pk=transcript.pk).update(**fields)
    result = run_transcription(transcript.pk)
    assert result is not None and result.status == Transcript.DONE, result and result.error
    return result


def voice_at(truth, ms):
    return next((voice for start, end, voice in truth if start - 300 <= ms <= end + 300), None)


def test_two_voices_are_told_apart_and_lines_split_where_the_speaker_changes(two_voices):
    path, truth = two_voices
    transcript = transcribed(path)

    segments = list(transcript.segments.order_by("index"))
    assert transcript.speakers_note == ""
    assert {s.speaker for s in segments} == {"Speaker 1", "Speaker 2"}
    assert segments[0].speaker == "Speaker 1"  # numbered in order of first appearance
    # Every line is one voice's, and each voice has one label: A is Speaker 1, B is Speaker 2.
    expected = {"A": "Speaker 1", "B": "Speaker 2"}
    for segment in segments:
        voice = voice_at(truth, (segment.start_ms + segment.end_ms) // 2)
        assert segment.speaker == expected[voice], (segment.text, segment.start_ms, truth)
    # The turns, in order: the lines change speaker exactly where the voices take turns.
    changes = [s.speaker for i, s in enumerate(segments) if i == 0 or s.speaker != segments[i - 1].speaker]
    assert changes == ["Speaker 1", "Speaker 2", "Speaker 1", "Speaker 2"]
    assert set(transcript.voices) == {"Speaker 1", "Speaker 2"}
    assert all(len(v) == 256 for prints in transcript.voices.values() for v in prints)


def test_one_voice_gives_one_label(one_voice):
    path, _truth = one_voice
    transcript = transcribed(path)

    assert set(transcript.segments.values_list("speaker", flat=True)) == {"Speaker 1"}


def test_the_pages_people_are_the_number_of_voices_looked_for(one_voice, home_page):
    path, _truth = one_voice
    audio = AudioFileFactory(path=path, title="Interview")
    episode = EpisodePageFactory(parent=ShowPageFactory(parent=home_page), audio=audio)
    for name, role in [("Amara Okafor", "host"), ("Ben Adeyemi", "guest"), ("Cleo Park", "producer")]:
        EpisodePerson.objects.create(page=episode, person=PersonFactory(name=name), role=role)

    assert speakers.people_count(audio) == 2  # the producer is not heard
    assert speakers.people_count(AudioFileFactory(path=path, title="Unused")) is None
    # Told there are two, the clustering makes two even of one voice: the hint is taken as given.
    found = diarization.diarize(str(path), speakers=2)
    assert found.labels == ["Speaker 1", "Speaker 2"]


def test_names_given_once_survive_a_rerun(two_voices, admin_user):
    path, _truth = two_voices
    transcript = transcribed(path)
    editing.name_speakers(transcript, {"Speaker 1": "Amara Okafor", "Speaker 2": "Ben Adeyemi"}, admin_user)
    first = list(transcript.segments.order_by("index").values_list("speaker", flat=True))
    assert set(first) == {"Amara Okafor", "Ben Adeyemi"}
    assert set(Transcript.objects.get(pk=transcript.pk).voices) == {"Amara Okafor", "Ben Adeyemi"}

    request_transcription(transcript.audio, force=True, enqueue=False)
    rerun = run_transcription(transcript.pk)

    assert rerun.status == Transcript.DONE
    assert list(rerun.segments.order_by("index").values_list("speaker", flat=True)) == first
    assert rerun.revisions.first().segments[0]["speaker"] == "Amara Okafor"  # the named run kept too


def test_a_failure_in_diarization_leaves_a_done_transcript_without_speakers(two_voices, monkeypatch):
    path, _truth = two_voices

    def broken(*args, **kwargs):
        raise RuntimeError("the clustering fell over")

    monkeypatch.setattr(speakers, "diarize", broken)
    transcript = transcribed(path)

    assert transcript.status == Transcript.DONE and transcript.segments.exists()
    assert set(transcript.segments.values_list("speaker", flat=True)) == {""}
    assert "RuntimeError: the clustering fell over" in transcript.speakers_note


def test_a_missing_model_package_is_named_with_the_setting(monkeypatch):
    monkeypatch.setattr(diarization, "_encoder", None)
    monkeypatch.setitem(sys.modules, "resemblyzer", None)  # as if it were not installed

    with pytest.raises(diarization.DiarizationError) as error:
        diarization.encoder()

    assert "resemblyzer package is not installed" in str(error.value)
    assert "TRANSCRIPT_SPEAKERS=False" in str(error.value)


def test_a_corrupt_model_file_is_named_with_the_package_and_the_setting(monkeypatch, tmp_path):
    import resemblyzer

    corrupt = tmp_path / "pretrained.pt"
    corrupt.write_bytes(b"not a torch checkpoint")
    real = resemblyzer.VoiceEncoder
    monkeypatch.setattr(resemblyzer, "VoiceEncoder", lambda *a, **kw: real(*a, weights_fpath=corrupt, **kw))
    monkeypatch.setattr(diarization, "_encoder", None)

    with pytest.raises(diarization.DiarizationError) as error:
        diarization.encoder()

    message = str(error.value)
    assert "resemblyzer package's voice encoder (pretrained.pt) cannot be loaded" in message
    assert "TRANSCRIPT_SPEAKERS=False" in message


def test_speakers_off_transcribes_without_them(one_voice, settings):
    settings.TRANSCRIPT_SPEAKERS = False
    path, _truth = one_voice
    transcript = transcribed(path)

    assert set(transcript.segments.values_list("speaker", flat=True)) == {""}
    assert "TRANSCRIPT_SPEAKERS is off" in transcript.speakers_note


def ffmpeg(path, *source):
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", *source, str(path)], check=True)
    return str(path)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(["-i", "anullsrc=r=16000:cl=mono", "-t", "3"], id="silence"),
        pytest.param(["-i", "sine=frequency=440:duration=3"], id="music"),
        pytest.param(["-i", "sine=frequency=220:duration=0.2"], id="very-short"),
    ],
)
def test_odd_audio_gives_at_most_one_label_and_no_crash(tmp_path, source):
    found = diarization.diarize(ffmpeg(tmp_path / "odd.wav", *source))

    assert len(found.labels) <= 1
    assert all(turn.start_ms <= turn.end_ms for turn in found.turns)


def test_a_very_short_word_of_speech_gets_one_label(tmp_path):
    found = diarization.diarize(str(speech(tmp_path / "yes.wav", "Yes.")))

    assert found.labels == ["Speaker 1"]
    assert found.speaker_at(200) == "Speaker 1"


PANEL_SAYS = [
    "We met every month to plan the clinic together.",
    "Patients asked for evening appointments first.",
    "The nurses wrote the new leaflet with two families.",
    "I was nervous to speak at the first meeting.",
    "Shared decisions take longer but they hold better.",
    "My mother finally understood her own medicines.",
    "We measured waiting times before and after the change.",
    "Next year we want young carers on the panel.",
]


@pytest.fixture(scope="module")
def eight_voices(tmp_path_factory):
    """A panel: eight espeak-ng voices (tests.audio.PANEL), each saying one sentence in turn (about 30 s)."""
    path = tmp_path_factory.mktemp("panel") / "panel.mp3"
    turns = [(f"V{n}", said) for n, said in enumerate(PANEL_SAYS, start=1)]
    return path, dialogue(path, turns, voices=PANEL)


def test_eight_speakers_told_there_are_eight_get_eight_labels_in_order(eight_voices):
    """A panel of eight with its eight people on the page: eight labels, numbered as they first speak, and
    most of the speech given to the right one (espeak's voices share one synthesiser, so they are closer to
    each other than eight people are; the real recordings are scored in test_speakers_real_speech.py)."""
    path, truth = eight_voices

    found = diarization.diarize(str(path), speakers=8)

    assert found.labels == [f"Speaker {n}" for n in range(1, 9)]
    assert found.speaker_at((truth[0][0] + truth[0][1]) // 2) == "Speaker 1"
    assert diarization.attribution(truth, found) >= 0.7


def test_eight_speakers_without_a_hint_do_not_crash_and_get_sensible_labels(eight_voices):
    """Without the people count the number of voices is estimated: espeak's eight voices may be merged into
    fewer groups, never more groups than voices, and every turn has a label."""
    path, truth = eight_voices

    found = diarization.diarize(str(path))

    assert 2 <= len(found.labels) <= 8
    assert found.labels == [f"Speaker {n}" for n in range(1, len(found.labels) + 1)]
    assert all(found.speaker_at((start + end) // 2) in found.labels for start, end, _voice in truth)
