"""The tags of an episode's delivered file, built from its page, and the digest that tells when the file
must be tagged again."""

import io
import shutil

import pytest
import wagtail_factories
from django.utils import timezone
from mutagen import id3
from PIL import Image

from episodes.delivery.tags import tags_digest, tags_for, write_tags
from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from episodes.models import Chapter, EpisodePage

pytestmark = pytest.mark.django_db


def image(color: str, width: int = 240, height: int = 160):
    return wagtail_factories.ImageFactory(file__width=width, file__height=height, file__color=color)


@pytest.fixture
def show(home_page):
    return ShowPageFactory(
        parent=home_page,
        title="The Power of Coproduction",
        author="Coproduction Collective",
        artwork=image("navy"),
    )


@pytest.fixture
def episode(show, audio_dir):
    episode = EpisodePageFactory(
        parent=show,
        title="Deciding together",
        summary="Two people talk about deciding together.",
        episode_number=4,
        season=2,
        audio=AudioFileFactory(path=audio_dir / "tone.mp3"),
    )
    # Saved out of order: chapters are listed by time.
    Chapter.objects.create(
        page=episode, start_ms=1500, title="Questions", url="https://example.org/q", image=image("orange")
    )
    Chapter.objects.create(page=episode, start_ms=0, title="Welcome")
    return episode


def fresh(episode) -> EpisodePage:
    return EpisodePage.objects.get(pk=episode.pk)


def decoded(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_tags_come_from_the_episode_and_its_show(episode):
    tags = tags_for(fresh(episode), episode.audio)

    assert (tags.title, tags.show, tags.author) == (
        "Deciding together",
        "The Power of Coproduction",
        "Coproduction Collective",
    )
    assert tags.date == timezone.localdate(episode.publication_date)
    assert tags.year == tags.date.year
    assert tags.genre == "Podcast"
    assert tags.description == "Two people talk about deciding together."
    assert (tags.episode_number, tags.season, tags.guid) == (4, 2, episode.guid)
    assert tags.link == episode.get_full_url()
    assert tags.feed_url == episode.get_parent().specific.feed_url()


def test_chapters_are_ordered_and_end_where_the_next_begins(episode):
    duration = episode.audio.duration_ms
    tags = tags_for(fresh(episode), episode.audio)

    assert [(c.start_ms, c.end_ms, c.title, c.url) for c in tags.chapters] == [
        (0, 1500, "Welcome", ""),
        (1500, duration, "Questions", "https://example.org/q"),
    ]
    assert tags.chapters[0].image is None
    assert tags.chapters[1].image_mime == "image/jpeg"
    assert decoded(tags.chapters[1].image).format == "JPEG"


def test_a_chapter_after_the_end_of_the_audio_is_left_out(episode):
    Chapter.objects.create(page=episode, start_ms=episode.audio.duration_ms, title="Too late")
    assert [c.title for c in tags_for(fresh(episode), episode.audio).chapters] == ["Welcome", "Questions"]


def test_artwork_is_the_shows_as_a_square_jpeg(episode):
    tags = tags_for(fresh(episode), episode.audio)
    artwork = decoded(tags.artwork)
    assert (tags.artwork_mime, artwork.format) == ("image/jpeg", "JPEG")
    assert artwork.width == artwork.height == 160  # cropped square, never enlarged
    assert artwork.getpixel((80, 80))[2] > 100  # navy: the show's


def test_the_episodes_own_artwork_wins_and_is_at_most_1400_pixels(episode):
    episode.artwork = image("red", 2000, 1800)
    episode.save()
    tags = tags_for(fresh(episode), episode.audio)
    artwork = decoded(tags.artwork)
    assert artwork.size == (1400, 1400)
    assert artwork.getpixel((700, 700))[0] > 200  # red: the episode's
    assert len(tags.artwork) < 500_000


def test_no_artwork_anywhere(episode, show):
    show.artwork = None
    show.save()
    tags = tags_for(fresh(episode), episode.audio)
    assert (tags.artwork, tags.artwork_mime) == (None, "")


def test_a_lost_image_file_leaves_the_picture_out(episode, show):
    show.artwork.file.storage.delete(show.artwork.file.name)
    tags = tags_for(fresh(episode), episode.audio)
    assert tags.artwork is None
    assert tags.chapters[1].image is not None


def test_the_digest_is_stable(episode):
    first = tags_digest(tags_for(fresh(episode), episode.audio))
    # Unrelated edits, and renditions made again, change nothing written.
    episode.show_notes = "<p>Longer notes</p>"
    episode.spectrum = 40
    episode.save()
    for page_image in (episode.get_parent().specific.artwork, episode.chapters.get(start_ms=1500).image):
        page_image.renditions.all().delete()
    assert tags_digest(tags_for(fresh(episode), episode.audio)) == first


@pytest.mark.parametrize("change", ["title", "chapter title", "chapter start", "artwork", "chapter image"])
def test_the_digest_changes_with_what_is_written(episode, change):
    before = tags_digest(tags_for(fresh(episode), episode.audio))
    chapter = episode.chapters.get(start_ms=1500)
    if change == "title":
        episode.title = "Deciding together, again"
        episode.save()
    elif change == "chapter title":
        chapter.title = "Questions from listeners"
        chapter.save()
    elif change == "chapter start":
        chapter.start_ms = 1600
        chapter.save()
    elif change == "artwork":
        episode.artwork = image("green")
        episode.save()
    else:
        chapter.image = image("purple")
        chapter.save()
    assert tags_digest(tags_for(fresh(episode), episode.audio)) != before


def test_the_written_file_matches_the_episode(episode, audio_dir, tmp_path):
    path = tmp_path / "episode.mp3"
    shutil.copyfile(audio_dir / "tone.mp3", path)
    tags = tags_for(fresh(episode), episode.audio)
    write_tags(path, tags)

    found = id3.ID3(path)
    assert found["TIT2"].text == ["Deciding together"]
    assert found["TALB"].text == ["The Power of Coproduction"]
    assert found.getall("APIC")[0].data == tags.artwork
    chapters = [found[f"CHAP:{key}"] for key in found.getall("CTOC")[0].child_element_ids]
    assert [(c.start_time, c.sub_frames["TIT2"].text[0]) for c in chapters] == [
        (0, "Welcome"),
        (1500, "Questions"),
    ]
    assert chapters[1].sub_frames.getall("APIC")[0].data == tags.chapters[1].image
