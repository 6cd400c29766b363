"""The audit of sign-ins (rows, escaping, export, pruning) and sessions: the idle expiry, and sign-out
everywhere else after a password change."""

from __future__ import annotations

import csv
import io
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from accounts import audit
from accounts.addresses import truncated
from accounts.middleware import LAST_SEEN
from accounts.models import SignInEvent

from .conftest import PASSWORD, sign_in, signed_in

pytestmark = pytest.mark.django_db

Kind = SignInEvent.Kind
HOSTILE_NAME = '<script>alert("x")</script>'
HOSTILE_AGENT = '=HYPERLINK("http://evil.example","click") <img src=x onerror=alert(1)>'


def test_sign_ins_failures_and_lockouts_are_written(client, people):
    sign_in(client, "edith", "wrong", HTTP_USER_AGENT="Firefox/130", REMOTE_ADDR="203.0.113.77")
    sign_in(client, "edith", HTTP_USER_AGENT="Firefox/130", REMOTE_ADDR="203.0.113.77")
    rows = list(SignInEvent.objects.order_by("pk"))
    assert [(row.kind, row.username, row.network, row.user_agent) for row in rows] == [
        (Kind.FAILED, "edith", "203.0.113.0/24", "Firefox/130"),
        (Kind.SIGNED_IN, "edith", "203.0.113.0/24", "Firefox/130"),
    ]
    assert rows[1].user == people["editor"] and rows[0].user is None
    assert not SignInEvent.objects.filter(network__contains="203.0.113.77").exists()  # never whole


def test_addresses_are_kept_cut_short():
    assert truncated("203.0.113.77") == "203.0.113.0/24"
    assert truncated("2001:db8:1234:5678::1") == "2001:db8:1234::/48"
    assert truncated("::ffff:198.51.100.9") == "198.51.100.0/24"
    assert truncated("not an address") == ""


def test_hostile_names_and_agents_are_escaped_in_the_report_and_its_export(client, people):
    sign_in(client, HOSTILE_NAME, "wrong", HTTP_USER_AGENT=HOSTILE_AGENT)
    client.force_login(people["administrator"])
    html = client.get("/admin/reports/sign-ins/").content.decode()
    assert HOSTILE_NAME not in html and "&lt;script&gt;" in html
    assert "<img src=x" not in html

    response = client.get("/admin/reports/sign-ins/", {"export": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0]["Account"] == HOSTILE_NAME
    assert rows[0]["User agent"].startswith("'=HYPERLINK")  # kept as text by a spreadsheet
    assert rows[0]["Event"] == "Failed sign-in"


def test_the_report_exports_xlsx(client, people):
    from openpyxl import load_workbook

    sign_in(client, "edith", "wrong", HTTP_USER_AGENT=HOSTILE_AGENT)
    client.force_login(people["administrator"])
    response = client.get("/admin/reports/sign-ins/", {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header, first = list(sheet.iter_rows(values_only=True))[:2]
    assert header[:3] == ("Time (UTC)", "Event", "Account")
    assert first[1:3] == ("Failed sign-in", "edith") and first[4] == HOSTILE_AGENT  # text, not a formula


@pytest.mark.parametrize("role", ["editor", "moderator"])
def test_only_administrators_read_the_audit(client, people, role):
    client.force_login(people[role])
    assert client.get("/admin/reports/sign-ins/").status_code in (302, 403)


def test_prune_keeps_the_retention_days(people, settings):
    settings.SIGNIN_AUDIT_RETENTION_DAYS = 30
    old = audit.record(Kind.SIGNED_IN, user=people["editor"])
    recent = audit.record(Kind.SIGNED_IN, user=people["editor"])
    SignInEvent.objects.filter(pk=old.pk).update(time=timezone.now() - timedelta(days=31))
    SignInEvent.objects.filter(pk=recent.pk).update(time=timezone.now() - timedelta(days=29))
    AccessAttempt.objects.create(username="x", ip_address="192.0.2.1", user_agent="", failures_since_start=1)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=20))  # past the cool-off
    assert audit.prune() == 1
    assert list(SignInEvent.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not AccessAttempt.objects.exists()  # its cool-off is over: the whole address goes


def test_prune_is_a_scheduled_job(settings):
    assert ("accounts.audit.prune", 60 * 60) in settings.SCHEDULED_JOBS


def test_an_idle_session_ends(client, people, settings):
    settings.ADMIN_IDLE_TIMEOUT_MINUTES = 30
    sign_in(client, "edith")
    assert signed_in(client)
    session = client.session
    session[LAST_SEEN] = int(time.time()) - 31 * 60
    session.save()
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert not signed_in(client)
    assert SignInEvent.objects.filter(kind=Kind.SIGNED_OUT_IDLE, user=people["editor"]).exists()


def test_an_active_session_stays(client, people, settings):
    settings.ADMIN_IDLE_TIMEOUT_MINUTES = 30
    sign_in(client, "edith")
    session = client.session
    session[LAST_SEEN] = int(time.time()) - 29 * 60
    session.save()
    assert signed_in(client)


def test_a_password_change_signs_out_every_other_session(people):
    here, elsewhere = Client(), Client()
    sign_in(here, "edith")
    sign_in(elsewhere, "edith")
    new = "another quite long passphrase"
    response = here.post(
        "/admin/account/",
        {
            "password-old_password": PASSWORD,
            "password-new_password1": new,
            "password-new_password2": new,
            # The account page saves all its panels at once: the others as they were.
            "name_email-first_name": "Edith",
            "name_email-last_name": "Example",
            "name_email-email": "edith@example.org",
            "theme-theme": "system",
            "theme-contrast": "system",
            "theme-density": "default",
        },
    )
    assert response.status_code == 302
    assert signed_in(here)  # the session that changed it goes on
    assert not signed_in(elsewhere)  # every other one has ended
    assert SignInEvent.objects.filter(kind=Kind.PASSWORD_CHANGED, user=people["editor"]).exists()


def test_an_administrator_setting_a_password_signs_the_person_out(client, people):
    sign_in(client, "edith")
    people["editor"].set_password("set by an administrator 42")
    people["editor"].save()
    assert not signed_in(client)
