"""Email to an episode's owner and its show's notification addresses when a scheduled episode has gone
live (Django's locmem backend in tests; a real SMTP connection refused for the failure case)."""

import logging
import socket
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from episodes.factories import EpisodePageFactory, ShowPageFactory
from episodes.models import EpisodePage
from episodes.notifications import notify, one_line, recipients
from episodes.scheduling import publish_scheduled

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return get_user_model().objects.create_user("producer", email="producer@example.org", password="x")


@pytest.fixture
def show(home_page):
    return ShowPageFactory(
        parent=home_page,
        slug="coproduction",
        notification_addresses="team@example.org,\nEditor@Example.org; producer@example.org",
    )


def scheduled(show, owner, title="Monday's episode", seconds=1.0) -> EpisodePage:
    episode = EpisodePageFactory(parent=show, title=title, live=False, owner=owner)
    episode.go_live_at = episode.publication_date = timezone.now() + timedelta(seconds=seconds)
    episode.save_revision(user=owner).publish()  # an editor's publish, permissions aside
    return EpisodePage.objects.get(pk=episode.pk)


def test_the_show_addresses_are_a_list_of_email_addresses(show, owner):
    assert show.notification_recipients() == [
        "team@example.org",
        "Editor@Example.org",
        "producer@example.org",
    ]
    show.notification_addresses = "team@example.org\nnot an address, also@bad"
    with pytest.raises(ValidationError, match="Not an email address: not, an, address, also@bad"):
        show.full_clean()
    episode = EpisodePageFactory(parent=show, owner=owner)
    # The owner first; an address listed twice (case aside) gets one message.
    assert recipients(episode) == ["producer@example.org", "team@example.org", "Editor@Example.org"]


def test_a_scheduled_go_live_is_told_to_the_owner_and_the_show(
    show, owner, django_capture_on_commit_callbacks
):
    episode = scheduled(show, owner)
    assert mail.outbox == []  # scheduling is not going live

    time.sleep(1.2)
    with django_capture_on_commit_callbacks(execute=True):
        publish_scheduled()

    assert EpisodePage.objects.get(pk=episode.pk).live
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        ["producer@example.org", "team@example.org", "Editor@Example.org"]
    )
    message = mail.outbox[0]
    assert all(len(m.to) == 1 for m in mail.outbox)  # nobody sees the others' addresses
    assert message.subject == "[The Power of Coproduction] Now live: Monday's episode"
    edit_url = f"http://testserver/admin/pages/{episode.pk}/edit/"
    public_url = episode.get_full_url()
    assert public_url.startswith("http://") and f"/coproduction/{episode.slug}/" in public_url
    assert "went live as scheduled" in message.body
    assert edit_url in message.body and public_url in message.body
    (html, mime_type), *_ = message.alternatives
    assert mime_type == "text/html"
    assert f'href="{edit_url}"' in html and f'href="{public_url}"' in html
    assert "Monday&#x27;s episode" in html


def test_a_manual_publish_sends_nothing(show, owner, django_capture_on_commit_callbacks):
    episode = EpisodePageFactory(parent=show, live=False, owner=owner)
    with django_capture_on_commit_callbacks(execute=True):
        episode.save_revision(user=owner).publish()
    assert EpisodePage.objects.get(pk=episode.pk).live
    assert mail.outbox == []


def test_a_hostile_title_stays_in_its_header_and_is_escaped(show, owner, django_capture_on_commit_callbacks):
    title = 'Evil\r\nBcc: victim@example.com\n\nBody <script>alert("x")</script>\u2028end'
    episode = scheduled(show, owner, title=title, seconds=0.5)

    time.sleep(0.7)
    with django_capture_on_commit_callbacks(execute=True):
        publish_scheduled()

    assert len(mail.outbox) == 3
    message = mail.outbox[0]
    raw = message.message().as_bytes().decode()
    headers = raw.split("\n\n", 1)[0].splitlines()
    names = [line.split(":", 1)[0].lower() for line in headers if not line.startswith((" ", "\t"))]
    assert "bcc" not in names and not message.bcc
    assert "victim@example.com" not in " ".join(line for line in headers if not line.startswith("Subject"))
    assert message.subject == one_line(f"[The Power of Coproduction] Now live: {title}")
    assert "\n" not in message.subject and "\r" not in message.subject and "\u2028" not in message.subject
    html = message.alternatives[0][0]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert EpisodePage.objects.get(pk=episode.pk).live


def test_a_mail_server_that_refuses_is_logged_and_the_go_live_happens(
    show, owner, settings, caplog, django_capture_on_commit_callbacks
):
    with socket.socket() as probe:  # a port nothing listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    episode = scheduled(show, owner, seconds=0.5)

    time.sleep(0.7)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        publish_scheduled()

    assert EpisodePage.objects.get(pk=episode.pk).live
    assert "Could not send the notification" in caplog.text
    assert "ConnectionRefusedError" in caplog.text


def test_notify_without_anyone_to_tell_sends_nothing(home_page):
    show = ShowPageFactory(parent=home_page)
    episode = EpisodePageFactory(parent=show)
    assert notify(episode, "Subject", "Message") == 0
    assert mail.outbox == []
