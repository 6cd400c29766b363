"""Where the review is offered (the episode panel, the inspect view) and to whom: editors and moderators
may review; without the change permission every review view is forbidden.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from tests.transcripts.review_helpers import CORRECTIONS, rows, segments_url, transcript_of
from transcripts.models import Transcript, TranscriptRevision

pytestmark = pytest.mark.django_db


def test_the_episode_panel_and_the_inspect_view_link_to_the_review(admin_client, episode):
    transcript = transcript_of(episode.audio, status="failed", error="Broken")
    panel = admin_client.get(reverse("wagtailadmin_pages:edit", args=[episode.pk])).content.decode()
    inspect = admin_client.get(reverse("transcripts_admin:inspect", args=[transcript.pk])).content.decode()

    for url in (
        reverse("transcripts_admin:segments", args=[transcript.pk]),
        reverse("transcripts_admin:rerun", args=[transcript.pk]),
        reverse("transcripts_admin:revisions", args=[transcript.pk]),
        reverse("transcripts_admin:import", args=[episode.audio.pk]),
    ):
        assert url in panel and url in inspect
    assert "Try again</a>" in panel


def test_the_panel_warns_when_the_audio_was_replaced_after_the_transcript(admin_client, episode):
    transcript_of(episode.audio, audio_sha256="0" * 64, edited=True)
    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[episode.pk])).content.decode()
    assert "The audio was replaced after this transcript was made" in html


def review_urls(transcript, revision):
    return [
        segments_url(transcript),
        reverse("transcripts_admin:speakers", args=[transcript.pk]),
        reverse("transcripts_admin:rerun", args=[transcript.pk]),
        reverse("transcripts_admin:revisions", args=[transcript.pk]),
        reverse("transcripts_admin:revision", args=[transcript.pk, revision.pk]),
        reverse("transcripts_admin:import", args=[transcript.audio_id]),
        reverse("transcripts_reports:failed"),
        reverse("transcripts_reports:failed_results"),
    ]


@pytest.fixture
def reviewed(episode):
    transcript = transcript_of(episode.audio)
    revision = TranscriptRevision.objects.create(transcript=transcript, reason="edit", segments=CORRECTIONS)
    return transcript, revision


def test_without_the_change_permission_every_review_view_is_forbidden(client, django_user_model, reviewed):
    transcript, revision = reviewed
    before = rows(transcript)
    user = django_user_model.objects.create_user("viewer", password="pw")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"),
        Permission.objects.get(content_type__app_label="transcripts", codename="view_transcript"),
    )
    client.force_login(user)

    for url in review_urls(transcript, revision):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"old": "SPEAKER 1", "new": "X"}).status_code == 403, url
    assert rows(transcript) == before and Transcript.objects.get(pk=transcript.pk).status == "done"
    assert "Failed transcriptions" not in client.get(reverse("wagtailadmin_home")).content.decode()
    inspect = client.get(reverse("transcripts_admin:inspect", args=[transcript.pk]))
    assert inspect.status_code == 200 and segments_url(transcript) not in inspect.content.decode()


def test_the_panel_offers_the_review_only_to_those_who_may_use_it(client, django_user_model, episode):
    transcript = transcript_of(episode.audio)
    editors = Group.objects.get(name="Editors")  # may edit pages (Wagtail's own data)
    editors.permissions.remove(Permission.objects.get(codename="change_transcript"))
    user = django_user_model.objects.create_user("writer", password="pw")
    user.groups.add(editors)
    client.force_login(user)

    html = client.get(reverse("wagtailadmin_pages:edit", args=[episode.pk])).content.decode()

    assert "<strong>done</strong>" in html
    assert segments_url(transcript) not in html
    assert reverse("transcripts_admin:import", args=[episode.audio.pk]) not in html


@pytest.mark.parametrize("group", ["Editors", "Moderators"])
def test_editors_and_moderators_may_review(client, django_user_model, reviewed, group):
    transcript, revision = reviewed
    user = django_user_model.objects.create_user("editor", password="pw")
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)

    for url in review_urls(transcript, revision):
        assert client.get(url).status_code == 200, url
