"""A 2 GB upload is refused at once, with the web process's memory bounded.

A real gunicorn (the production server, one sync worker) runs the site with the test settings against the
test database. The test signs in an administrator through a session saved in that database, then streams
a multipart body announcing 2 GB, generated lazily, to each admin view that receives audio. The server must
answer before the body is sent (413 with the editor's message) and close the connection; the worker's peak
memory (VmHWM) must not grow by more than MEMORY_BOUND. Anonymous senders are turned away (to the login
page) before the body is read, and a chunked body without a length is not read at all.
"""

import secrets
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from episodes.factories import AudioFileFactory
from episodes.models import AudioFile

from .streaming import (
    CHUNK,
    DEADLINE_SECONDS,
    Server,
    body_chunks,
    request_head,
    status_kb,
    status_of,
    stream,
)

TWO_GB = 2 * 1024**3
MEMORY_BOUND = 300 * 1024 * 1024


@pytest.fixture
def server(django_db_serialized_rollback, transactional_db, tmp_path):
    """The server reads what the test commits (a transactional test); serialized rollback puts back the
    migrations' rows (site, home page, groups, permissions) that the flush after the test removes, for the
    transactional tests that follow."""
    with Server(tmp_path) as running:
        yield running


@pytest.fixture
def session_cookie(transactional_db):
    """A signed-in administrator's session, saved in the test database the server reads."""
    admin = get_user_model().objects.create_superuser("admin", "admin@example.org", "not-a-real-password")
    client = Client()
    client.force_login(admin)
    return client.cookies["sessionid"].value


@pytest.fixture
def upload_urls(transactional_db, audio_dir):
    audio = AudioFileFactory(path=audio_dir / "tone.mp3")
    return {
        "add": reverse("wagtailsnippets_episodes_audiofile:add"),
        "replace": reverse("wagtailsnippets_episodes_audiofile:edit", args=[audio.pk]),
        "chooser upload": reverse("wagtailsnippetchoosers_episodes_audiofile:create"),
    }


def test_a_2_gb_upload_is_refused_before_it_is_read_with_bounded_memory(server, session_cookie, upload_urls):
    """Input: a 2 GB multipart upload (Content-Length announced, bytes made as they are sent) to the add,
    replace and chooser-upload views, from a signed-in administrator. Answer: 413 with the size and the
    limit in words, before a tenth of the body is sent; the worker's peak memory grows by less than
    MEMORY_BOUND and nothing is spilled to disk."""
    cookies = {"sessionid": session_cookie, "csrftoken": secrets.token_hex(16)}
    worker = server.worker_pid
    # Warm the worker up (imports, templates) so that its baseline is what it holds when serving.
    answer, _, _ = stream(server.port, request_head(upload_urls["add"], cookies, length=0), [], chunked=False)
    baseline = status_kb(worker, "VmHWM")

    for name, path in upload_urls.items():
        answer, sent, answered_at = stream(
            server.port, request_head(path, cookies, length=TWO_GB), body_chunks(TWO_GB), chunked=False
        )

        assert answered_at is not None, f"{name}: no answer within {DEADLINE_SECONDS} s; sent {sent} bytes"
        assert status_of(answer) == 413, answer[:500]
        assert b"The file is 2.0\xc2\xa0GB, larger than the limit of 300.0\xc2\xa0MB." in answer, answer[
            -500:
        ]
        assert sent < TWO_GB // 10, f"{name}: the server read {sent} bytes before answering"
    peak = status_kb(worker, "VmHWM")
    assert server.worker_pid == worker, "the worker was restarted"
    assert peak - baseline < MEMORY_BOUND, f"peak memory grew by {(peak - baseline) // 2**20} MB"
    assert [p for p in Path(server.log.parent).rglob("*") if p.is_file() and p.stat().st_size > CHUNK] == []


def test_an_anonymous_2_gb_upload_is_sent_to_the_login_page_before_it_is_read(server, upload_urls):
    """Input: the same 2 GB upload without a session (with a CSRF cookie anyone can get). Answer: a
    redirect to the admin's login page before a tenth of the body is sent."""
    cookies = {"csrftoken": secrets.token_hex(16)}
    answer, sent, answered_at = stream(
        server.port,
        request_head(upload_urls["add"], cookies, length=TWO_GB),
        body_chunks(TWO_GB),
        chunked=False,
    )

    assert answered_at is not None, f"no answer within {DEADLINE_SECONDS} s; sent {sent} bytes"
    assert status_of(answer) == 302 and b"Location: /admin/login/" in answer, answer[:500]
    assert sent < TWO_GB // 10


def test_a_chunked_2_gb_upload_without_a_length_is_not_read(server, session_cookie, upload_urls):
    """Input: 2 GB sent with Transfer-Encoding: chunked (no Content-Length), from a signed-in
    administrator. Django parses no body without a length: the form answers that a file is required,
    before a tenth of the body is sent, and the worker's peak memory stays bounded."""
    cookies = {"sessionid": session_cookie, "csrftoken": secrets.token_hex(16)}
    worker = server.worker_pid
    stream(server.port, request_head(upload_urls["add"], cookies, length=0), [], chunked=False)
    baseline = status_kb(worker, "VmHWM")

    answer, sent, answered_at = stream(
        server.port,
        request_head(upload_urls["add"], cookies, length=None),
        body_chunks(TWO_GB),
        chunked=True,
    )

    assert answered_at is not None, f"no answer within {DEADLINE_SECONDS} s; sent {sent} bytes"
    assert status_of(answer) == 200 and b"This field is required." in answer, answer[:500]
    assert sent < TWO_GB // 10
    assert status_kb(worker, "VmHWM") - baseline < MEMORY_BOUND


def test_the_limit_counts_the_other_fields_room_and_leaves_smaller_uploads_to_the_form(
    admin_client, settings, audio_dir
):
    """Input (through the test client, no server): an upload whose body exceeds AUDIO_MAX_UPLOAD_BYTES
    plus DATA_UPLOAD_MAX_MEMORY_SIZE gets 413 with the limit in words and stores nothing; one within that
    room reaches the form, which refuses it with the same words."""
    settings.AUDIO_MAX_UPLOAD_BYTES = 10_000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 5_000
    url = reverse("wagtailsnippets_episodes_audiofile:add")
    tone = (audio_dir / "tone.mp3").read_bytes()

    refused = admin_client.post(url, {"title": "Big", "file": SimpleUploadedFile("big.mp3", tone)})
    in_room = admin_client.post(url, {"title": "Near", "file": SimpleUploadedFile("near.mp3", tone[:12_000])})

    assert refused.status_code == 413
    assert "larger than the limit of 9.8\xa0KB" in refused.content.decode()
    assert in_room.status_code == 200
    assert "larger than the limit of 9.8\xa0KB" in in_room.context["form"].errors["file"][0]
    assert not AudioFile.objects.exists()
