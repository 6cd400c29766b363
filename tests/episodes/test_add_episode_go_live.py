"""`manage.py add_episode --go-live`: the episode is scheduled as the admin's Publish with a go-live date
schedules it, and the command says where and when it will be public."""

import time
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from wagtail.models import Revision

from episodes.factories import ShowPageFactory
from episodes.models import AudioFile, EpisodePage
from episodes.scheduling import publish_scheduled

pytestmark = pytest.mark.django_db


@pytest.fixture
def show(home_page):
    return ShowPageFactory(parent=home_page, slug="coproduction")


def add_episode(*args) -> str:
    out = StringIO()
    call_command("add_episode", *args, stdout=out)
    return out.getvalue()


def base(audio_dir, title="Next Monday") -> list[str]:
    return ["--show", "coproduction", "--title", title, "--audio", str(audio_dir / "tone.mp3")]


def test_go_live_schedules_the_episode_and_prints_its_url_and_time(show, audio_dir):
    output = add_episode(*base(audio_dir), "--go-live", "2027-01-04T07:00Z", "--expire", "2027-02-01T07:00Z")

    episode = EpisodePage.objects.get()
    go_live = datetime(2027, 1, 4, 7, 0, tzinfo=UTC)
    assert not episode.live
    assert episode.go_live_at == go_live and episode.publication_date == go_live
    assert episode.expire_at == datetime(2027, 2, 1, 7, 0, tzinfo=UTC)
    # As Wagtail's own Publish with a go-live date: the revision is approved to go live then.
    (revision,) = Revision.objects.filter(object_id=str(episode.pk), approved_go_live_at__isnull=False)
    assert revision.approved_go_live_at == go_live and revision.pk == episode.latest_revision_id
    assert "2027-01-04 07:00 UTC" in output and "2027-02-01 07:00 UTC" in output
    assert episode.get_full_url() in output and episode.get_full_url().endswith("/coproduction/next-monday/")

    publish_scheduled()  # its time has not come
    assert not EpisodePage.objects.get().live


def test_an_offset_is_honoured_and_a_time_without_one_is_the_sites(show, audio_dir, settings):
    add_episode(*base(audio_dir, "With offset"), "--go-live", "2027-01-04T08:00+01:00")
    add_episode(*base(audio_dir, "Local time"), "--go-live", "2027-07-04 09:30")

    with_offset, local = EpisodePage.objects.order_by("pk")
    assert with_offset.go_live_at == datetime(2027, 1, 4, 7, 0, tzinfo=UTC)
    assert local.go_live_at == timezone.make_aware(datetime(2027, 7, 4, 9, 30))


def test_the_episode_goes_live_when_the_scheduler_reaches_its_time(show, audio_dir):
    when = (timezone.now() + timedelta(seconds=1)).isoformat()
    add_episode(*base(audio_dir), "--go-live", when)
    assert not EpisodePage.objects.get().live

    time.sleep(1.2)
    publish_scheduled()
    episode = EpisodePage.objects.get()
    assert episode.live and episode.released
    assert list(show.episodes()) == [episode]


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        pytest.param(["--go-live", "next monday"], "is not a date and time: write it as", id="words"),
        pytest.param(["--go-live", "2027-02-30T07:00Z"], "is not a date and time", id="no such day"),
        pytest.param(["--go-live", "2020-01-01T07:00Z"], "has passed: publish now with --publish", id="past"),
        pytest.param(
            ["--go-live", "2027-01-04T07:00Z", "--expire", "2027-01-01T07:00Z"],
            "expiry date must be after the go-live date",
            id="expires before going live",
        ),
        pytest.param(["--go-live", "2027-01-04T07:00Z", "--publish"], "not both", id="both"),
    ],
)
def test_a_bad_date_is_refused_and_nothing_is_created(show, audio_dir, options, reason):
    with pytest.raises(CommandError, match=reason) as error:
        add_episode(*base(audio_dir), *options)

    assert str(error.value).startswith("No episode was created.")
    assert not EpisodePage.objects.exists() and not AudioFile.objects.exists()
