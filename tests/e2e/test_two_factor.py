"""Two-factor setup and the second step in Chromium: a moderator signs in where two-factor is required, is
taken to the setup page, types the key's code, keeps the recovery codes; signs in again and passes the
second step. axe-core finds no serious violation on the setup, recovery-codes and verify pages."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.e2e.browser import axe_violations, describe

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct horse battery staple"


@pytest.fixture
def moderator(django_user_model, settings):
    settings.TWO_FACTOR_REQUIRED = True
    user = django_user_model.objects.create_user("morgan", "morgan@example.org", PASSWORD)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def code_for(user) -> str:
    device = TOTPDevice.objects.get(user=user)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)  # the tests do not wait for the next step
    return str(TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()).zfill(6)


def sign_in(page) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("morgan")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert not violations, describe(violations)


def test_a_moderator_sets_up_two_factor_and_signs_in_with_it(page, live_server, moderator):
    sign_in(page)
    expect(page).to_have_url(re.compile(r"/admin/account/two-factor/"))
    expect(page.get_by_role("img", name=re.compile("QR code holding the key"))).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Code").fill(code_for(moderator))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    assert_accessible(page)
    page.get_by_role("link", name="I have kept them").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    page.context.clear_cookies()
    sign_in(page)
    expect(page).to_have_url(re.compile(r"/admin/account/two-factor/verify/"))
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Code").fill(code_for(moderator))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
