"""The delivered file carries its episode's tags: a podcast app that reads chapters and artwork from the file
(Apple, Overcast) shows them, and a downloaded file says what it is. Both ways a rendition is made are
checked: encoded from a WAV master, and a ready MP3 master's stream copied. Read back with mutagen."""

from __future__ import annotations

import pytest
import wagtail_factories
from django.conf import settings
from mutagen.id3 import ID3

from episodes.delivery.preparing import request_delivery, run_delivery
from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from episodes.models import AudioRendition, Chapter

pytestmark = pytest.mark.django_db


@pytest.fixture
def show(home_page):
    show = ShowPageFactory(
        parent=home_page,
        slug="coproduction",
        title="The Power of Coproduction",
        artwork=wagtail_factories.ImageFactory(file__width=200, file__height=200, file__color="navy"),
    )
    show.save_revision().publish()
    return show


def prepared(audio) -> AudioRendition:
    rendition = run_delivery(request_delivery(audio, enqueue=False).pk)
    assert rendition.status == AudioRendition.DONE, rendition.error
    return rendition


def id3_of(rendition: AudioRendition) -> ID3:
    return ID3(settings.MEDIA_ROOT / rendition.file.name)


@pytest.mark.parametrize("master", ["quiet_stereo_wav", "ready_mp3"])
def test_the_rendition_carries_the_episodes_title_show_artwork_and_chapters(show, masters, master):
    audio = AudioFileFactory(path=masters[master], title="Master export")
    episode = EpisodePageFactory(
        parent=show, slug="deciding-together", title="Deciding together", audio=audio
    )
    Chapter.objects.create(page=episode, start_ms=0, title="Welcome", sort_order=0)
    Chapter.objects.create(
        page=episode, start_ms=1500, title="Options", url="https://example.org/options", sort_order=1
    )
    episode.save_revision().publish()

    rendition = prepared(audio)
    tags = id3_of(rendition)

    assert str(tags["TIT2"]) == "Deciding together"
    assert str(tags["TALB"]) == "The Power of Coproduction"
    assert tags.getall("APIC") and tags.getall("APIC")[0].data[:2] == b"\xff\xd8"  # the show's, as JPEG
    chapters = sorted(tags.getall("CHAP"), key=lambda frame: frame.start_time)
    titles = [(c.start_time, str(c.sub_frames["TIT2"])) for c in chapters]
    assert titles == [(0, "Welcome"), (1500, "Options")]
    assert chapters[0].end_time == 1500 and chapters[1].end_time == audio.duration_ms
    assert chapters[1].sub_frames.getall("WXXX")[0].url == "https://example.org/options"
    (toc,) = tags.getall("CTOC")
    assert list(toc.child_element_ids) == [c.element_id for c in chapters]
    # The URL's digest is of the tagged bytes: the URL names exactly what it serves.
    assert rendition.size == (settings.MEDIA_ROOT / rendition.file.name).stat().st_size


def test_audio_no_episode_uses_is_titled_by_its_own_title(masters):
    audio = AudioFileFactory(path=masters["quiet_stereo_wav"], title="An interview's audio")

    tags = id3_of(prepared(audio))

    assert str(tags["TIT2"]) == "An interview's audio"
    assert not tags.getall("CHAP")
