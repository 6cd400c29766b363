"""Two-factor sign-in through the real login form: required for a moderator and an administrator when
TWO_FACTOR_REQUIRED is on (production), not for an editor; set up with a TOTP code; recovery codes work
once; the audit has each step."""

from __future__ import annotations

import re

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twofactor
from accounts.models import SignInEvent

from .conftest import sign_in

pytestmark = pytest.mark.django_db

Kind = SignInEvent.Kind
SETUP = "/admin/account/two-factor/"
VERIFY = "/admin/account/two-factor/verify/"


@pytest.fixture
def required(settings):
    settings.TWO_FACTOR_REQUIRED = True  # as production has it


def forget_waits(user):
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user).update(throttling_failure_count=0, throttling_failure_timestamp=None)


def code_for(device: TOTPDevice) -> str:
    """The app's code now. django-otp makes each wrong code double the wait before the next try; the
    tests do not wait, so that wait is forgotten here."""
    forget_waits(device.user)
    device.refresh_from_db()
    return str(TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()).zfill(6)


def with_app(user):
    """An authenticator app already set up for ``user``, and their recovery codes."""
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    return device, twofactor.new_recovery_codes(user)


def kinds(user):
    return list(SignInEvent.objects.filter(user=user).order_by("pk").values_list("kind", flat=True))


@pytest.mark.parametrize("role", ["moderator", "administrator"])
def test_a_moderator_or_administrator_must_set_up_two_factor(client, people, required, role):
    user = people[role]
    response = sign_in(client, user.username)
    assert response.status_code == 302
    # Every admin page leads to the setup until it is done; the site itself sees a visitor.
    dashboard = client.get("/admin/")
    assert dashboard.status_code == 302 and dashboard["Location"].startswith(SETUP)
    assert client.get("/admin/pages/").status_code == 302
    assert client.get("/django-admin/").status_code == 302

    setup = client.get(SETUP)
    html = setup.content.decode()
    assert setup.status_code == 200 and 'src="data:image/svg+xml;base64,' in html
    key = re.search(r'<code id="setup-key">([A-Z2-7 ]+)</code>', html).group(1)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert key.replace(" ", "") == __import__("base64").b32encode(device.bin_key).decode()

    wrong = client.post(SETUP, {"code": "000000" if code_for(device) != "000000" else "111111"})
    assert "That code is not right" in wrong.content.decode()
    done = client.post(SETUP, {"code": code_for(device)})
    codes = re.findall(r"<li><code>(\w+)</code></li>", done.content.decode())
    assert len(codes) == twofactor.RECOVERY_CODES
    assert client.get("/admin/").status_code == 200
    assert kinds(user) == [Kind.SIGNED_IN, Kind.TWO_FACTOR_ADDED, Kind.RECOVERY_CODES_MADE]


def test_an_editor_is_not_asked_by_default(client, people, required):
    sign_in(client, "edith")
    assert client.get("/admin/").status_code == 200
    assert not twofactor.is_required(people["editor"])


def test_without_the_setting_nobody_is_asked(client, people, settings):
    """Development and `make run`'s demo login: TWO_FACTOR_REQUIRED is off by default."""
    assert settings.TWO_FACTOR_REQUIRED is False
    sign_in(client, "ada")
    assert client.get("/admin/").status_code == 200


def test_an_editor_who_set_it_up_is_asked_for_a_code(client, people):
    device, _ = with_app(people["editor"])
    sign_in(client, "edith")
    response = client.get("/admin/account/")
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    wrong = client.post(VERIFY, {"code": "12345"})
    assert "That code is not right" in wrong.content.decode()
    client.post(VERIFY, {"code": code_for(device), "next": "/admin/account/"})
    assert client.get("/admin/account/").status_code == 200
    assert kinds(people["editor"])[-3:] == [Kind.SIGNED_IN, Kind.TWO_FACTOR_FAILED, Kind.TWO_FACTOR_PASSED]


def test_a_recovery_code_works_once(client, people, required):
    user = people["moderator"]
    _, codes = with_app(user)
    sign_in(client, "morgan")
    response = client.post(VERIFY, {"code": codes[0]}, follow=True)
    assert "You signed in with a recovery code" in response.content.decode()
    assert "9 left" in response.content.decode()
    assert client.get("/admin/").status_code == 200
    client.post("/admin/logout/")

    sign_in(client, "morgan")
    again = client.post(VERIFY, {"code": codes[0]})
    assert "That code is not right, or has been used" in again.content.decode()
    assert client.get("/admin/").status_code == 302
    again = client.post(VERIFY, {"code": codes[1]})
    assert "Too many wrong codes" in again.content.decode()  # django-otp's growing wait after a failure
    forget_waits(user)
    assert client.post(VERIFY, {"code": codes[1]}).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert kinds(user).count(Kind.RECOVERY_CODE_USED) == 2
    assert twofactor.remaining_recovery_codes(user) == 8


def test_new_recovery_codes_replace_the_old(client, people):
    user = people["editor"]
    device, old = with_app(user)
    sign_in(client, "edith")
    client.post(VERIFY, {"code": code_for(device)})
    response = client.post("/admin/account/two-factor/recovery-codes/")
    new = re.findall(r"<li><code>(\w+)</code></li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    client.post("/admin/logout/")
    sign_in(client, "edith")
    assert client.post(VERIFY, {"code": old[0]}).status_code == 200  # refused: the form again
    forget_waits(user)
    assert client.post(VERIFY, {"code": new[0]}).status_code == 302


def test_a_required_role_cannot_turn_it_off(client, people, required):
    user = people["moderator"]
    device, _ = with_app(user)
    sign_in(client, "morgan")
    client.post(VERIFY, {"code": code_for(device)})
    response = client.post("/admin/account/two-factor/off/", follow=True)
    assert "cannot be turned off" in response.content.decode()
    assert twofactor.has_two_factor(user)


def test_an_editor_turns_it_off(client, people):
    user = people["editor"]
    device, _ = with_app(user)
    sign_in(client, "edith")
    client.post(VERIFY, {"code": code_for(device)})
    client.post("/admin/account/two-factor/off/")
    assert not twofactor.has_two_factor(user)
    assert Kind.TWO_FACTOR_REMOVED in kinds(user)


def test_the_account_page_links_to_the_setup(client, people):
    client.force_login(people["editor"])
    assert SETUP in client.get("/admin/account/").content.decode()


def test_half_signed_in_is_a_visitor_on_the_site(client, people, required, home_page):
    """Between password and code, the site's pages treat the person as signed out."""
    with_app(people["moderator"])
    sign_in(client, "morgan")
    response = client.get(home_page.url)
    assert response.status_code == 200
    assert response.wsgi_request.user.is_anonymous


def test_a_hostile_next_is_not_followed(client, people):
    device, _ = with_app(people["editor"])
    sign_in(client, "edith")
    response = client.post(VERIFY, {"code": code_for(device), "next": "https://evil.example/"})
    assert response["Location"] == "/admin/"


def test_an_operator_resets_a_lost_phone(people):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with_app(people["moderator"])
    call_command("reset_two_factor", "morgan")
    assert not twofactor.has_two_factor(people["moderator"])
    with pytest.raises(CommandError, match="No account is called 'nobody'"):
        call_command("reset_two_factor", "nobody")
