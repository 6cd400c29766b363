"""Models by name, other languages, and transcripts held for review (issue 16, item 5).

Real Whisper on real espeak-ng speech: German read to the English-only tiny.en is held for review, and read
to the multilingual ``base`` (requirements-models.txt, which ``make test`` installs) comes out German, with
``de`` in the transcript files, the feed and the page. A model that is missing or damaged is a clear
EngineError naming the setting and the package, and nothing is downloaded.
"""

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from lxml import etree

from episodes.factories import EpisodePageFactory, ShowPageFactory
from episodes.feeds import build_feed
from episodes.uploads import create_audio_file
from tests.audio import require
from transcripts.engines import EngineError, get_engine, packaged
from transcripts.engines.base import SpeechSignals, TranscriptionInfo
from transcripts.engines.faster_whisper import FasterWhisperEngine, choose_language
from transcripts.language import hold_reason
from transcripts.models import Transcript
from transcripts.transcribing import request_transcription, run_transcription

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
# Written for these tests: a German and an English sentence about the same thing.
GERMAN = (
    "Wir haben gelernt, dass man zuerst zuhören muss. Die Menschen, die den Dienst nutzen, wissen oft am "
    "besten, was fehlt."
)
ENGLISH = (
    "We learned that you have to listen first. The people who use a service often know best what is missing."
)


def espeak(path, text, voice):
    wav = path.with_suffix(".wav")
    subprocess.run([require("espeak-ng"), "-v", voice, "-w", str(wav), text], check=True)
    subprocess.run(
        [require("ffmpeg"), "-loglevel", "error", "-y", "-i", str(wav), "-ac", "1", "-b:a", "48k", str(path)],
        check=True,
    )
    return path


@pytest.fixture(scope="module")
def german(tmp_path_factory):
    return espeak(tmp_path_factory.mktemp("de") / "zuhoeren.mp3", GERMAN, "de")


@pytest.fixture(scope="module")
def english(tmp_path_factory):
    return espeak(tmp_path_factory.mktemp("en") / "listen.mp3", ENGLISH, "en-gb")


BASE_INSTALLED = packaged.installed()["base"]
needs_base = pytest.mark.skipif(
    not BASE_INSTALLED,
    reason="the multilingual model is not installed: make install-models (make test installs it)",
)


def engine_settings(model):
    return override_settings(
        TRANSCRIPTION_ENGINE={
            "BACKEND": "transcripts.engines.faster_whisper.FasterWhisperEngine",
            "OPTIONS": {"model": model},
        }
    )


def episode_with(path, show_language="en"):
    """An episode of a show in ``show_language`` playing ``path``, its transcription not run yet."""
    from wagtail.models import Page

    home = Page.objects.get(depth=2)
    show = ShowPageFactory(parent=home, language=show_language)
    audio = create_audio_file(path, title=path.stem)
    episode = EpisodePageFactory(parent=show, audio=audio)
    return show, episode, request_transcription(audio, enqueue=False)


# ---------------------------------------------------------------------------------------- the hold rule


def info(multilingual=False, **signals):
    return TranscriptionInfo(
        language="en", duration_ms=60_000, multilingual=multilingual, signals=SpeechSignals(**signals)
    )


ENGLISH_LIKE = {
    "speech_ms": 20_000,
    "worded_ms": 17_000,
    "words": 50,
    "uncertain_words": 5,
    "decoded_ms": 18_000,
}


def test_english_signals_are_not_held():
    assert hold_reason(info(**ENGLISH_LIKE), "en-GB") == ""


@pytest.mark.parametrize(
    "change, said",
    [
        ({"uncertain_words": 20}, "40% of the words are uncertain"),
        ({"worded_ms": 9_000}, "only 45% of the speech came out as words"),
        ({"fallback_ms": 9_000}, "50% of it decoded only on a second try"),
    ],
)
def test_each_signal_of_other_speech_holds_the_transcript(change, said):
    reason = hold_reason(info(**{**ENGLISH_LIKE, **change}), "en")
    assert said in reason and "make install-models" in reason


def test_a_show_in_another_language_holds_an_english_only_transcript_whatever_the_signals():
    assert "The show's language is 'de'" in hold_reason(info(**ENGLISH_LIKE), "de")


def test_a_multilingual_model_or_too_little_speech_is_never_held():
    assert hold_reason(info(multilingual=True, **{**ENGLISH_LIKE, "uncertain_words": 40}), "de") == ""
    assert hold_reason(info(speech_ms=2000, words=3, uncertain_words=3), "en") == ""


def test_the_shows_language_is_the_hint_unless_the_audio_is_clearly_another():
    assert choose_language({"en": 0.45, "de": 0.40}, "de") == ("de", 0.40)
    assert choose_language({"en": 0.45, "de": 0.40}, None) == ("en", 0.45)
    assert choose_language({"de": 0.95, "en": 0.03}, "en-GB") == ("de", 0.95)


SPEECH = Path(__file__).resolve().parents[2].parent / "shared" / "speech"


@pytest.mark.skipif(not SPEECH.is_dir(), reason="../shared/speech (the real recordings) is not here")
@pytest.mark.parametrize(
    "name, held",
    [
        # Real English meetings, far from the studio (10 to 22% of the words uncertain): must not be held.
        ("meeting_trn03.wav", False),
        ("meeting_trn05.wav", False),
        ("meeting_trn07.wav", False),
        # Not stereo_two_voices.wav: two people speaking at once, one per channel, which tiny.en merges
        # into 17 words; 6 of them uncertain on one machine's CPU (35%, held), fewer on another's (not held).
        # Being held for a look is a fair answer to it, but not one a test can pin down.
        # English, then German that tiny.en turns into nothing; 60 s (German espeak speech is the fast check)
        pytest.param("multilingual.mp3", True, marks=pytest.mark.slow),
    ],
)
def test_real_recordings_with_the_english_only_model(name, held):
    _info, segments = FasterWhisperEngine(model="tiny.en").transcribe(str(SPEECH / name))
    list(segments)  # the signals are complete once the segments are read

    assert bool(hold_reason(_info, "en")) is held, _info.signals


# ------------------------------------------------------------------------------ missing or damaged models


def test_a_packaged_model_whose_package_is_missing_names_the_setting_and_the_package(monkeypatch):
    missing = packaged.PackagedModel(
        "small",
        multilingual=True,
        packages=("no-such-whisper-small-part1",),
        requirements="requirements-models.txt",
    )
    monkeypatch.setitem(packaged.MODELS, "small", missing)

    with pytest.raises(EngineError) as raised:
        FasterWhisperEngine(model="small").load()

    message = str(raised.value)
    assert 'TRANSCRIPTION_ENGINE["OPTIONS"]["model"]' in message
    assert "no-such-whisper-small-part1 is missing" in message and "never downloads" in message


def test_a_name_that_is_neither_packaged_nor_cached_is_refused_offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))  # an empty cache: nothing to find, nothing fetched
    with pytest.raises(EngineError, match='not available offline. Set TRANSCRIPTION_ENGINE\\["OPTIONS"\\]'):
        FasterWhisperEngine(model="medium.en").load()
    assert not any(tmp_path.iterdir())


def test_a_model_directory_with_a_truncated_model_bin_is_a_clear_error(tmp_path):
    source = Path(packaged.resolve("tiny.en"))
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (tmp_path / name).write_bytes((source / name).read_bytes())
    with open(source / "model.bin", "rb") as whole:
        (tmp_path / "model.bin").write_bytes(whole.read(5_000_000))  # of 75 MB: a copy cut short

    with pytest.raises(EngineError) as raised:
        FasterWhisperEngine(model=str(tmp_path)).load()

    message = str(raised.value)
    assert 'set in TRANSCRIPTION_ENGINE["OPTIONS"]["model"]' in message
    assert "damaged or not a CTranslate2 Whisper model" in message and "invalid payload size" in message


def test_a_split_model_with_a_truncated_part_is_not_joined(monkeypatch, tmp_path, settings):
    """Two installed packages whose halves join into something that is not the model (one half cut
    short): a clear error naming both packages, and no model left behind to load later."""
    for index, payload in ((1, b"first half " * 1000), (2, b"second half, cut")):
        folder = tmp_path / "site" / f"fake_whisper_part{index}" / "data"
        folder.mkdir(parents=True)
        (folder.parent / "__init__.py").write_text("")
        (folder / f"model.bin.part{index}").write_bytes(payload)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    whole = b"first half " * 1000 + b"second half, in full"
    model = packaged.PackagedModel(
        "fake",
        multilingual=True,
        packages=("fake-whisper-part1", "fake-whisper-part2"),
        requirements="requirements-models.txt",
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
    )
    monkeypatch.setitem(packaged.MODELS, "fake", model)
    settings.TRANSCRIPTION_MODELS_DIR = str(tmp_path / "joined")

    with pytest.raises(EngineError) as raised:
        packaged.resolve("fake")

    message = str(raised.value)
    assert "is damaged" in message and "fake-whisper-part1 and fake-whisper-part2" in message
    assert 'TRANSCRIPTION_ENGINE["OPTIONS"]["model"]' in message
    assert not list((tmp_path / "joined").iterdir())
    sys.modules.pop("fake_whisper_part1", None)


@needs_base
def test_the_base_model_is_joined_once_and_then_reused(tmp_path, settings):
    settings.TRANSCRIPTION_MODELS_DIR = str(tmp_path)
    path = packaged.resolve("base")
    stamp = (tmp_path / path).joinpath("model.bin").stat().st_mtime_ns
    assert packaged.resolve("base") == path
    assert (tmp_path / path).joinpath("model.bin").stat().st_mtime_ns == stamp


# ------------------------------------------------------------------ German speech, end to end, real Whisper


@pytest.mark.django_db
def test_german_speech_with_the_english_only_model_is_held_for_review(german, home_page, client):
    show, episode, transcript = episode_with(german, show_language="en")  # the show says English

    with engine_settings("tiny.en"):
        run_transcription(transcript.pk)

    transcript.refresh_from_db()
    assert transcript.status == Transcript.DONE and transcript.segments.exists()  # stored, nothing lost
    assert transcript.held
    assert "may not be English" in transcript.held_reason
    assert not Transcript.objects.current().filter(pk=transcript.pk).exists()
    assert client.get(f"/transcripts/{transcript.pk}.vtt").status_code == 404
    assert 'class="transcript"' not in client.get(episode.url).content.decode()


@pytest.mark.django_db
def test_english_speech_with_the_english_only_model_is_published(english, home_page):
    _, _, transcript = episode_with(english)

    with engine_settings("tiny.en"):
        run_transcription(transcript.pk)

    transcript.refresh_from_db()
    assert (transcript.status, transcript.held, transcript.language) == (Transcript.DONE, False, "en")
    assert Transcript.objects.published().filter(pk=transcript.pk).exists()


@pytest.mark.django_db
def test_approving_a_held_transcript_publishes_it(english, home_page, admin_client):
    # A show that says it is German: tiny.en's transcript is held whatever it heard.
    _, episode, transcript = episode_with(english, show_language="de")
    with engine_settings("tiny.en"):
        run_transcription(transcript.pk)
    transcript.refresh_from_db()
    assert transcript.held and "The show's language is 'de'" in transcript.held_reason

    page = admin_client.get(f"/admin/transcripts/{transcript.pk}/segments/").content.decode()
    assert "Held for review" in page and "only knows English" in page and "Approve and publish" in page

    response = admin_client.post(f"/admin/transcripts/{transcript.pk}/approve/", follow=True)

    assert "approved and published" in response.content.decode()
    transcript.refresh_from_db()
    assert (transcript.held, transcript.held_reason) == (False, "")
    assert Transcript.objects.published().filter(pk=transcript.pk).exists()


@needs_base
@pytest.mark.django_db
def test_german_speech_with_the_multilingual_model_comes_out_german_everywhere(german, home_page, client):
    show, episode, transcript = episode_with(german, show_language="en")  # detected, not taken from the show

    with engine_settings("base"):
        run_transcription(transcript.pk)
        assert get_engine().load().model.is_multilingual

    transcript.refresh_from_db()
    assert (transcript.status, transcript.held, transcript.language) == (Transcript.DONE, False, "de")
    text = " ".join(transcript.segments.values_list("text", flat=True)).lower()
    assert "zuhören" in text or "menschen" in text, text
    html = client.get(f"/transcripts/{transcript.pk}.html").content.decode()
    assert 'lang="de"' in html
    page = client.get(episode.url).content.decode()
    assert '<div class="transcript" data-transcript lang="de"' in page
    assert 'srclang="de"' in page
    assert '"inLanguage": "de"' in page
    tags = etree.fromstring(build_feed(show)).findall(f".//item/{{{PODCAST_NS}}}transcript")
    assert tags and {tag.get("language") for tag in tags} == {"de"}


@pytest.mark.django_db
def test_only_a_reviewer_may_approve_a_held_transcript(client, django_user_model, home_page, audio_dir):
    from django.contrib.auth.models import Permission

    from episodes.factories import AudioFileFactory

    audio = AudioFileFactory(path=audio_dir / "tone.mp3")
    transcript = Transcript.objects.create(
        audio=audio, status=Transcript.DONE, audio_sha256=audio.sha256, held=True, held_reason="Not English."
    )
    user = django_user_model.objects.create_user("viewer", password="pw")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"),
        Permission.objects.get(content_type__app_label="transcripts", codename="view_transcript"),
    )
    client.force_login(user)

    assert client.post(f"/admin/transcripts/{transcript.pk}/approve/").status_code == 403
    assert Transcript.objects.get(pk=transcript.pk).held


@pytest.mark.django_db
def test_the_transcripts_listing_shows_and_filters_held_ones(admin_client, home_page, audio_dir):
    from episodes.factories import AudioFileFactory

    audio = AudioFileFactory(path=audio_dir / "tone.mp3", title="Auf Deutsch")
    Transcript.objects.create(
        audio=audio, status=Transcript.DONE, audio_sha256=audio.sha256, held=True, held_reason="Not English."
    )
    other = AudioFileFactory(path=audio_dir / "tone.mp3", title="In English")
    Transcript.objects.create(audio=other, status=Transcript.DONE, audio_sha256=other.sha256)

    listing = admin_client.get("/admin/transcripts/?held=true").content.decode()

    assert "Held for review: Not English." in listing
    assert "Auf Deutsch" in listing and "In English" not in listing
