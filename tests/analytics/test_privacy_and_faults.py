"""No address is ever stored or logged; hostile headers are stored as nothing but a list's name; and a
database that fails the counting never fails the download."""

from __future__ import annotations

import logging
from contextlib import contextmanager

import pytest
from django.apps import apps
from django.db import OperationalError, connection, models

from analytics.models import DailyDownloads, DownloadEvent, ListenerDay
from tests.analytics.conftest import APPLE, OVERCAST, Listener, downloads

pytestmark = pytest.mark.django_db

ADDRESSES = ["203.0.113.77", "2001:db8:feed:beef:1:2:3:4"]
HOSTILE = [
    "<script>alert('listener')</script> Overcast/3.0",
    "Podcasts/1410\r\nSet-Cookie: x=1",
    "\x00\x07\x1b[31mred" + "A" * 20_000,
    "'; DROP TABLE analytics_dailydownloads; --",
]


def stored_text() -> str:
    """Every text value of every model's table (char, text and JSON columns), as one string."""
    values = []
    for model in apps.get_models():
        fields = [
            field.attname
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField | models.JSONField)
        ]
        if fields:
            values += [str(row) for row in model._default_manager.values_list(*fields)]
    return "\n".join(values)


def test_no_address_reaches_any_table_or_log(client, settings, episode, audio, caplog):
    caplog.set_level(logging.DEBUG)
    settings.ANALYTICS_IP_HEADER = "X-Forwarded-For"
    for address in ADDRESSES:
        for user_agent in (APPLE, OVERCAST):
            Listener(client, address=address, user_agent=user_agent).get(audio.url)
            Listener(client, address=address, user_agent=user_agent).get(audio.url, "bytes=0-1")
    client.get(audio.url, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.200")
    pending = stored_text()  # the events the requests appended, before the scheduler's round
    assert DownloadEvent.objects.exists()
    assert downloads(episode) == 5

    text, logged = pending + stored_text(), caplog.text
    assert ListenerDay.objects.exists() and all(len(row.listener) == 32 for row in ListenerDay.objects.all())
    for address in [*ADDRESSES, "192.0.2.200", "2001:db8:feed:beef::/64", "2001:db8:feed:beef"]:
        assert address not in text
        assert address not in logged


def test_the_scan_would_find_an_address(episode):
    """The privacy test can fail: an address written into any text column is found."""
    from episodes.models import Person

    Person.objects.create(name="Listener at 203.0.113.77")
    assert "203.0.113.77" in stored_text()


@pytest.mark.parametrize("user_agent", HOSTILE, ids=["html", "crlf", "control", "sql"])
def test_hostile_user_agents_are_stored_only_as_a_lists_name(client, episode, audio, user_agent):
    response = Listener(client, user_agent=user_agent).get(audio.url)

    assert response.status_code == 200
    pending = stored_text()  # the event the request appended, then what aggregating made of it
    assert downloads(episode) == 1
    text = pending + stored_text()
    assert "<script>" not in text and "Set-Cookie" not in text and "\x1b" not in text and "DROP" not in text
    assert set(DailyDownloads.objects.values_list("app", flat=True)) <= {"", "Overcast", "Apple Podcasts"}


@contextmanager
def counting_database_fails():
    """Every query of the counting's tables raises as a lost database connection does; the audio view's
    own queries still run (the database is half away: the worst case for a download)."""

    def fail(execute, sql, params, many, context):
        if "analytics_" in sql:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail):
        yield


@pytest.mark.parametrize("byte_range", [None, "bytes=0-99"])
def test_a_failing_database_serves_the_audio_and_logs_the_miss(listener, episode, audio, caplog, byte_range):
    with counting_database_fails():
        response = listener.get(audio.url, byte_range)

    assert response.status_code == (206 if byte_range else 200)
    assert int(response["Content-Length"]) == (100 if byte_range else audio.size)
    [miss] = [record for record in caplog.records if record.name == "analytics.counting"]
    assert miss.levelno == logging.ERROR
    assert f"audio {audio.pk} was not counted (OperationalError)" in miss.getMessage()
    assert listener.address not in caplog.text
    assert downloads(episode) == 0

    listener.get(audio.url)  # the database is back: counting goes on
    assert downloads(episode) == 1


def test_a_failing_database_in_redirect_mode_still_redirects(listener, settings, episode, audio, caplog):
    settings.AUDIO_DELIVERY = "redirect"
    with counting_database_fails():
        response = listener.get(audio.url)

    assert response.status_code == 302
    assert "was not counted" in caplog.text


def test_a_failing_hook_never_fails_the_download(listener, episode, audio, caplog):
    """Whatever a hook raises (not only a database error), episodes serves the audio and logs it."""
    from wagtail import hooks

    from episodes.listening import AUDIO_SERVED_HOOK

    def broken(request, audio, served, byte_range):
        raise RuntimeError("broken hook")

    with hooks.register_temporarily(AUDIO_SERVED_HOOK, broken):
        response = listener.get(audio.url)

    assert response.status_code == 200
    assert "broken hook" in caplog.text and "the audio is served anyway" in caplog.text
    assert downloads(episode) == 1  # the other hook, the counting, still ran
