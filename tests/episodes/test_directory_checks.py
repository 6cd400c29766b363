"""The show and episode edit views warn about what Apple Podcasts would reject."""

import io

import pytest
from django.core.files.images import ImageFile
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.images import get_image_model

from episodes.directory_checks import (
    enclosure_problems,
    episode_problems,
    show_problems,
    title_has_episode_number,
)
from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from episodes.models import AudioFile, ShowCategory, ShowPage
from tests.episodes.admin_forms import episode_form_data

pytestmark = pytest.mark.django_db


def make_image(width, height, fmt="JPEG", mode="RGB"):
    buffer = io.BytesIO()
    PILImage.new(mode, (width, height), color=0).save(buffer, format=fmt)
    name = f"art.{fmt.lower()}"
    return get_image_model().objects.create(title=name, file=ImageFile(buffer, name=name))


@pytest.fixture
def good_show(home_page):
    show = ShowPageFactory(parent=home_page, artwork=make_image(1400, 1400))
    ShowCategory.objects.create(page=show, category="Health & Fitness > Medicine")
    return show


def test_a_complete_show_has_no_problems(good_show):
    assert show_problems(good_show) == []


@pytest.mark.parametrize(
    ("image_args", "expected"),
    [
        ((2000, 1500), "requires a square image"),
        ((1000, 1000), "1400 to 3000 pixels"),
        ((3200, 3200), "1400 to 3000 pixels"),
        ((1400, 1400, "GIF", "P"), "GIF; Apple accepts JPEG or PNG only"),
        ((1400, 1400, "JPEG", "CMYK"), "CMYK colour mode; Apple requires RGB"),
        ((1400, 1400, "PNG", "RGBA"), "RGBA colour mode; Apple requires RGB"),
    ],
)
def test_artwork_problems(good_show, image_args, expected):
    good_show.artwork = make_image(*image_args)
    problems = show_problems(good_show)
    assert len(problems) == 1
    assert expected in problems[0]


def test_missing_artwork_category_and_owner_email():
    # The form requires an owner email; an unsaved show (e.g. mid-import) may still lack one.
    show = ShowPage(title="Unsaved", owner_email="")
    problems = " ".join(show_problems(show))
    assert "no artwork" in problems
    assert "no category" in problems
    assert "no owner email" in problems


@pytest.mark.parametrize(
    ("title", "flagged"),
    [
        ("Episode 12: Deciding together", True),
        ("Ep. 3 - Respect", True),
        ("#4 Safety", True),
        ("12: Safety", True),
        ("S2 Self-care", True),
        ("Deciding together (episode 7)", True),
        ("Deciding together", False),
        ("The 3 questions to ask", False),
        ("Seasons of care", False),
    ],
)
def test_episode_numbers_in_titles(title, flagged):
    assert title_has_episode_number(title) is flagged


def test_the_show_edit_view_lists_the_problems(admin_client, good_show):
    EpisodePageFactory(parent=good_show, title="Episode 1: Hello")
    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[good_show.pk])).content.decode()
    assert "Apple Podcasts would reject or flag this" in html
    assert "“Episode 1: Hello” contains an episode or season number" in html


def test_the_show_edit_view_says_when_all_is_well(admin_client, good_show):
    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[good_show.pk])).content.decode()
    assert "No problems found for Apple Podcasts." in html


def test_saving_an_episode_with_a_number_in_its_title_warns(admin_client, good_show):
    episode = EpisodePageFactory(parent=good_show, title="Hello")
    data = episode_form_data(title="Episode 5: Hello", slug=episode.slug)
    response = admin_client.post(reverse("wagtailadmin_pages:edit", args=[episode.pk]), data, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert any("contains an episode or season number" in m for m in messages), messages


@pytest.mark.parametrize(
    ("extension", "label"),
    [("wav", "WAV"), ("flac", "FLAC"), ("ogg", "Ogg Vorbis"), ("opus", "Ogg Opus"), ("aac", "AAC")],
)
def test_enclosures_apple_does_not_accept(extension, label):
    problems = enclosure_problems(AudioFile(extension=extension, bitrate=1_411_200))
    assert problems == [
        f"Apple Podcasts does not accept {label} enclosures; the feed must offer this episode as MP3 or M4A "
        "(AAC). Upload an MP3 or M4A export of the audio, or have an MP3 rendition made for it."
    ]


@pytest.mark.parametrize(
    ("extension", "bitrate", "expected"),
    [
        ("mp3", 32_000, "32 kbit/s; below 48 kbit/s"),
        ("m4a", 256_000, "256 kbit/s; above 192 kbit/s"),
        ("mp3", 320_000, "320 kbit/s; above 192 kbit/s"),
        ("mp3", 48_000, None),
        ("mp3", 64_000, None),
        ("m4a", 128_000, None),
        ("mp3", 192_000, None),
    ],
)
def test_enclosure_bitrates(extension, bitrate, expected):
    problems = enclosure_problems(AudioFile(extension=extension, bitrate=bitrate))
    if expected is None:
        assert problems == []
    else:
        assert len(problems) == 1 and expected in problems[0]


def test_an_episode_with_a_wav_master_is_flagged_in_its_edit_view(admin_client, good_show, audio_dir):
    wav = AudioFileFactory(path=audio_dir / "tone.wav", title="Tone")
    episode = EpisodePageFactory(parent=good_show, title="Hello", audio=wav)

    assert any("does not accept WAV enclosures" in p for p in episode_problems(episode))
    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[episode.pk])).content.decode()
    assert "Apple Podcasts does not accept WAV enclosures" in html


def test_an_episode_without_audio_has_no_enclosure_problem(good_show):
    assert enclosure_problems(None) == []
    assert episode_problems(EpisodePageFactory(parent=good_show, title="Hello", audio=None)) == []
