"""Audio is served with byte ranges, and only when a live page that the request may see uses it."""

import io

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from wagtail.models import PageViewRestriction

from episodes.factories import (
    AudioFileFactory,
    EpisodePageFactory,
    InterviewIndexPageFactory,
    InterviewPageFactory,
    ShowPageFactory,
)
from episodes.serving import FileRange, RangeNotSatisfiable, parse_range
from episodes.views import serve_audio

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    if response.streaming:
        content = b"".join(response.streaming_content)
        response.close()
        return content
    return response.content


@pytest.fixture
def show(home_page):
    return ShowPageFactory(parent=home_page)


@pytest.fixture
def audio(audio_dir):
    return AudioFileFactory(path=audio_dir / "tone.mp3")


@pytest.fixture
def episode(show, audio):
    return EpisodePageFactory(parent=show, audio=audio)


@pytest.fixture
def data(audio_dir):
    return (audio_dir / "tone.mp3").read_bytes()


# The whole file ---------------------------------------------------------------------------------------------


def test_get_serves_the_whole_file(client, episode, audio, data):
    assert audio.url == f"/audio/{audio.pk}/{audio.sha256[:16]}.mp3"

    response = client.get(audio.url)

    assert response.status_code == 200
    assert body(response) == data
    assert response["Content-Type"] == "audio/mpeg"
    assert response["Content-Length"] == str(len(data)) == str(audio.size)
    assert response["Accept-Ranges"] == "bytes"
    assert response["ETag"] == f'"{audio.sha256}"'
    assert response["Cache-Control"] == "public, max-age=3600"
    assert "Content-Range" not in response


def test_head_answers_with_headers_only(client, episode, audio, data):
    response = client.head(audio.url)

    assert response.status_code == 200
    assert response["Content-Length"] == str(len(data))
    assert response["Content-Type"] == "audio/mpeg"
    assert response["Accept-Ranges"] == "bytes"


def test_head_opens_no_file_and_sends_no_body(rf, episode, audio):
    # The test client drops HEAD bodies itself, so the view is called directly.
    response = serve_audio(rf.head(audio.url), pk=audio.pk, digest=audio.digest, extension="mp3")

    assert not response.streaming
    assert response.content == b""
    assert response["Content-Length"] == str(audio.size)


def test_audio_is_never_compressed(client, episode, audio, data):
    response = client.get(audio.url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")

    assert "Content-Encoding" not in response
    assert response["Content-Length"] == str(len(data))
    assert body(response) == data


def test_other_methods_are_not_allowed(client, episode, audio):
    assert client.post(audio.url).status_code == 405


# Byte ranges ------------------------------------------------------------------------------------------------


def test_the_first_two_bytes(client, episode, audio, data):
    response = client.get(audio.url, HTTP_RANGE="bytes=0-1")

    assert response.status_code == 206
    assert body(response) == data[:2]
    assert response["Content-Length"] == "2"
    assert response["Content-Range"] == f"bytes 0-1/{len(data)}"
    assert response["Content-Type"] == "audio/mpeg"


def test_a_suffix_range_gives_the_last_bytes(client, episode, audio, data):
    response = client.get(audio.url, HTTP_RANGE="bytes=-500")

    assert response.status_code == 206
    assert body(response) == data[-500:]
    assert response["Content-Range"] == f"bytes {len(data) - 500}-{len(data) - 1}/{len(data)}"


def test_an_open_range_runs_to_the_end(client, episode, audio, data):
    response = client.get(audio.url, HTTP_RANGE="bytes=100-")

    assert response.status_code == 206
    assert body(response) == data[100:]
    assert response["Content-Length"] == str(len(data) - 100)
    assert response["Content-Range"] == f"bytes 100-{len(data) - 1}/{len(data)}"


def test_a_range_in_the_middle(client, episode, audio, data):
    response = client.get(audio.url, HTTP_RANGE="bytes=1000-1999")

    assert body(response) == data[1000:2000]


def test_a_range_past_the_end_is_not_satisfiable(client, episode, audio, data):
    response = client.get(audio.url, HTTP_RANGE=f"bytes={len(data)}-")

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(data)}"
    assert response["Accept-Ranges"] == "bytes"


def test_head_with_a_range(client, episode, audio, data):
    response = client.head(audio.url, HTTP_RANGE="bytes=0-1")

    assert response.status_code == 206
    assert response["Content-Length"] == "2"
    assert response["Content-Range"] == f"bytes 0-1/{len(data)}"


def test_several_ranges_get_the_whole_file(client, episode, audio, data):
    response = client.get(audio.url, HTTP_RANGE="bytes=0-1,10-20")

    assert response.status_code == 200
    assert body(response) == data


def test_if_range_with_a_stale_etag_gets_the_whole_file(client, episode, audio, data):
    response = client.get(audio.url, HTTP_RANGE="bytes=0-1", HTTP_IF_RANGE='"an-older-version"')

    assert response.status_code == 200
    assert body(response) == data
    assert "Content-Range" not in response


def test_if_range_with_a_weak_etag_gets_the_whole_file(client, episode, audio, data):
    # If-Range needs a strong match (RFC 9110, 13.1.5).
    response = client.get(audio.url, HTTP_RANGE="bytes=0-1", HTTP_IF_RANGE=f'W/"{audio.sha256}"')

    assert response.status_code == 200


def test_if_range_with_the_current_etag_gets_the_range(client, episode, audio, data):
    response = client.get(audio.url, HTTP_RANGE="bytes=0-1", HTTP_IF_RANGE=f'"{audio.sha256}"')

    assert response.status_code == 206
    assert body(response) == data[:2]


def test_if_range_with_the_last_modified_date_gets_the_range(client, episode, audio, data):
    last_modified = client.head(audio.url)["Last-Modified"]

    response = client.get(audio.url, HTTP_RANGE="bytes=0-1", HTTP_IF_RANGE=last_modified)

    assert response.status_code == 206
    assert body(response) == data[:2]


def test_an_unread_body_still_closes_the_file():
    # A player may hang up after the headers; the response is closed without its body being read.
    fileobj = io.BytesIO(b"0123456789")
    response = StreamingHttpResponse(FileRange(fileobj, 2, 5))

    response.close()

    assert fileobj.closed


def test_file_range_reads_its_slice_in_chunks():
    fileobj = io.BytesIO(b"0123456789")

    assert list(FileRange(fileobj, 2, 5, chunk_size=2)) == [b"23", b"45", b"6"]


SIZE = 1000


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("bytes=0-1", (0, 1)),
        ("bytes=0-0", (0, 0)),
        ("bytes=-500", (500, 999)),
        ("bytes=100-", (100, 999)),
        ("bytes=999-", (999, 999)),
        ("bytes=500-5000", (500, 999)),  # an end beyond the file is clamped
        ("bytes=-5000", (0, 999)),  # so is a suffix longer than the file
        ("Bytes=0-1", (0, 1)),  # the unit is case-insensitive
        (" bytes = 0 - 1 ", (0, 1)),
        ("bytes=0-1,5-6", None),  # several ranges: the whole file
        ("bytes=5-2", None),  # last before first: invalid, ignored
        ("bytes=-", None),
        ("bytes=a-b", None),
        ("bytes=0x10-", None),
        ("bytes 0-1", None),
        ("items=0-1", None),
        ("bytes=٠-١", None),  # Arabic-Indic digits are digits to Python, not to HTTP
        ("bytes=" + "9" * 5000 + "-", None),  # too many digits for int(): malformed, not a crash
    ],
)
def test_parse_range(header, expected):
    assert parse_range(header, SIZE) == expected


@pytest.mark.parametrize(
    ("header", "size"), [("bytes=1000-", 1000), ("bytes=5000-6000", 1000), ("bytes=-0", 1000)]
)
def test_parse_range_not_satisfiable(header, size):
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, size)


# Who may listen ---------------------------------------------------------------------------------------------


def test_a_wrong_digest_is_not_found(client, episode, audio):
    url = reverse("episodes:audio", kwargs={"pk": audio.pk, "digest": "0" * 16, "extension": "mp3"})

    assert client.get(url).status_code == 404


@pytest.mark.parametrize("extension", ["wav", "ogg"])
def test_a_wrong_extension_is_not_found(client, episode, audio, extension):
    url = reverse("episodes:audio", kwargs={"pk": audio.pk, "digest": audio.digest, "extension": extension})

    assert client.get(url).status_code == 404


def test_an_unknown_extension_is_not_found(client, episode, audio):
    assert client.get(audio.url.replace(".mp3", ".exe")).status_code == 404


def test_an_unknown_file_is_not_found(client, episode, audio):
    url = reverse("episodes:audio", kwargs={"pk": audio.pk + 1, "digest": audio.digest, "extension": "mp3"})

    assert client.get(url).status_code == 404


def test_audio_used_by_no_page_is_not_served(client, audio):
    assert client.get(audio.url).status_code == 404


def test_audio_of_a_draft_is_private(client, show, audio):
    EpisodePageFactory(parent=show, audio=audio, live=False)

    assert client.get(audio.url).status_code == 404
    assert client.head(audio.url).status_code == 404


def test_editors_hear_the_audio_of_a_draft(client, admin_user, show, audio, data):
    EpisodePageFactory(parent=show, audio=audio, live=False)
    client.force_login(admin_user)

    response = client.get(audio.url)

    assert response.status_code == 200
    assert body(response) == data
    assert response["Cache-Control"] == "private, no-store"


def test_a_signed_in_visitor_without_admin_access_does_not_hear_a_draft(
    client, django_user_model, show, audio
):
    EpisodePageFactory(parent=show, audio=audio, live=False)
    client.force_login(django_user_model.objects.create_user("listener", password="x"))

    assert client.get(audio.url).status_code == 404


def test_a_draft_and_a_live_page_sharing_the_audio(client, show, audio):
    EpisodePageFactory(parent=show, audio=audio, live=False)
    EpisodePageFactory(parent=show, audio=audio)

    assert client.get(audio.url).status_code == 200


def test_audio_of_a_page_for_signed_in_users(client, django_user_model, episode, audio):
    PageViewRestriction.objects.create(page=episode, restriction_type=PageViewRestriction.LOGIN)

    response = client.get(audio.url)
    assert response.status_code == 404

    client.force_login(django_user_model.objects.create_user("listener", password="x"))
    response = client.get(audio.url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_audio_of_a_password_protected_page(client, episode, audio):
    restriction = PageViewRestriction.objects.create(
        page=episode, restriction_type=PageViewRestriction.PASSWORD, password="coproduce"
    )

    assert client.get(audio.url).status_code == 404

    client.post(
        reverse("wagtailcore_authenticate_with_password", args=[restriction.pk, episode.pk]),
        {"password": "coproduce", "return_url": episode.url},
    )
    assert client.get(audio.url).status_code == 200


def test_a_restriction_on_the_show_covers_its_episodes_audio(client, show, episode, audio):
    PageViewRestriction.objects.create(page=show, restriction_type=PageViewRestriction.LOGIN)

    assert client.get(audio.url).status_code == 404


def test_audio_of_an_unpublished_episode_stops_being_served(client, episode, audio):
    assert client.get(audio.url).status_code == 200

    episode.unpublish()

    assert client.get(audio.url).status_code == 404


def test_audio_of_a_live_interview_is_served(client, home_page, audio, data):
    interviews = InterviewIndexPageFactory(parent=home_page)
    InterviewPageFactory(parent=interviews, audio=audio)

    response = client.get(audio.url)

    assert response.status_code == 200
    assert body(response) == data


def test_audio_of_a_draft_interview_is_private(client, home_page, audio):
    interviews = InterviewIndexPageFactory(parent=home_page)
    InterviewPageFactory(parent=interviews, audio=audio, live=False)

    assert client.get(audio.url).status_code == 404


def test_audio_the_episode_no_longer_uses_stops_being_served(client, show, audio_dir):
    old = AudioFileFactory(path=audio_dir / "tone.mp3")
    new = AudioFileFactory(path=audio_dir / "tone.ogg")
    episode = EpisodePageFactory(parent=show, audio=old)
    old_url = old.url

    episode.audio = new
    episode.save_revision().publish()

    assert client.get(old_url).status_code == 404
    assert client.get(new.url).status_code == 200
    assert new.url.endswith(".ogg")


# Conditional requests and delivery modes ---------------------------------------------------------------


def test_if_none_match_with_the_current_etag_gives_304_without_a_body(client, episode, audio):
    response = client.get(audio.url, HTTP_IF_NONE_MATCH=f'"{audio.sha256}"')

    assert response.status_code == 304
    assert body(response) == b""
    assert response["ETag"] == f'"{audio.sha256}"'


def test_if_none_match_with_another_etag_gives_the_file(client, episode, audio, data):
    response = client.get(audio.url, HTTP_IF_NONE_MATCH='"something-else"')
    assert response.status_code == 200
    assert body(response) == data


def test_x_accel_redirect_hands_the_file_to_nginx_after_the_checks(client, settings, episode, audio):
    settings.AUDIO_DELIVERY = "x-accel-redirect"
    settings.AUDIO_ACCEL_REDIRECT_PREFIX = "/protected-media/"

    response = client.get(audio.url)

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{audio.file.name}"
    assert response["Content-Type"] == "audio/mpeg"
    assert body(response) == b""


def test_x_accel_redirect_still_refuses_unpublished_audio(client, settings, episode, audio):
    settings.AUDIO_DELIVERY = "x-accel-redirect"
    episode.unpublish()

    response = client.get(audio.url)

    assert response.status_code == 404
    assert "X-Accel-Redirect" not in response


def test_redirect_delivery_sends_the_storage_url_uncached(client, settings, episode, audio):
    settings.AUDIO_DELIVERY = "redirect"

    response = client.get(audio.url)

    assert response.status_code == 302
    assert response["Location"] == audio.file.url
    assert response["Cache-Control"] == "private, no-store"


def test_an_unknown_delivery_is_a_system_check_error(settings):
    from episodes.checks import check_audio_delivery

    settings.AUDIO_DELIVERY = "ftp"
    assert [error.id for error in check_audio_delivery(None)] == ["episodes.E001"]
    settings.AUDIO_DELIVERY = "django"
    assert check_audio_delivery(None) == []
