"""A show's extra formats in the site: made for its episodes' audio (the union when shows share it), tagged,
served with their content type and ranges, listed in the feed as podcast:alternateEnclosure whose length
and integrity are those of the bytes served, shown in the delivery panel. Real ffmpeg on a few seconds of
speech, real mutagen."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from django.conf import settings
from django.urls import reverse
from lxml import etree
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus

from episodes.delivery.preparing import request_deliveries, request_for_show, run_delivery
from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from episodes.models import AudioRendition, Chapter
from episodes.models.renditions import formats_wanted
from episodes.podcast2 import PODCAST_NS

from .conftest import STEREO_TARGET, decoded_seconds, loudness

pytestmark = pytest.mark.django_db
NS = {"podcast": PODCAST_NS}


def make_show(home_page, slug, **formats):
    show = ShowPageFactory(parent=home_page, slug=slug, title=slug.title(), **formats)
    show.save_revision().publish()
    return show


def publish_episode(show, audio, slug="deciding-together"):
    episode = EpisodePageFactory(parent=show, slug=slug, title="Deciding together", audio=audio)
    episode.save_revision().publish()
    return episode


def prepare_all(audio) -> dict[str, AudioRendition]:
    done = {}
    for rendition in request_deliveries(audio, enqueue=False):
        result = run_delivery(rendition.pk) if rendition.status == AudioRendition.QUEUED else rendition
        assert result.status == AudioRendition.DONE, (rendition.format, result.error)
        done[result.format] = result
    return done


def feed_items(client, show) -> list[etree._Element]:
    response = client.get(reverse("episodes:feed", kwargs={"pk": show.pk}))
    assert response.status_code == 200
    return etree.fromstring(response.content).findall("channel/item")


def served(client, url: str, **headers):
    response = client.get(url.removeprefix("http://localhost"), **headers)
    return response, b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def both(home_page, masters):
    """A show that asks for both extra formats, with one published episode of a WAV master that has two
    chapters, and all its renditions made."""
    show = make_show(home_page, "both", deliver_aac=True, deliver_opus=True)
    audio = AudioFileFactory(path=masters["quiet_stereo_wav"], title="Deciding together")
    episode = publish_episode(show, audio)
    Chapter.objects.create(page=episode, start_ms=0, title="Welcome")
    Chapter.objects.create(page=episode, start_ms=2000, title="Deciding together")
    return show, audio, prepare_all(audio)


def test_a_show_with_extra_formats_gets_them_tagged_normalised_and_on_time(both, masters):
    show, audio, renditions = both
    assert set(renditions) == {"mp3", "m4a", "opus"}

    m4a = settings.MEDIA_ROOT / renditions["m4a"].file.name
    opus = settings.MEDIA_ROOT / renditions["opus"].file.name
    assert (m4a.suffix, opus.suffix) == (".m4a", ".opus")
    mp4 = MP4(m4a)
    assert mp4.tags["\xa9nam"] == ["Deciding together"] and mp4.tags["\xa9alb"] == ["Both"]
    assert [(round(c.start, 3), c.title) for c in mp4.chapters] == [(0, "Welcome"), (2, "Deciding together")]
    ogg = OggOpus(opus)
    assert ogg.tags["TITLE"] == ["Deciding together"] and ogg.tags["ALBUM"] == ["Both"]
    assert ogg.tags["CHAPTER002"] == ["00:00:02.000"] and ogg.tags["CHAPTER002NAME"] == ["Deciding together"]
    for path in (m4a, opus):
        # Tagging rewrote the files (M4A through ffmpeg): loudness and timing are still right.
        assert abs(loudness(path).integrated - STEREO_TARGET) <= 1.0, path
        assert abs(decoded_seconds(path) - decoded_seconds(masters["quiet_stereo_wav"])) <= 0.05, path
    # One loudness measurement of the master, kept with the first rendition and reused by the others.
    assert renditions["m4a"].loudness_before == renditions["mp3"].loudness_before
    assert renditions["opus"].measurement == renditions["mp3"].measurement


def test_the_feed_lists_the_formats_as_alternate_enclosures_with_their_integrity(client, both):
    show, audio, renditions = both
    (item,) = feed_items(client, show)
    enclosure = item.find("enclosure")
    alternates = item.findall("podcast:alternateEnclosure", NS)

    assert [a.get("type") for a in alternates] == ["audio/mpeg", "audio/mp4", "audio/ogg"]
    assert [a.get("title") for a in alternates] == ["MP3", "AAC", "Opus"]
    assert [a.get("default") for a in alternates] == ["true", None, None]
    assert [a.get("codecs") for a in alternates] == ["mp3", "mp4a.40.2", "opus"]
    assert [a.get("bitrate") for a in alternates] == ["128000", "96000", "48000"]
    # The default is the enclosure itself.
    default_source = alternates[0].find("podcast:source", NS).get("uri")
    assert (default_source, alternates[0].get("length")) == (enclosure.get("url"), enclosure.get("length"))
    for alternate, fmt in zip(alternates, ["mp3", "m4a", "opus"], strict=True):
        (source,) = alternate.findall("podcast:source", NS)
        integrity = alternate.find("podcast:integrity", NS)
        response, body = served(client, source.get("uri"))
        assert response.status_code == 200 and response["Content-Type"] == alternate.get("type")
        assert int(alternate.get("length")) == len(body) == renditions[fmt].size
        expected = "sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode()
        assert (integrity.get("type"), integrity.get("value")) == ("sri", expected)
        assert source.get("uri").endswith(f".{fmt}")


def test_extra_formats_answer_range_requests(client, both):
    for fmt, content_type in (("m4a", "audio/mp4"), ("opus", "audio/ogg")):
        rendition = both[2][fmt]
        whole = (settings.MEDIA_ROOT / rendition.file.name).read_bytes()

        response, body = served(client, rendition.url, HTTP_RANGE="bytes=100-299")

        assert response.status_code == 206 and response["Content-Type"] == content_type
        assert response["Content-Range"] == f"bytes 100-299/{len(whole)}"
        assert body == whole[100:300]
        head = client.head(rendition.url)
        assert head["Accept-Ranges"] == "bytes" and int(head["Content-Length"]) == len(whole)


def test_the_delivery_panel_lists_every_format(admin_client, both):
    show, audio, renditions = both
    episode = audio.episodes.get()
    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[episode.pk])).content.decode()
    assert "<strong>ready</strong>, MP3 128 kbit/s" in html
    assert re.search(r"M4A \(AAC\):\s*<strong>ready</strong>, 96 kbit/s, loudness -1[567]\.\d LUFS", html)
    assert re.search(r"Opus:\s*<strong>ready</strong>, 48 kbit/s", html)
    AudioRendition.objects.filter(pk=renditions["opus"].pk).update(
        status=AudioRendition.FAILED, error="ffmpeg could not write Opus."
    )
    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[episode.pk])).content.decode()
    assert "<strong>failed</strong>: ffmpeg could not write Opus." in html
    assert reverse("episodes_delivery_retry", args=[audio.pk]) in html


def test_a_show_without_extra_formats_gets_only_the_mp3_and_no_alternates(client, home_page, masters):
    show = make_show(home_page, "plain")
    audio = AudioFileFactory(path=masters["loud_mono_wav"], title="Plain")
    publish_episode(show, audio)

    assert formats_wanted(audio) == ["mp3"]
    assert set(prepare_all(audio)) == {"mp3"}
    (item,) = feed_items(client, show)
    assert item.find("enclosure") is not None
    assert item.findall("podcast:alternateEnclosure", NS) == []


def test_audio_shared_by_shows_gets_the_union_and_each_feed_lists_its_own(home_page, masters):
    aac = make_show(home_page, "aac", deliver_aac=True)
    opus = make_show(home_page, "opus", deliver_opus=True)
    audio = AudioFileFactory(path=masters["quiet_stereo_wav"])
    publish_episode(aac, audio)
    assert formats_wanted(audio) == ["mp3", "m4a"]
    publish_episode(opus, audio, slug="again")
    assert formats_wanted(audio) == ["mp3", "m4a", "opus"]

    queued = request_deliveries(audio, enqueue=False)

    assert [r.format for r in queued] == ["mp3", "m4a", "opus"]  # the MP3, the enclosure, first
    for rendition in queued:
        AudioRendition.objects.filter(pk=rendition.pk).update(
            status=AudioRendition.DONE, sha256=f"{rendition.pk:064x}", size=1000, duration_ms=1, bitrate=1
        )
    from episodes.feeds import build_feed

    for show, fmt in ((aac, "audio/mp4"), (opus, "audio/ogg")):
        (item,) = etree.fromstring(build_feed(type(show).objects.get(pk=show.pk))).findall("channel/item")
        types = [a.get("type") for a in item.findall("podcast:alternateEnclosure", NS)]
        assert types == ["audio/mpeg", fmt], show


def test_publishing_a_show_with_a_format_added_or_dropped_requests_or_retires_it(
    home_page, masters, django_capture_on_commit_callbacks
):
    show = make_show(home_page, "changing")
    audio = AudioFileFactory(path=masters["quiet_stereo_wav"])
    publish_episode(show, audio)
    request_deliveries(audio, enqueue=False)
    assert request_for_show(show) == 0  # nothing to do: publishing costs two queries

    show.deliver_opus = True
    with django_capture_on_commit_callbacks(execute=True):
        show.save_revision().publish()  # the immediate task backend makes it

    opus = audio.renditions.active().get(format="opus")
    assert opus.status == AudioRendition.DONE, opus.error

    show.deliver_opus = False
    with django_capture_on_commit_callbacks(execute=True):
        show.save_revision().publish()

    opus.refresh_from_db()
    assert opus.retired_at is not None  # still served for the grace period, out of the feed
    assert [r.format for r in audio.renditions.active()] == ["mp3"]


def test_the_feed_query_count_is_unchanged_by_alternates_and_constant_in_episodes(home_page, masters):
    """Alternate enclosures come in the query that fetched the MP3 renditions: a feed with them costs what
    one without them costs, for 3 episodes or 30. (Rendition rows stand for made files: the feed reads
    only their rows. One audio file for every episode, as in test_feed.py; each show lists only the
    formats it asks for.)"""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from episodes.feeds import build_feed
    from episodes.models import ShowPage

    audio = AudioFileFactory(path=masters["quiet_stereo_wav"])
    for fmt in ("mp3", "m4a", "opus"):
        AudioRendition.objects.create(
            audio=audio,
            format=fmt,
            master_sha256=audio.sha256,
            status=AudioRendition.DONE,
            sha256=hashlib.sha256(fmt.encode()).hexdigest(),
            size=1000,
            duration_ms=8000,
            bitrate=96_000,
        )
    both = {"deliver_aac": True, "deliver_opus": True}
    counts = {}
    for label, formats, count in (("mp3", {}, 3), ("all", both, 3), ("all", both, 30)):
        show = make_show(home_page, f"{label}-{count}", **formats)
        for n in range(count):
            EpisodePageFactory(parent=show, slug=f"e{n}", audio=audio)
        show = ShowPage.objects.get(pk=show.pk)
        build_feed(show)  # warm Wagtail's site-root cache, as a running site has it
        with CaptureQueriesContext(connection) as captured:
            content = build_feed(show)
        alternates = etree.fromstring(content).findall("channel/item/podcast:alternateEnclosure", NS)
        assert len(alternates) == (3 * count if label == "all" else 0)
        counts[(label, count)] = len(captured)
    assert counts[("mp3", 3)] == counts[("all", 3)] == counts[("all", 30)], counts


def test_publishing_a_show_or_episode_without_extra_formats_queues_nothing(
    home_page, masters, django_capture_on_commit_callbacks
):
    """The MP3 is the upload's business (and prepare_audio --missing's): publishing pages of a show that
    asks for nothing more makes nothing, so that publishing stays cheap and quiet."""
    show = make_show(home_page, "quiet")
    audio = AudioFileFactory(path=masters["quiet_stereo_wav"])
    with django_capture_on_commit_callbacks(execute=True):
        publish_episode(show, audio)
        show.save_revision().publish()
    assert request_for_show(show) == 0
    assert not audio.renditions.exists()


def test_try_again_remakes_only_the_failed_format_and_the_mp3_stays_in_the_feed(
    admin_client, client, home_page, masters
):
    """A WAV episode whose Opus failed: *Try again* must not retire its ready MP3, or the episode would
    leave the feed until the MP3 was made again. (Rows stand for made files; nothing is encoded here.)"""
    show = make_show(home_page, "retry", deliver_opus=True)
    audio = AudioFileFactory(path=masters["quiet_stereo_wav"])
    publish_episode(show, audio)
    mp3, opus = request_deliveries(audio, enqueue=False)
    AudioRendition.objects.filter(pk=mp3.pk).update(
        status=AudioRendition.DONE, sha256="ab" * 32, size=1000, duration_ms=8000, bitrate=128_000
    )
    AudioRendition.objects.filter(pk=opus.pk).update(status=AudioRendition.FAILED, error="No Opus encoder.")

    response = admin_client.post(reverse("episodes_delivery_retry", args=[audio.pk]))

    assert response.status_code == 302
    mp3.refresh_from_db()
    assert mp3.retired_at is None and mp3.status == AudioRendition.DONE
    assert not AudioRendition.objects.filter(pk=opus.pk).exists()
    assert audio.renditions.active().get(format="opus").status == AudioRendition.QUEUED
    (item,) = feed_items(client, show)
    assert item.find("enclosure").get("url").endswith(f"/r/{'ab' * 8}.mp3")
