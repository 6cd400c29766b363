"""The IAB v2.2 rules, one by one, with real requests through the audio view: in ``django`` mode (the view
sends the bytes and knows the range) and in ``redirect`` mode (the storage sends them; the first GET of the
day that is not a probe counts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from analytics.models import DailyDownloads, ListenerDay
from tests.analytics import clock
from tests.analytics.conftest import (
    APPLE,
    APPLE_WATCH,
    BOT,
    OVERCAST,
    SPOTIFY,
    Listener,
    downloads,
    minute_of,
)

pytestmark = pytest.mark.django_db
MODES = ["django", "redirect"]


@pytest.fixture(params=MODES)
def mode(request, settings):
    settings.AUDIO_DELIVERY = request.param
    return request.param


def test_a_whole_file_get_is_one_download(listener, episode, audio, mode):
    response = listener.get(audio.url)

    assert response.status_code == (200 if mode == "django" else 302)
    assert downloads(episode) == 1
    row = DailyDownloads.objects.get()
    assert (row.page_id, row.show_id, row.app) == (episode.pk, episode.get_parent().pk, "Apple Podcasts")


def test_the_same_listener_again_the_same_day_is_still_one(listener, episode, audio, mode):
    for _ in range(3):
        listener.get(audio.url)
    listener.get(audio.url, "bytes=0-")

    assert downloads(episode) == 1


def test_a_second_app_at_the_same_address_is_a_second_listener(client, episode, audio, mode):
    Listener(client, user_agent=APPLE).get(audio.url)
    Listener(client, user_agent=OVERCAST).get(audio.url)

    assert downloads(episode) == 2
    assert set(DailyDownloads.objects.values_list("app", "count")) == {("Apple Podcasts", 1), ("Overcast", 1)}


def test_another_address_is_another_listener(client, episode, audio, mode):
    Listener(client, address="198.51.100.23").get(audio.url)
    Listener(client, address="198.51.100.24").get(audio.url)

    assert downloads(episode) == 2


@pytest.mark.parametrize("user_agent", [BOT, APPLE_WATCH], ids=["crawler", "apple-watch-sync"])
def test_bots_and_apple_watch_syncs_never_count(client, episode, audio, mode, user_agent):
    response = Listener(client, user_agent=user_agent).get(audio.url)

    assert response.status_code in (200, 302)  # served all the same
    assert downloads(episode) == 0
    assert not ListenerDay.objects.exists()


def test_head_never_counts(listener, episode, audio, mode):
    response = listener.get(audio.url, method="head")

    assert response.status_code in (200, 302)
    assert downloads(episode) == 0


@pytest.mark.parametrize("probe", ["bytes=0-1", "bytes=0-0", "bytes=500-501"])
def test_a_probe_of_two_bytes_or_fewer_never_counts(listener, episode, audio, mode, probe):
    response = listener.get(audio.url, probe)

    assert response.status_code == (206 if mode == "django" else 302)
    assert downloads(episode) == 0


def test_a_probe_then_the_file_counts_once(listener, episode, audio, mode):
    listener.get(audio.url, "bytes=0-1")
    listener.get(audio.url)

    assert downloads(episode) == 1


def test_three_ranges_that_pass_the_minute_count_once_at_the_third(listener, long_episode, long_audio):
    """Django mode: a player fetching the episode in pieces is counted when the distinct bytes sent reach
    one minute of audio, not before, and only once."""
    minute = minute_of(long_audio)
    step = minute * 4 // 10
    assert 3 * step < long_audio.size  # the file is longer than the three ranges

    listener.get(long_audio.url, f"bytes=0-{step - 1}")
    listener.get(long_audio.url, f"bytes={step}-{2 * step - 1}")
    assert downloads(long_episode) == 0  # 0.8 of a minute
    listener.get(long_audio.url, f"bytes={2 * step}-{3 * step - 1}")
    assert downloads(long_episode) == 1  # 1.2 minutes
    listener.get(long_audio.url, f"bytes={3 * step}-")
    assert downloads(long_episode) == 1


def test_the_same_range_asked_again_adds_nothing(listener, long_episode, long_audio):
    half = minute_of(long_audio) // 2
    for _ in range(4):
        listener.get(long_audio.url, f"bytes=0-{half}")

    assert downloads(long_episode) == 0
    listener.get(long_audio.url, f"bytes={half // 2}-{half + half + 10}")  # overlaps: only its new bytes add
    assert downloads(long_episode) == 1


def test_in_redirect_mode_the_first_range_counts_at_once(listener, settings, long_episode, long_audio):
    settings.AUDIO_DELIVERY = "redirect"

    listener.get(long_audio.url, "bytes=0-1")
    assert downloads(long_episode) == 0
    listener.get(long_audio.url, "bytes=0-999")
    assert downloads(long_episode) == 1


def test_in_x_accel_mode_the_requests_range_is_what_nginx_sends(listener, settings, long_episode, long_audio):
    settings.AUDIO_DELIVERY = "x-accel-redirect"
    minute = minute_of(long_audio)

    response = listener.get(long_audio.url, f"bytes=0-{minute // 2}")
    assert response["X-Accel-Redirect"]
    assert downloads(long_episode) == 0
    listener.get(long_audio.url, f"bytes={minute // 2}-{minute}")
    assert downloads(long_episode) == 1


def test_a_new_utc_day_is_a_new_download(listener, episode, audio, mode):
    clock.set_to(datetime(2026, 12, 6, 23, 59, 30, tzinfo=UTC))
    listener.get(audio.url)
    clock.set_to(datetime(2026, 12, 6, 23, 59, 59, tzinfo=UTC))
    listener.get(audio.url)
    clock.set_to(datetime(2026, 12, 7, 0, 0, 1, tzinfo=UTC))
    listener.get(audio.url)

    assert downloads(episode) == 2
    by_day = dict(DailyDownloads.objects.values_list("day", "count"))
    assert by_day == {datetime(2026, 12, 6).date(): 1, datetime(2026, 12, 7).date(): 1}


def test_the_day_is_the_utc_day_whatever_the_sites_time_zone(listener, settings, episode, audio):
    settings.TIME_ZONE = "Pacific/Auckland"  # already the 7th there at 11:30 UTC on the 6th... and later
    clock.set_to(datetime(2026, 12, 6, 11, 30, tzinfo=UTC))
    listener.get(audio.url)

    assert downloads(episode) == 1
    assert DailyDownloads.objects.get().day == datetime(2026, 12, 6).date()


def test_ipv6_addresses_in_the_same_64_are_one_listener(client, episode, audio, mode):
    Listener(client, address="2001:db8:abcd:12:1111:2222:3333:4444").get(audio.url)
    Listener(client, address="2001:db8:abcd:12::9").get(audio.url)
    assert downloads(episode) == 1

    Listener(client, address="2001:db8:abcd:13::9").get(audio.url)  # the next /64: someone else
    assert downloads(episode) == 2


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.0.7", "::1", "fd00::5"])
def test_private_and_loopback_addresses_count_like_any_other(client, episode, audio, address):
    Listener(client, address=address).get(audio.url)

    assert downloads(episode) == 1


def test_the_master_and_its_rendition_count_for_one_episode(listener, episode, audio):
    from episodes.delivery.preparing import request_delivery, run_delivery

    rendition = run_delivery(request_delivery(audio, enqueue=False).pk)
    assert rendition.status == rendition.DONE and rendition.url != audio.url

    listener.get(rendition.url)
    listener.get(audio.url)
    assert downloads(episode) == 1
    Listener(listener.client, user_agent=SPOTIFY).get(rendition.url)
    assert downloads(episode) == 2


def test_behind_a_proxy_the_named_headers_last_address_is_the_listener(client, settings, episode, audio):
    settings.ANALYTICS_IP_HEADER = "X-Forwarded-For"
    proxy = "10.0.0.2"
    client.get(audio.url, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.23")
    client.get(audio.url, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="198.51.100.24")

    assert downloads(episode) == 2


def test_audio_of_a_draft_heard_by_an_editor_is_not_counted(admin_client, show, audio):
    from episodes.factories import EpisodePageFactory

    draft = EpisodePageFactory(parent=show, audio=audio, live=False)

    assert admin_client.get(audio.url).status_code == 200
    assert downloads(draft) == 0


def test_an_interview_counts_for_itself(client, home_page, audio):
    from episodes.factories import InterviewIndexPageFactory, InterviewPageFactory

    index = InterviewIndexPageFactory(parent=home_page)
    interview = InterviewPageFactory(parent=index, audio=audio)

    Listener(client).get(audio.url)
    assert downloads(interview) == 1


def test_counting_off_counts_nothing(listener, settings, episode, audio):
    settings.ANALYTICS_ENABLED = False

    assert listener.get(audio.url).status_code == 200
    assert downloads(episode) == 0


def test_a_range_past_the_end_sends_nothing_and_counts_nothing(listener, episode, audio):
    assert listener.get(audio.url, f"bytes={audio.size}-").status_code == 416
    assert downloads(episode) == 0


def test_a_day_old_listener_row_changes_nothing_today(listener, episode, audio):
    clock.set_to(datetime(2026, 12, 6, 12, tzinfo=UTC))
    listener.get(audio.url, "bytes=0-100")
    clock.set_to(datetime(2026, 12, 6, 12, tzinfo=UTC) + timedelta(days=1))
    listener.get(audio.url)

    assert downloads(episode) == 1


def test_what_counting_costs_in_queries(listener, settings, long_episode, long_audio):
    """The counting's share of a range request is one INSERT (the first range of the day also makes the
    salt and finds the episode), whether the range counts or not: the rules run in ``aggregate``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(byte_range: str) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            listener.get(long_audio.url, byte_range)
        return [query["sql"] for query in captured]

    settings.ANALYTICS_ENABLED = False
    assert not [sql for sql in queries("bytes=0-999") if "analytics_" in sql]
    settings.ANALYTICS_ENABLED = True
    queries("bytes=0-999")  # the day's salt, the episode: remembered by the process from now on
    piece = minute_of(long_audio) // 2
    for byte_range in (f"bytes=1000-{piece}", f"bytes={piece}-{2 * piece}", f"bytes={2 * piece}-{3 * piece}"):
        counting = [sql for sql in queries(byte_range) if "analytics_" in sql]
        assert len(counting) == 1 and "INSERT INTO" in counting[0]
    assert downloads(long_episode) == 1  # the second range passed the minute
