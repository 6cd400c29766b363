"""`manage.py add_episode`: an episode from a local file, checked like an upload, all or nothing."""

import hashlib
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from episodes.factories import ShowPageFactory
from episodes.models import AudioFile, EpisodePage

pytestmark = pytest.mark.django_db


@pytest.fixture
def show(home_page):
    return ShowPageFactory(parent=home_page, slug="coproduction")


def add_episode(*args) -> str:
    out = StringIO()
    call_command("add_episode", *args, stdout=out)
    return out.getvalue()


def media_files(settings) -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def test_a_published_episode_is_live_under_its_show_with_described_audio(show, audio_dir, settings):
    source = audio_dir / "speech.mp3"

    output = add_episode(
        "--show", "coproduction", "--title", "Deciding Together", "--audio", str(source),
        "--publish", "--season", "1", "--number", "2", "--summary", "Options, side by side.",
    )  # fmt: skip

    episode = EpisodePage.objects.get()
    assert episode.live and not episode.has_unpublished_changes
    assert episode.get_parent().pk == show.pk
    assert list(show.episodes()) == [episode]
    assert (episode.slug, episode.season, episode.episode_number) == ("deciding-together", 1, 2)
    assert episode.summary == "Options, side by side."
    assert episode.live_revision_id == episode.latest_revision_id
    audio = episode.audio
    assert audio.mime_type == "audio/mpeg" and audio.duration_ms > 0 and audio.bitrate > 0
    assert audio.size == source.stat().st_size
    assert audio.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert (Path(settings.MEDIA_ROOT) / audio.file.name).read_bytes() == source.read_bytes()
    assert episode.get_full_url().startswith("http")
    assert episode.get_full_url() in output
    assert "Published" in output and "draft" not in output


def test_without_publish_the_episode_is_a_draft(show, audio_dir):
    output = add_episode(
        "--show", "coproduction", "--title", "Self-care", "--audio", str(audio_dir / "tone.m4a")
    )

    episode = EpisodePage.objects.get()
    assert not episode.live and episode.has_unpublished_changes
    assert episode.latest_revision is not None and episode.live_revision is None
    assert not show.episodes().exists()
    assert episode.summary  # required: a default is written
    assert "draft" in output
    assert episode.get_full_url() in output
    assert f"/admin/pages/{episode.pk}/edit/" in output


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        pytest.param({"--audio": "MISSING"}, "There is no file", id="missing file"),
        pytest.param({"--audio": "WEB PAGE"}, "not audio", id="web page named .mp3"),
        pytest.param({"--show": "nowhere"}, "no show with the slug 'nowhere'", id="unknown show"),
        pytest.param({"--title": "?!"}, "empty web address", id="empty slug"),
        # Refused after the audio was stored: the stored file must go too.
        pytest.param({"--season": "-1"}, "season", id="invalid page field"),
    ],
)
def test_a_failure_says_why_and_leaves_nothing_behind(show, audio_dir, tmp_path, settings, override, reason):
    web_page = tmp_path / "episode.mp3"
    web_page.write_text("<!DOCTYPE html><html><body>Not found</body></html>")
    paths = {"MISSING": str(tmp_path / "nothing-here.mp3"), "WEB PAGE": str(web_page)}
    options = {"--show": "coproduction", "--title": "A title", "--audio": str(audio_dir / "speech.mp3")}
    options.update({name: paths.get(value, value) for name, value in override.items()})

    with pytest.raises(CommandError, match=reason):
        add_episode(*[part for option in options.items() for part in option], "--publish")

    assert not EpisodePage.objects.exists()
    assert not AudioFile.objects.exists()
    assert media_files(settings) == []


def test_a_title_whose_slug_is_taken_is_refused(show, audio_dir, settings):
    add_episode(
        "--show", "coproduction", "--title", "Deciding together", "--audio", str(audio_dir / "speech.mp3")
    )

    with pytest.raises(CommandError, match="already has a page at the slug 'deciding-together'"):
        add_episode(
            "--show", "coproduction", "--title", "Deciding Together!", "--audio", str(audio_dir / "tone.mp3")
        )

    assert EpisodePage.objects.count() == 1
    assert AudioFile.objects.count() == 1
    assert len(media_files(settings)) == 1
