"""Fixtures of the download-counting tests: a live episode of a show with real audio (ffmpeg tones, made
once per run), requests through the real audio view, and what the counting stored."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from django.db.models import Sum

from analytics.counting import aggregate, forget
from analytics.models import DailyDownloads
from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from tests.analytics import clock
from tests.audio import tone

APPLE = "Podcasts/1410.53 CFNetwork/1111 Darwin/19.0.0 (x86_64)"
OVERCAST = "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)"
SPOTIFY = "Spotify/8.4.66 iOS/13.3 (iPhone9,3)"
POCKET_CASTS = "PocketCasts/1.0 (Pocket Casts - Android) Pocket Casts/7.20.2 AntennaPod/2.1"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
APPLE_WATCH = "atc/1.0 watchOS/7.1 model/Watch5,4 hwp/t8006 build/18R590 (6; dt:202)"
ADDRESS = "198.51.100.23"  # TEST-NET-2: never anyone's


@pytest.fixture(scope="session")
def long_tone(tmp_path_factory):
    """90 seconds of tone (64 kbit/s MP3): longer than the minute that makes a download."""
    return tone(tmp_path_factory.mktemp("analytics") / "long.mp3", 90)


@pytest.fixture(autouse=True)
def _counting_starts_afresh(settings):
    """Each test starts with nothing remembered in this process (the rows of the last test were rolled
    back and their ids are given out again) and with the real clock."""
    settings.ANALYTICS_CLOCK = "tests.analytics.clock.now"
    settings.AUDIO_DELIVERY = "django"
    forget()
    clock.set_to(None)
    yield
    forget()
    clock.set_to(None)


@pytest.fixture
def show(home_page):
    return ShowPageFactory(parent=home_page)


@pytest.fixture
def audio(audio_dir):
    """Three seconds: shorter than a minute, so a download is the whole file."""
    return AudioFileFactory(path=audio_dir / "tone.mp3")


@pytest.fixture
def long_audio(long_tone):
    return AudioFileFactory(path=long_tone)


@pytest.fixture
def episode(show, audio):
    return EpisodePageFactory(parent=show, audio=audio)


@pytest.fixture
def long_episode(show, long_audio):
    return EpisodePageFactory(parent=show, audio=long_audio)


@dataclass
class Listener:
    """Requests as one podcast app at one address makes them, through the test client."""

    client: object
    address: str = ADDRESS
    user_agent: str = APPLE

    def get(self, url: str, byte_range: str | None = None, method: str = "get"):
        headers = {"REMOTE_ADDR": self.address, "HTTP_USER_AGENT": self.user_agent}
        if byte_range:
            headers["HTTP_RANGE"] = byte_range
        response = getattr(self.client, method)(url, **headers)
        if response.streaming:  # read to the end: the test client closes it then (closing again would
            b"".join(response.streaming_content)  # close the test database's connection too)
        return response


@pytest.fixture
def listener(client):
    return Listener(client)


def downloads(page=None, **filters) -> int:
    """The downloads stored, once the pending events are aggregated (what the scheduler does every
    round)."""
    aggregate()
    rows = DailyDownloads.objects.filter(**filters)
    if page is not None:
        rows = rows.filter(page_id=page.pk)
    return rows.aggregate(total=Sum("count"))["total"] or 0


def minute_of(audio) -> int:
    """The bytes of one minute of ``audio``, as the counting reckons it (from size and duration)."""
    return math.ceil(audio.size * 60_000 / audio.duration_ms)
