"""Any body larger than MAX_REQUEST_BODY_BYTES is refused before it is read, wherever it is sent.

A real gunicorn (one sync worker, the test settings, the test database; see test_hostile_upload.py) runs
with MAX_REQUEST_BODY_BYTES set to CAP through the environment. The tests stream multipart bodies of BODY
bytes, made as they are sent, to Wagtail's document and image uploaders as a signed-in editor and to the
public feedback form, whose form has no file field but whose body Django would still spill to disk. The
server must answer 413 with the sizes in words before much of the body is sent, write nothing like it to
the temporary folder, keep the worker's peak memory bounded and store nothing. Bodies within the cap, and
chunked bodies (which Django does not read), behave as before.
"""

import secrets
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from wagtail.admin.models import Admin
from wagtail.contrib.forms.models import FormSubmission
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, GroupCollectionPermission, Page, Site

from episodes.models import AudioFile
from tests.security.streaming import (
    CHUNK,
    DEADLINE_SECONDS,
    Server,
    multipart,
    request_head,
    status_kb,
    status_of,
    stream,
)
from website.factories import FeedbackFormPageFactory

CAP = 5 * 1024 * 1024
BODY = 50 * 1024 * 1024
# A worker that read the body could hold it in memory; the answer to a refused one costs far less.
MEMORY_BOUND = 20 * 1024 * 1024
# Bytes the kernel takes in before the server answers (socket buffers) without the worker reading them.
SENT_BOUND = BODY // 5
ADMIN_WORDS = (
    "The upload is 50.0\xa0MB, larger than this site's limit of 5.0\xa0MB. Nothing was saved. "
    "Choose a smaller file, or ask an administrator to raise MAX_REQUEST_BODY_BYTES."
).encode()
PUBLIC_WORDS = (
    "The upload is 50.0\xa0MB, larger than this site's limit of 5.0\xa0MB. Nothing was saved. "
    "Please try again with smaller files."
).encode()


@pytest.fixture
def server(django_db_serialized_rollback, transactional_db, tmp_path, monkeypatch):
    """The server reads what the test commits (a transactional test); the migrations' rows (site, home
    page, root collection, groups, permissions) are put back before the test, whatever an earlier
    transactional test's flush removed, and after it for the tests that follow."""
    monkeypatch.setenv("MAX_REQUEST_BODY_BYTES", str(CAP))
    with Server(tmp_path) as running:
        yield running


@pytest.fixture
def site_home(django_db_serialized_rollback, transactional_db) -> Page:
    """The default site's home page, as the migrations made it (``serialized_rollback`` puts it back after
    an earlier transactional test's flush)."""
    return Site.objects.get(is_default_site=True).root_page


def permission(model, codename: str) -> Permission:
    return Permission.objects.get(content_type=ContentType.objects.get_for_model(model), codename=codename)


@pytest.fixture
def editor_cookies(site_home):
    """A signed-in editor who may use the admin and add documents and images (not a superuser), saved in
    the test database the server reads; and a CSRF cookie that the request's X-CSRFToken header repeats."""
    group = Group.objects.create(name="Uploaders")
    group.permissions.add(permission(Admin, "access_admin"))
    for model, codename in [(get_document_model(), "add_document"), (get_image_model(), "add_image")]:
        GroupCollectionPermission.objects.create(
            group=group, collection=Collection.get_first_root_node(), permission=permission(model, codename)
        )
    editor = get_user_model().objects.create_user("editor", "editor@example.org", "not-a-real-password")
    editor.groups.add(group)
    client = Client()
    client.force_login(editor)
    return {"sessionid": client.cookies["sessionid"].value, "csrftoken": secrets.token_hex(16)}


@pytest.fixture
def feedback_page(site_home):
    return FeedbackFormPageFactory(parent=site_home)


FEEDBACK = {"your_name": "Sam", "email": "sam@example.org", "message": "More on self-care, please."}


def post(
    server,
    path: str,
    cookies: dict,
    size: int,
    fields: dict,
    file_field: str,
    filename: str,
    *,
    chunked=False,
):
    """Stream the body to the server; what it answered, how many bytes it was sent, when it answered."""
    head = request_head(path, cookies, length=None if chunked else size)
    return stream(server.port, head, multipart(size, fields, file_field, filename), chunked=chunked)


def warm(server, paths: list[str], cookies: dict) -> int:
    """Send an empty post to each path, so that imports and templates are loaded; the worker's peak memory
    then, the baseline a refusal is measured against."""
    for path in paths:
        answer, _, _ = stream(server.port, request_head(path, cookies, length=0), [], chunked=False)
        assert status_of(answer) in (200, 302, 400, 403), answer[:500]
    return status_kb(server.worker_pid, "VmHWM")


def spilled(server) -> list[Path]:
    """Files in the server's temporary folder (TMPDIR) and media larger than one chunk of the body."""
    return [p for p in server.log.parent.rglob("*") if p.is_file() and p.stat().st_size > CHUNK]


def test_a_50_mb_upload_to_the_document_and_image_uploaders_is_refused_before_it_is_read(
    server, editor_cookies
):
    """Input: a 50 MB multipart upload (Content-Length announced) from a signed-in editor to the
    document add, multiple-upload and chooser-upload views and the image multiple uploader, under a 5 MB
    cap. Answer: 413 with both sizes and the setting in words, before a fifth of the body is sent; no
    file spilled, the worker's peak memory grows by less than MEMORY_BOUND, nothing stored."""
    uploads = {
        "document add": ("wagtaildocs:add", "file", "huge.pdf"),
        "document multiple upload": ("wagtaildocs:add_multiple", "files[]", "huge.pdf"),
        "document chooser upload": ("wagtaildocs_chooser:create", "document-chooser-upload-file", "huge.pdf"),
        "image multiple upload": ("wagtailimages:add_multiple", "files[]", "huge.png"),
    }
    worker = server.worker_pid
    baseline = warm(server, [reverse(url) for url, _, _ in uploads.values()], editor_cookies)

    for name, (url, file_field, filename) in uploads.items():
        answer, sent, answered_at = post(
            server, reverse(url), editor_cookies, BODY, {"title": "Huge"}, file_field, filename
        )

        assert answered_at is not None, f"{name}: no answer within {DEADLINE_SECONDS} s; sent {sent} bytes"
        assert status_of(answer) == 413, f"{name}: {answer[:500]}"
        assert answer.endswith(ADMIN_WORDS), f"{name}: {answer[-500:]}"
        assert sent < SENT_BOUND, f"{name}: the server took {sent} bytes before answering"
    assert server.worker_pid == worker, "the worker was restarted"
    assert status_kb(worker, "VmHWM") - baseline < MEMORY_BOUND
    assert spilled(server) == []
    assert not get_document_model().objects.exists()
    assert not get_image_model().objects.exists()


def test_a_50_mb_post_to_the_feedback_form_is_refused_before_it_is_read(server, feedback_page):
    """Input: an anonymous 50 MB multipart post to the public feedback form: its three fields and a file
    part the form does not ask for (Django would still stream it to a temporary file). Answer: 413 in
    words for a visitor, before a fifth of the body is sent; nothing spilled or kept."""
    cookies = {"csrftoken": secrets.token_hex(16)}
    worker = server.worker_pid
    baseline = warm(server, [feedback_page.url], cookies)

    answer, sent, answered_at = post(
        server, feedback_page.url, cookies, BODY, FEEDBACK, "attachment", "a.bin"
    )

    assert answered_at is not None, f"no answer within {DEADLINE_SECONDS} s; sent {sent} bytes"
    assert status_of(answer) == 413, answer[:500]
    assert answer.endswith(PUBLIC_WORDS), answer[-500:]
    assert sent < SENT_BOUND, f"the server took {sent} bytes before answering"
    assert status_kb(worker, "VmHWM") - baseline < MEMORY_BOUND
    assert spilled(server) == []
    assert not FormSubmission.objects.exists()


def test_a_chunked_50_mb_body_without_a_length_is_not_read(server, editor_cookies, feedback_page):
    """Input: 50 MB sent with Transfer-Encoding: chunked (no Content-Length) to the document uploader, as
    an editor, and to the feedback form. Django parses no body without a length: each form answers that
    its fields are required, before a fifth of the body is sent; nothing spilled or stored."""
    targets = {
        "document add": (reverse("wagtaildocs:add"), {"title": "Huge"}),
        "feedback form": (feedback_page.url, FEEDBACK),
    }
    worker = server.worker_pid
    baseline = warm(server, [path for path, _ in targets.values()], editor_cookies)

    for name, (path, fields) in targets.items():
        answer, sent, answered_at = post(
            server, path, editor_cookies, BODY, fields, "file", "huge.pdf", chunked=True
        )

        assert answered_at is not None, f"{name}: no answer within {DEADLINE_SECONDS} s; sent {sent} bytes"
        assert status_of(answer) == 200 and b"This field is required." in answer, f"{name}: {answer[:500]}"
        assert sent < SENT_BOUND, f"{name}: the server took {sent} bytes before answering"
    assert status_kb(worker, "VmHWM") - baseline < MEMORY_BOUND
    assert spilled(server) == []
    assert not get_document_model().objects.exists()
    assert not FormSubmission.objects.exists()


def test_a_document_and_a_feedback_submission_within_the_cap_still_arrive(
    server, editor_cookies, feedback_page
):
    """Input: a 3 MB document (over FILE_UPLOAD_MAX_MEMORY_SIZE, so spilled to a temporary file as usual)
    from an editor, and a 2 KB feedback submission from a visitor, under the 5 MB cap. Answer: the document is
    stored whole and the editor sent on to the listing; the visitor is thanked and the submission kept."""
    size = 3 * 1024 * 1024
    document, _, _ = post(
        server, reverse("wagtaildocs:add"), editor_cookies, size, {"title": "Notes"}, "file", "notes.txt"
    )
    visitor = {"csrftoken": secrets.token_hex(16)}
    feedback, _, _ = post(server, feedback_page.url, visitor, 2048, FEEDBACK, "attachment", "a.bin")

    assert status_of(document) == 302, document[:500]
    stored = get_document_model().objects.get(title="Notes")
    assert size - 1024 < stored.file.size < size
    assert status_of(feedback) == 200 and b"Thank you" in feedback, feedback[:500]
    assert FormSubmission.objects.get(page=feedback_page).get_data()["email"] == "sam@example.org"


def test_the_cap_counts_the_whole_body_and_is_read_at_each_request(admin_client, settings):
    """Input (through the test client, no server): under a 10,000-byte cap, a document upload whose body
    exceeds it and one within it. Answer: 413 with the limit in words and nothing stored; then the
    document is stored."""
    settings.MAX_REQUEST_BODY_BYTES = 10_000
    url = reverse("wagtaildocs:add")

    refused = admin_client.post(url, {"title": "Big", "file": SimpleUploadedFile("big.txt", bytes(10_000))})
    assert refused.status_code == 413
    assert "larger than this site's limit of 9.8\xa0KB. Nothing was saved." in refused.content.decode()
    assert not get_document_model().objects.exists()

    accepted = admin_client.post(
        url, {"title": "Small", "file": SimpleUploadedFile("small.txt", bytes(5_000))}
    )
    assert accepted.status_code == 302
    assert get_document_model().objects.get().title == "Small"


def test_the_document_uploader_refuses_in_the_browser_what_the_cap_would_refuse(admin_client):
    """Input: the multiple document uploader's page. Answer: it gives the browser a file-size limit (with
    Wagtail's message) that leaves room under MAX_REQUEST_BODY_BYTES for the form's other fields."""
    html = admin_client.get(reverse("wagtaildocs:add_multiple")).content.decode()

    assert f'data-max-file-size="{settings.WAGTAILDOCS_MAX_UPLOAD_SIZE}"' in html
    assert "This file is too big. Maximum filesize 309.0\xa0MB." in html
    assert settings.WAGTAILDOCS_MAX_UPLOAD_SIZE == settings.MAX_REQUEST_BODY_BYTES - 1024 * 1024


def test_the_audio_views_keep_their_own_words_and_hold_to_a_lower_cap(admin_client, settings, audio_dir):
    """Input: an audio upload over AUDIO_MAX_UPLOAD_BYTES with the cap above it, then one within the audio
    limit with the cap set below it. Answer: 413 in the audio limit's words, then 413 in the cap's; no
    audio stored."""
    url = reverse("wagtailsnippets_episodes_audiofile:add")
    tone = (audio_dir / "tone.mp3").read_bytes()
    settings.AUDIO_MAX_UPLOAD_BYTES = 10_000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 5_000
    settings.MAX_REQUEST_BODY_BYTES = 1_000_000

    over_audio = admin_client.post(url, {"title": "Big", "file": SimpleUploadedFile("big.mp3", tone)})
    settings.AUDIO_MAX_UPLOAD_BYTES = 1_000_000
    settings.MAX_REQUEST_BODY_BYTES = 10_000
    over_cap = admin_client.post(url, {"title": "Big", "file": SimpleUploadedFile("big.mp3", tone)})

    assert len(tone) > 20_000
    assert over_audio.status_code == 413
    assert "larger than the limit of 9.8\xa0KB. Export it" in over_audio.content.decode()
    assert over_cap.status_code == 413
    assert "larger than this site's limit of 9.8\xa0KB. Nothing was saved." in over_cap.content.decode()
    assert not AudioFile.objects.exists()
