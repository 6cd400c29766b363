"""When an episode's title, artwork or chapters change, listeners get a new file with the new tags at a new
URL, made by copying the ready file's audio (not encoding it again), while the old URL keeps serving its
old bytes. Real ffmpeg on a few seconds of speech, tasks run by the immediate backend, read back with
mutagen from the bytes the URLs serve."""

from __future__ import annotations

import feedparser
import pytest
import wagtail_factories
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.urls import reverse
from mutagen.id3 import ID3

from episodes.delivery.preparing import request_delivery, run_delivery
from episodes.delivery.retagging import check_tags
from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from episodes.models import AudioFile, AudioRendition, Chapter

pytestmark = pytest.mark.django_db


@pytest.fixture
def show(home_page):
    show = ShowPageFactory(parent=home_page, slug="coproduction", title="The Power of Coproduction")
    show.save_revision().publish()
    return show


@pytest.fixture
def episode(show, masters):
    """A published episode whose ready MP3 master has its rendition (a stream copy: quick)."""
    audio = AudioFileFactory(path=masters["ready_mp3"], title="Master export")
    episode = EpisodePageFactory(
        parent=show, slug="deciding-together", title="Deciding together", audio=audio
    )
    Chapter.objects.create(page=episode, start_ms=0, title="Welcome", sort_order=0)
    episode.save_revision().publish()
    rendition = run_delivery(request_delivery(audio, enqueue=False).pk)
    assert rendition.status == AudioRendition.DONE, rendition.error
    return episode


def served(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content)


def id3_of(data: bytes, tmp_path) -> ID3:
    path = tmp_path / "served.mp3"
    path.write_bytes(data)
    return ID3(path)


def audio_frames(data: bytes, tmp_path) -> bytes:
    """The file without its ID3v2 tag: the audio a player decodes."""
    return data[id3_of(data, tmp_path).size :]


def publish(page, django_capture_on_commit_callbacks, **changes):
    for name, value in changes.items():
        setattr(page, name, value)
    with django_capture_on_commit_callbacks(execute=True):  # the check, the re-tag, the feed's refresh
        page.save_revision().publish()


def feed_enclosure(client, show):
    response = client.get(reverse("episodes:feed", kwargs={"pk": show.pk}))
    (entry,) = feedparser.parse(response.content).entries
    (enclosure,) = entry.enclosures
    return enclosure


def test_a_new_title_makes_a_new_file_at_a_new_url_and_the_old_url_keeps_its_bytes(
    client, settings, show, episode, tmp_path, django_capture_on_commit_callbacks
):
    old = episode.audio.renditions.get()
    old_bytes = served(client, old.url)
    assert str(id3_of(old_bytes, tmp_path)["TIT2"]) == "Deciding together"
    settings.FFMPEG_BINARY = str(tmp_path / "no-ffmpeg")  # a re-tag encodes nothing: it needs no ffmpeg

    publish(episode, django_capture_on_commit_callbacks, title="Deciding together, as equals")

    new = AudioRendition.objects.ready().get(audio=episode.audio)
    assert new.pk != old.pk and new.url != old.url and new.retag_of_id == old.pk
    new_bytes = served(client, new.url)
    assert str(id3_of(new_bytes, tmp_path)["TIT2"]) == "Deciding together, as equals"
    # Re-tagged, not encoded again: the very same audio frames under the new tag.
    assert audio_frames(new_bytes, tmp_path) == audio_frames(old_bytes, tmp_path)
    assert (new.duration_ms, new.bitrate, new.copied) == (old.duration_ms, old.bitrate, old.copied)
    # The same sound: the player's waveform and the loudness measurement come along.
    assert old.waveform and (new.waveform, new.measurement) == (old.waveform, old.measurement)
    enclosure = feed_enclosure(client, show)
    assert enclosure.href.endswith(new.url)
    assert int(enclosure.length) == new.size == len(new_bytes)
    # Apps mid-download of the old file keep getting it, for the grace period.
    old.refresh_from_db()
    assert old.retired_at is not None
    assert served(client, old.url) == old_bytes


def test_new_artwork_and_chapters_reach_the_file(
    client, episode, tmp_path, django_capture_on_commit_callbacks
):
    old = episode.audio.renditions.get()
    assert not id3_of(served(client, old.url), tmp_path).getall("APIC")
    Chapter.objects.filter(page=episode).delete()
    episode.chapters.add(Chapter(start_ms=0, title="Why share power", sort_order=0))
    episode.chapters.add(Chapter(start_ms=1200, title="How to start", sort_order=1))

    artwork = wagtail_factories.ImageFactory(file__width=300, file__height=300, file__color="teal")
    publish(episode, django_capture_on_commit_callbacks, artwork=artwork)

    new = AudioRendition.objects.ready().get(audio=episode.audio)
    tags = id3_of(served(client, new.url), tmp_path)
    chapters = sorted(tags.getall("CHAP"), key=lambda frame: frame.start_time)
    assert [(c.start_time, str(c.sub_frames["TIT2"])) for c in chapters] == [
        (0, "Why share power"),
        (1200, "How to start"),
    ]
    (picture,) = tags.getall("APIC")
    assert picture.data[:2] == b"\xff\xd8"  # the episode's new artwork, as JPEG


def test_a_renamed_show_reaches_its_episodes_files(
    client, show, episode, tmp_path, django_capture_on_commit_callbacks
):
    publish(show, django_capture_on_commit_callbacks, title="Coproduction in Practice")

    new = AudioRendition.objects.ready().get(audio=episode.audio)
    assert new.retag_of is not None
    assert str(id3_of(served(client, new.url), tmp_path)["TALB"]) == "Coproduction in Practice"


def test_publishing_without_a_tag_change_makes_no_new_file(episode, django_capture_on_commit_callbacks):
    before = AudioRendition.objects.count()

    publish(episode, django_capture_on_commit_callbacks, search_description="Not in the file's tags")

    assert AudioRendition.objects.count() == before
    assert check_tags(episode.audio) == []


def test_a_renamed_audio_no_episode_uses_gets_a_file_with_its_new_title(
    client, masters, tmp_path, django_capture_on_commit_callbacks
):
    audio = AudioFileFactory(path=masters["ready_mp3"], title="An interview")
    old = run_delivery(request_delivery(audio, enqueue=False).pk)

    audio.title = "An interview with the ward's nurses"
    with django_capture_on_commit_callbacks(execute=True):
        audio.save()

    new = AudioRendition.objects.ready().get(audio=audio)
    assert new.pk != old.pk
    assert str(id3_of((settings.MEDIA_ROOT / new.file.name).read_bytes(), tmp_path)["TIT2"]) == audio.title


def test_a_missing_file_is_encoded_again_from_the_master(
    client, episode, tmp_path, django_capture_on_commit_callbacks
):
    old = episode.audio.renditions.get()
    (settings.MEDIA_ROOT / old.file.name).unlink()  # lost from storage

    publish(episode, django_capture_on_commit_callbacks, title="Deciding together again")

    new = AudioRendition.objects.ready().get(audio=episode.audio)
    assert new.pk != old.pk
    assert str(id3_of(served(client, new.url), tmp_path)["TIT2"]) == "Deciding together again"


def test_a_master_replaced_during_a_retag_wins(episode, masters, monkeypatch):
    audio = episode.audio
    old = audio.renditions.get()
    episode.title = "Deciding together, retitled"
    episode.save_revision().publish()
    (retag,) = check_tags(audio)
    assert retag.status == AudioRendition.QUEUED
    assert audio.renditions.active().get() == old  # the re-tag waits beside it, not in use yet
    save = FileSystemStorage._save

    def replaced_meanwhile(self, name, content):
        # The editor uploads a new master while the re-tagged file is being stored.
        AudioFile.objects.filter(pk=audio.pk).update(sha256="f" * 64)
        request_delivery(AudioFile.objects.get(pk=audio.pk), enqueue=False)
        return save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", replaced_meanwhile)
    assert run_delivery(retag.pk) is None  # superseded: nothing of it is kept
    monkeypatch.undo()

    assert not AudioRendition.objects.filter(pk=retag.pk).exists()
    old.refresh_from_db()
    assert old.retired_at is not None  # retired by the replacement, not by the re-tag
    (current,) = AudioFile.objects.get(pk=audio.pk).renditions.active()
    assert (current.master_sha256, current.status, current.retag_of) == (
        "f" * 64,
        AudioRendition.QUEUED,
        None,
    )
    stored = {p.name for p in (settings.MEDIA_ROOT / "audio" / "renditions").rglob("*.mp3")}
    assert stored == {old.file.name.rsplit("/", 1)[-1]}  # the re-tag's file was deleted


def test_while_a_retag_is_at_work_exactly_one_rendition_is_ready(episode):
    episode.title = "Deciding together, once more"
    episode.save_revision().publish()
    (retag,) = check_tags(episode.audio)

    assert check_tags(episode.audio) == []  # one re-tag at a time: it reads the tags when it runs
    assert AudioRendition.objects.ready().filter(audio=episode.audio).count() == 1
    done = run_delivery(retag.pk)
    assert done.status == AudioRendition.DONE
    assert list(AudioRendition.objects.ready().filter(audio=episode.audio)) == [done]
