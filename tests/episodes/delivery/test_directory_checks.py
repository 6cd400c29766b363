"""The directory checks read the file the feed offers: the ready rendition when there is one (its format,
bitrate and loudness after normalising), else the master as it is, whose loudness is flagged when an earlier
delivery run measured it. Real renditions of real speech first, then each message on chosen figures."""

from __future__ import annotations

import secrets

import pytest
from django.urls import reverse

from episodes.delivery.preparing import request_delivery, run_delivery
from episodes.directory_checks import MASTER_REMEDY, RENDITION_REMEDY, enclosure_problems, episode_problems
from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from episodes.models import AudioRendition

from .conftest import STEREO_TARGET

pytestmark = pytest.mark.django_db


@pytest.fixture
def show(home_page):
    return ShowPageFactory(parent=home_page, slug="coproduction")


def prepared(audio) -> AudioRendition:
    rendition = run_delivery(request_delivery(audio, enqueue=False).pk)
    assert rendition.status == AudioRendition.DONE, rendition.error
    return rendition


def test_a_wav_master_with_its_rendition_ready_has_no_problem(masters, show, settings):
    audio = AudioFileFactory(path=masters["quiet_stereo_wav"], title="Quiet")
    episode = EpisodePageFactory(parent=show, audio=audio, title="Deciding together")
    assert any("does not accept WAV" in p for p in episode_problems(episode))  # no rendition yet

    rendition = prepared(audio)

    assert abs(rendition.loudness_after - STEREO_TARGET) <= 1
    assert episode_problems(episode) == []  # the feed offers the normalised MP3, not the WAV

    # With delivery off the feed offers the master again, and its loudness is known from that run.
    settings.DELIVERY_ENABLED = False
    problems = episode_problems(episode)
    assert problems[0].startswith("Apple Podcasts does not accept WAV enclosures")
    assert problems[1] == (
        f"The audio measures {rendition.loudness_before:.1f} LUFS; podcast apps expect -16 LUFS for stereo "
        f"(within 1 LU), so it will sound quieter than other shows. {MASTER_REMEDY}"
    )
    assert len(problems) == 2


def test_a_loud_320k_mp3_master_is_flagged_only_while_it_is_offered_as_it_is(masters, show, settings):
    audio = AudioFileFactory(path=masters["loud_stereo_mp3"], title="Loud")
    before = episode_problems(EpisodePageFactory(parent=show, audio=audio, title="Loud"))
    assert [p[:37] for p in before] == ["The audio's bitrate is 320 kbit/s; ab"]  # loudness not known yet

    rendition = prepared(audio)

    assert enclosure_problems(audio) == []  # 128 kbit/s, -16 LUFS
    settings.DELIVERY_ENABLED = False
    problems = enclosure_problems(audio)
    assert problems[0].startswith("The audio's bitrate is 320 kbit/s; above 192 kbit/s")
    assert problems[1].startswith(f"The audio measures {rendition.loudness_before:.1f} LUFS;")
    assert "so it will sound louder than other shows" in problems[1]
    # Made 10 LU too loud without a limiter, the master clips: its true peak is above the ceiling.
    assert rendition.true_peak_before > -1
    assert problems[2] == (
        f"The audio peaks at {rendition.true_peak_before:.1f} dBTP, above the -1 dBTP podcast apps allow: "
        f"it may distort once their players decode it. {MASTER_REMEDY}"
    )


# Each message, on chosen figures -----------------------------------------------------------------------


@pytest.fixture
def mp3_audio(audio_dir):
    return AudioFileFactory(path=audio_dir / "tone.mp3", title="Tone")  # 64 kbit/s mono


def rendition_of(audio, *, done=True, **figures) -> AudioRendition:
    values = {"bitrate": 128_000, "channels": 2, "loudness_before": -30.0, "true_peak_before": -9.0}
    values |= {"loudness_after": -16.0, "true_peak_after": -1.5} | figures
    return AudioRendition.objects.create(
        audio=audio,
        master_sha256=audio.sha256,
        status=AudioRendition.DONE if done else AudioRendition.FAILED,
        sha256=secrets.token_hex(32),
        size=1000,
        duration_ms=audio.duration_ms,
        **values,
    )


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        ({}, []),
        ({"loudness_after": -17.0, "true_peak_after": -1.0}, []),  # 1 LU off and at the ceiling: fine
        ({"channels": 1, "bitrate": 64_000, "loudness_after": -19.4}, []),
        (
            {"loudness_after": -17.2},
            ["measures -17.2 LUFS; podcast apps expect -16 LUFS for stereo (within 1 LU), so it will sound "
             "quieter than other shows."],
        ),
        (
            {"channels": 1, "loudness_after": -16.0},
            ["measures -16.0 LUFS; podcast apps expect -19 LUFS for mono (within 1 LU), so it will sound "
             "louder than other shows."],
        ),
        ({"true_peak_after": -0.6}, ["peaks at -0.6 dBTP, above the -1 dBTP podcast apps allow"]),
        (
            {"loudness_after": -12.5, "true_peak_after": 0.3},
            ["measures -12.5 LUFS;", "peaks at 0.3 dBTP"],
        ),
        ({"bitrate": 256_000}, ["The audio's bitrate is 256 kbit/s; above 192 kbit/s"]),
    ],
)  # fmt: skip
def test_a_ready_rendition_is_what_is_checked(mp3_audio, figures, expected):
    rendition_of(mp3_audio, **figures)
    problems = enclosure_problems(mp3_audio)
    assert len(problems) == len(expected), problems
    for problem, part in zip(problems, expected, strict=True):
        assert part in problem
        if "LUFS" in part or "dBTP" in part:
            assert problem.startswith("The file for listeners ") and problem.endswith(RENDITION_REMEDY)


def test_the_master_is_checked_when_its_rendition_is_not_the_enclosure(mp3_audio, settings):
    rendition = rendition_of(mp3_audio, loudness_before=-23.0, true_peak_before=-0.4)
    assert enclosure_problems(mp3_audio) == []  # the rendition is offered

    settings.DELIVERY_ENABLED = False
    assert enclosure_problems(mp3_audio) == [
        "The audio measures -23.0 LUFS; podcast apps expect -19 LUFS for mono (within 1 LU), so it will "
        f"sound quieter than other shows. {MASTER_REMEDY}",
        "The audio peaks at -0.4 dBTP, above the -1 dBTP podcast apps allow: it may distort once their "
        f"players decode it. {MASTER_REMEDY}",
    ]

    # A master replaced since: the figures were of other audio, so nothing is said about its loudness.
    AudioRendition.objects.filter(pk=rendition.pk).update(master_sha256="0" * 64)
    assert enclosure_problems(mp3_audio) == []


def test_no_loudness_is_claimed_when_none_was_measured(mp3_audio, settings):
    rendition_of(mp3_audio, done=False)  # failed: its figures were never stored for real
    assert enclosure_problems(mp3_audio) == []  # the master is offered meanwhile, loudness unknown
    settings.DELIVERY_ENABLED = False
    assert enclosure_problems(mp3_audio) == []


def test_the_episode_edit_view_shows_the_loudness_warning(admin_client, show, mp3_audio):
    rendition_of(mp3_audio, channels=1, bitrate=64_000, loudness_after=-24.0)
    episode = EpisodePageFactory(parent=show, audio=mp3_audio, title="Deciding together")

    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[episode.pk])).content.decode()

    assert "Apple Podcasts would reject or flag this" in html
    assert "The file for listeners measures -24.0 LUFS; podcast apps expect -19 LUFS for mono" in html
