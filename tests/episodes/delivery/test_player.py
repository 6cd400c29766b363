"""What the site's players play: the episode page and the embedded player switch to the ready MP3
rendition (the file podcast apps get), fall back to the master as the feed does, and the episode page
links the rendition's waveform, served as JSON with a long cache. Real ffmpeg on a few seconds of speech."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from episodes.delivery.preparing import request_delivery, run_delivery
from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from episodes.models import AudioRendition, Chapter
from episodes.views import WAVEFORM_CACHE

pytestmark = pytest.mark.django_db


@pytest.fixture
def show(home_page):
    show = ShowPageFactory(parent=home_page, slug="coproduction")
    show.save_revision().publish()
    return show


def publish_episode(show, audio, slug="deciding-together"):
    episode = EpisodePageFactory(parent=show, slug=slug, audio=audio)
    episode.save_revision().publish()
    return episode


def prepare(audio) -> AudioRendition:
    rendition = run_delivery(request_delivery(audio, enqueue=False).pk)
    assert rendition.status == AudioRendition.DONE, rendition.error
    return rendition


def player(client, url: str):
    response = client.get(url)
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser").select_one("figure.player[data-player]")


@pytest.fixture
def mp3_episode(show, masters):
    """An episode whose master is an MP3 (podcast apps take it as it is), its rendition not made yet."""
    return publish_episode(show, AudioFileFactory(path=masters["ready_mp3"], title="Ready"))


def test_the_episode_page_plays_the_master_until_the_rendition_is_ready_then_the_rendition(
    client, mp3_episode
):
    audio = mp3_episode.audio
    figure = player(client, mp3_episode.url)
    assert figure.audio["src"] == audio.url
    assert not figure.has_attr("data-waveform-url")  # no rendition, no waveform

    rendition = prepare(audio)

    figure = player(client, mp3_episode.url)
    assert figure.audio["src"] == rendition.url != audio.url
    assert figure.audio.a["href"] == rendition.url  # the fallback link inside <audio>
    assert figure.figcaption.a["href"] == rendition.url  # the download link
    assert figure["data-waveform-url"] == f"/audio/{audio.pk}/r/{rendition.sha256[:16]}.waveform.json"
    page = BeautifulSoup(client.get(mp3_episode.url + "?t=2").content.decode(), "html.parser")
    assert page.select_one("figure.player audio")["src"] == f"{rendition.url}#t=2"
    assert page.find("script", src="/static/js/waveform.js")


def test_the_embedded_player_plays_the_rendition_without_a_waveform(client, mp3_episode):
    rendition = prepare(mp3_episode.audio)

    figure = player(client, f"/embed/episodes/{mp3_episode.pk}/")

    assert figure.audio["src"] == rendition.url
    assert not figure.has_attr("data-waveform-url")  # 200 pixels high: no room for it


def test_the_meta_tags_and_json_ld_name_the_file_the_player_plays(client, mp3_episode, masters, show):
    """og:audio and the JSON-LD AudioObject name the rendition once it is ready (what a shared link's
    preview plays), and name no file while a WAV master waits for its rendition."""
    rendition = prepare(mp3_episode.audio)

    page = BeautifulSoup(client.get(mp3_episode.url).content.decode(), "html.parser")
    og_audio = page.find("meta", property="og:audio")["content"]
    assert og_audio.endswith(rendition.url) and og_audio.startswith("http")
    assert page.find("meta", property="og:audio:type")["content"] == "audio/mpeg"
    graph = [json.loads(script.string) for script in page.find_all("script", type="application/ld+json")]
    media = [item["associatedMedia"] for item in _ld_items(graph) if "associatedMedia" in item]
    assert media and media[0]["contentUrl"] == og_audio

    waiting = publish_episode(
        show, AudioFileFactory(path=masters["quiet_stereo_wav"], title="Wav"), slug="waiting"
    )
    page = BeautifulSoup(client.get(waiting.url).content.decode(), "html.parser")
    assert page.find("meta", property="og:audio") is None
    graph = [json.loads(script.string) for script in page.find_all("script", type="application/ld+json")]
    media = [item["associatedMedia"] for item in _ld_items(graph) if "associatedMedia" in item]
    assert media and "contentUrl" not in media[0] and media[0]["duration"].startswith("PT")


def _ld_items(graph):
    for data in graph:
        yield from data if isinstance(data, list) else data.get("@graph", [data])


def test_a_wav_master_waits_for_its_rendition_as_in_the_feed(client, show, masters):
    """A WAV is ten times the bytes of the MP3 on a phone's data plan, and no podcast app gets it either:
    the page says the audio is being prepared, then plays the rendition."""
    episode = publish_episode(show, AudioFileFactory(path=masters["quiet_stereo_wav"], title="WAV"))

    page = BeautifulSoup(client.get(episode.url).content.decode(), "html.parser")
    assert page.select_one("figure.player") is None and page.find("audio") is None
    assert "being prepared" in page.select_one(".player-pending").text
    assert episode.audio.url not in str(page.select_one("main"))

    rendition = prepare(episode.audio)

    assert player(client, episode.url).audio["src"] == rendition.url


def test_with_delivery_off_the_master_plays(client, settings, mp3_episode):
    prepare(mp3_episode.audio)
    settings.DELIVERY_ENABLED = False

    figure = player(client, mp3_episode.url)

    assert figure.audio["src"] == mp3_episode.audio.url
    assert not figure.has_attr("data-waveform-url")


def test_the_rendition_costs_the_page_no_more_queries_than_the_master(client, show, masters):
    """One query finds the ready rendition, as the feed's does; a page with one costs what a page with
    the master costs, with or without chapters."""
    counts = {}
    for name, prepared in (("master", False), ("rendition", True)):
        audio = AudioFileFactory(path=masters["ready_mp3"], title=name)
        episode = publish_episode(show, audio, slug=name)
        for n in range(3):
            Chapter.objects.create(page=episode, start_ms=n * 1000, title=f"Chapter {n}")
        if prepared:
            prepare(audio)
        client.get(episode.url)  # warm the site cache
        with CaptureQueriesContext(connection) as queries:
            figure = player(client, episode.url)
        counts[name] = len(queries.captured_queries)
        assert figure.has_attr("data-waveform-url") == prepared
    assert counts["master"] == counts["rendition"], counts


def test_the_waveform_is_served_as_json_with_a_long_cache(client, mp3_episode):
    rendition = prepare(mp3_episode.audio)
    url = player(client, mp3_episode.url)["data-waveform-url"]

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == WAVEFORM_CACHE == "public, max-age=31536000, immutable"
    document = json.loads(response.content)
    assert document["version"] == 2 and 990 <= document["length"] <= 1000
    assert len(document["data"]) == 2 * document["length"]
    assert response.content.decode() == rendition.waveform
    again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again["Cache-Control"] == WAVEFORM_CACHE
    assert client.head(url).status_code == 200


def test_the_waveform_is_heard_by_whoever_may_hear_the_audio(client, admin_client, mp3_episode):
    rendition = prepare(mp3_episode.audio)
    url = AudioRendition.waveform_path_for(mp3_episode.audio_id, rendition.sha256)
    other = reverse("episodes:waveform", kwargs={"pk": mp3_episode.audio_id, "digest": "0" * 16})
    assert client.get(other).status_code == 404  # a digest that names no rendition
    assert client.get(url.replace(".waveform.json", ".json")).status_code == 404

    mp3_episode.unpublish()

    assert client.get(url).status_code == 404
    assert client.get(rendition.url).status_code == 404  # as the audio itself
    preview = admin_client.get(url)  # editors hear drafts, and see their waveform
    assert preview.status_code == 200 and preview["Cache-Control"] == "private, no-store"


def test_a_rendition_made_before_waveforms_has_none_and_the_page_links_none(client, mp3_episode):
    rendition = prepare(mp3_episode.audio)
    AudioRendition.objects.filter(pk=rendition.pk).update(waveform="")

    figure = player(client, mp3_episode.url)

    assert figure.audio["src"] == rendition.url
    assert not figure.has_attr("data-waveform-url")
    url = AudioRendition.waveform_path_for(mp3_episode.audio_id, rendition.sha256)
    assert client.get(url).status_code == 404
