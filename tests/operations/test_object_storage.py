"""Media on S3-compatible object storage: upload, inspect, serve, transcribe and delete audio there.

The storage is a real S3 HTTP endpoint on 127.0.0.1 (moto's server), reached by django-storages and boto3
over the network exactly as a MinIO or AWS bucket would be; nothing of ours is mocked. The media storage
has no local path, so every step must go through the storage API.
"""

import hashlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from botocore.exceptions import ClientError
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from moto.server import ThreadedMotoServer
from wagtail.images import get_image_model

from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from episodes.models import AudioFile
from operations.storage import MediaStorage
from tests.audio import speech
from tests.object_storage import BUCKET, PUBLIC_IMAGES_POLICY
from transcripts.models import Transcript

pytestmark = pytest.mark.django_db

KEYS = {"access_key": "test-access-key", "secret_key": "test-secret-key"}
SCRIPT = "Shared decision making means the patient and the doctor decide together."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    """An S3 server on a free port of 127.0.0.1 with an empty private bucket, for the whole run."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    s3 = client(endpoint)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(PUBLIC_IMAGES_POLICY))
    yield endpoint
    server.stop()


def client(endpoint):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
    )


def stored_size(endpoint, key) -> int | None:
    """The object's size in the bucket, asked of the S3 server itself; None when there is no such object."""
    try:
        return client(endpoint).head_object(Bucket=BUCKET, Key=key)["ContentLength"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey"):
            return None
        raise


@pytest.fixture
def s3(settings, s3_endpoint):
    """The media storage as production configures it (MediaStorage, signed URLs, no overwrite)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "operations.storage.MediaStorage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "addressing_style": "path",
                "signature_version": "s3v4",
                "querystring_auth": True,
                "querystring_expire": 600,
                "file_overwrite": False,
                "default_acl": None,
                **KEYS,
            },
        },
    }
    settings.AUDIO_DELIVERY = "redirect"
    return s3_endpoint


@pytest.fixture(scope="session")
def spoken(tmp_path_factory) -> Path:
    return speech(tmp_path_factory.mktemp("s3-speech") / "decide.mp3", SCRIPT)


@pytest.fixture
def editor(client, admin_user):
    client.force_login(admin_user)
    return client


def upload(editor, path: Path, capture) -> AudioFile:
    """Upload through the admin's add form, running the on-commit work (the transcription) as it would."""
    with capture(execute=True):
        response = editor.post(
            reverse("wagtailsnippets_episodes_audiofile:add"),
            {"title": "", "file": SimpleUploadedFile(path.name, path.read_bytes(), "audio/mpeg")},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    return AudioFile.objects.get()


def test_audio_uploaded_to_object_storage_is_inspected_transcribed_served_and_deleted(
    s3, editor, client, home_page, spoken, django_capture_on_commit_callbacks
):
    """The whole life of an audio file on S3. A storage step that assumed a local path (``file.path``)
    would raise NotImplementedError and fail the upload or the transcription."""
    data = spoken.read_bytes()
    audio = upload(editor, spoken, django_capture_on_commit_callbacks)

    assert isinstance(audio.file.storage, MediaStorage)
    with pytest.raises(NotImplementedError):
        audio.file.path  # noqa: B018 (object storage has no path: the rest below did without one)
    # Stored in the bucket, byte for byte, and described from the upload's content.
    assert stored_size(s3, audio.file.name) == len(data) == audio.size
    assert audio.sha256 == hashlib.sha256(data).hexdigest()
    assert (audio.extension, audio.mime_type) == ("mp3", "audio/mpeg")
    assert audio.duration_ms > 2000
    with audio.file.open("rb") as fh:
        assert fh.read() == data

    # The worker copied the audio out of the bucket and transcribed it.
    transcript = Transcript.objects.get(audio=audio)
    assert transcript.status == Transcript.DONE, transcript.error
    text = " ".join(transcript.segments.values_list("text", flat=True)).lower()
    assert "decision" in text and "doctor" in text

    # A draft's audio is not served, not even as a redirect.
    show = ShowPageFactory(parent=home_page)
    episode = EpisodePageFactory(parent=show, audio=audio, live=False)
    client.logout()
    assert client.get(audio.url).status_code == 404

    # Published: the view redirects to a signed, short-lived URL of the bucket, which answers ranges.
    episode.save_revision().publish()
    response = client.get(audio.url)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(f"{s3}/{BUCKET}/")
    query = parse_qs(urlsplit(location).query)
    assert query["X-Amz-Expires"] == ["600"] and "X-Amz-Signature" in query
    assert response["Cache-Control"] == "private, no-store"
    unsigned = location.split("?")[0]
    assert requests.get(unsigned, timeout=10).status_code == 403  # the bucket keeps audio private
    full = requests.get(location, timeout=10)
    assert full.status_code == 200 and full.content == data
    part = requests.get(location, headers={"Range": "bytes=100-199"}, timeout=10)
    assert part.status_code == 206 and part.content == data[100:200]

    # Deleting the audio file (after its page) deletes the object once the deletion commits.
    name = audio.file.name
    with django_capture_on_commit_callbacks(execute=True):
        episode.delete()
        audio.delete()
    assert stored_size(s3, name) is None


def test_the_audio_view_streams_ranges_from_object_storage_too(s3, settings, client, home_page, audio_dir):
    """AUDIO_DELIVERY=django with S3: the view reads through the storage's file object (bad: a wrong
    slice, or a 500 from a missing local path)."""
    settings.AUDIO_DELIVERY = "django"
    data = (audio_dir / "tone.mp3").read_bytes()
    audio = AudioFileFactory(path=audio_dir / "tone.mp3")  # its transcription waits for a commit: none
    EpisodePageFactory(parent=ShowPageFactory(parent=home_page), audio=audio)

    response = client.get(audio.url, HTTP_RANGE="bytes=1000-1999")
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == data[1000:2000]


def test_image_urls_are_plain_and_private_media_urls_are_signed(s3):
    """Images end up in feeds and cached pages that outlive any signature, so their URLs are never signed;
    audio and documents are. (Bad: a signed artwork URL in a feed breaks after AWS_QUERYSTRING_EXPIRE.)"""
    storage = default_storage
    assert urlsplit(storage.url("original_images/cover.jpg")) == urlsplit(
        f"{s3}/{BUCKET}/original_images/cover.jpg"
    )
    assert "X-Amz-Signature" not in storage.url("images/cover.fill-300x300.jpg")
    for private in ("audio/ab/talk-abcdef012345.mp3", "documents/handout.pdf"):
        assert "X-Amz-Signature" in parse_qs(urlsplit(storage.url(private)).query)


def test_an_image_and_its_rendition_live_in_the_bucket(s3, audio_dir):
    """Wagtail reads the original from the bucket to make a rendition and stores that there too; with the
    documented bucket policy, anyone can load both by their plain URLs (bad: 403, a broken image)."""
    png = subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "color=c=teal:s=64x64", "-frames:v", "1"]
        + ["-f", "image2pipe", "-vcodec", "png", "-"],
        check=True,
        capture_output=True,
    ).stdout
    image = get_image_model().objects.create(title="Cover", file=ContentFile(png, name="cover.png"))
    rendition = image.get_rendition("fill-32x32")

    assert stored_size(s3, image.file.name) == len(png)
    assert stored_size(s3, rendition.file.name)
    assert requests.get(rendition.url, timeout=10).content[:8] == b"\x89PNG\r\n\x1a\n"
    assert requests.get(image.file.url, timeout=10).content == png


def production_settings(**env) -> dict:
    """STORAGES, AUDIO_DELIVERY and the CSP directives of website.settings.production with this
    environment, read in a fresh process as the server would start."""
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MEDIA_STORAGE", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": "website.settings.production",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "podcast.example.org",
        "WAGTAILADMIN_BASE_URL": "https://podcast.example.org",
        **env,
    }
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; print(json.dumps("
        "{'storages': s.STORAGES, 'delivery': s.AUDIO_DELIVERY, 'csp': s.CONTENT_SECURITY_POLICY}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=environment,
        cwd=django_settings.BASE_DIR,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout)


def test_production_settings_choose_object_storage_from_the_environment(s3_endpoint):
    """Naming a bucket is enough; without one, media stays on the file system. (Bad: a missing or
    misspelt variable that silently keeps media on one machine's disk.)"""
    local = production_settings()
    assert local["storages"]["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert local["delivery"] == "django"

    on_s3 = production_settings(AWS_STORAGE_BUCKET_NAME=BUCKET, AWS_S3_ENDPOINT_URL=s3_endpoint)
    storage = on_s3["storages"]["default"]
    assert storage["BACKEND"] == "operations.storage.MediaStorage"
    assert storage["OPTIONS"] == {
        "bucket_name": BUCKET,
        "endpoint_url": s3_endpoint,
        "location": "",
        "signature_version": "s3v4",
        "querystring_auth": True,
        "querystring_expire": 3600,
        "file_overwrite": False,
    }
    assert on_s3["delivery"] == "redirect"
    for directive in ("img-src", "media-src"):
        assert s3_endpoint in on_s3["csp"]["DIRECTIVES"][directive]
