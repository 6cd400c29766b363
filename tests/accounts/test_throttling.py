"""Throttled guessing, through the real admin login view and a protected page's password form: the lock
after SIGNIN_FAILURE_LIMIT failures refuses the right password too, ends after the cool-off or when an
administrator releases it; addresses come from X-Forwarded-For only behind a trusted proxy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.utils import timezone
from wagtail.models import PageViewRestriction

from accounts.models import SignInEvent
from episodes.factories import EpisodePageFactory, ShowPageFactory

from .conftest import LOGIN, PASSWORD, sign_in, signed_in

pytestmark = pytest.mark.django_db

LIMIT = 5  # the default of SIGNIN_FAILURE_LIMIT


def fail(client, username, times, **headers):
    return [sign_in(client, username, "wrong guess", **headers).status_code for _ in range(times)]


def age_failures(minutes):
    """Move every recorded failure into the past, as the clock would."""
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=minutes))


def test_the_right_password_is_refused_after_the_limit(client, people):
    # Four wrong passwords are answered with the ordinary form (200), the fifth locks (429).
    assert fail(client, "morgan", LIMIT) == [200] * (LIMIT - 1) + [429]
    response = sign_in(client, "morgan")
    assert response.status_code == 429
    assert "Sign-in locked for a while" in response.content.decode()
    assert "15 minutes" in response.content.decode()
    assert not signed_in(client)


def test_the_lock_ends_after_the_cool_off(client, people):
    fail(client, "morgan", LIMIT)
    age_failures(14)
    assert sign_in(client, "morgan").status_code == 429  # 14 minutes: still locked
    age_failures(16)
    assert sign_in(client, "morgan").status_code == 302
    assert signed_in(client)


def test_failures_while_locked_do_not_extend_the_lock(client, people):
    fail(client, "morgan", LIMIT)
    age_failures(16)  # the cool-off is over...
    # ...even though these came during the lock: they were refused without being counted.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert sign_in(client, "morgan").status_code == 302


def test_success_resets_the_count(client, people):
    fail(client, "morgan", LIMIT - 1)
    assert sign_in(client, "morgan").status_code == 302
    client.logout()
    assert fail(client, "morgan", LIMIT - 1) == [200] * (LIMIT - 1)  # counting starts again


def test_an_account_is_locked_whatever_the_address(client, people):
    """Guessing one account from many addresses: the account's failures add up."""
    for number in range(LIMIT):
        sign_in(client, "morgan", "wrong guess", REMOTE_ADDR=f"198.51.100.{number + 1}")
    assert sign_in(client, "morgan", REMOTE_ADDR="203.0.113.9").status_code == 429


def test_an_address_is_locked_whatever_the_account(client, people):
    """Guessing many accounts from one address: the address's failures add up, and the locked address
    cannot sign in to another, unguessed account; another address can."""
    for number in range(LIMIT):
        sign_in(client, f"nobody{number}", "wrong guess", REMOTE_ADDR="198.51.100.7")
    assert sign_in(client, "edith", REMOTE_ADDR="198.51.100.7").status_code == 429
    assert sign_in(client, "edith", REMOTE_ADDR="198.51.100.8").status_code == 302


def test_an_administrator_releases_a_lock(client, people):
    fail(client, "morgan", LIMIT)
    admin_client = client.__class__()
    admin_client.force_login(people["administrator"])
    page = admin_client.get("/admin/lockouts/")
    assert page.status_code == 200
    assert "morgan" in page.content.decode()

    response = admin_client.post(
        "/admin/lockouts/release/", {"kind": "account", "value": "morgan"}, follow=True
    )
    html = response.content.decode()
    # Its failures were all this address's too: releasing the account releases both.
    assert "Released the account morgan" in html and "No account or address is locked out now" in html
    assert sign_in(client, "morgan").status_code == 302
    [released] = SignInEvent.objects.filter(kind=SignInEvent.Kind.RELEASED)
    assert (released.username, released.by) == ("morgan", people["administrator"])


def test_an_administrator_releases_an_address(client, people):
    for number in range(LIMIT):
        sign_in(client, f"nobody{number}", "wrong guess", REMOTE_ADDR="198.51.100.7")
    admin_client = client.__class__()
    admin_client.force_login(people["administrator"])
    assert "198.51.100.7" in admin_client.get("/admin/lockouts/").content.decode()
    admin_client.post("/admin/lockouts/release/", {"kind": "address", "value": "198.51.100.7"})
    assert sign_in(client, "edith", REMOTE_ADDR="198.51.100.7").status_code == 302


def test_a_release_of_nothing_says_so(client, people):
    client.force_login(people["administrator"])
    response = client.post("/admin/lockouts/release/", {"kind": "sideways", "value": ""}, follow=True)
    assert "Nothing to release" in response.content.decode()


@pytest.mark.parametrize("role", ["editor", "moderator"])
def test_only_administrators_see_and_release_lockouts(client, people, role):
    client.force_login(people[role])
    assert client.get("/admin/lockouts/").status_code in (302, 403)
    assert client.post("/admin/lockouts/release/", {"kind": "account", "value": "x"}).status_code in (
        302,
        403,
    )


# ---------------------------------------------------------------------------------- behind a proxy


def test_forwarded_addresses_are_ignored_without_a_trusted_proxy(client, people, settings):
    """Without SIGNIN_TRUSTED_PROXIES an attacker cannot dodge the address lock by sending a new
    X-Forwarded-For each time: the connection's own address is counted."""
    settings.SIGNIN_TRUSTED_PROXIES = []
    for number in range(LIMIT):
        sign_in(client, f"nobody{number}", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{number}")
    assert sign_in(client, "edith", HTTP_X_FORWARDED_FOR="198.51.100.200").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_a_trusted_proxy_names_the_client(client, people, settings):
    """Behind a trusted proxy each client is counted by the address the proxy appended: one client's
    failures do not lock out another behind the same proxy, and a forged left-hand entry is not believed."""
    settings.SIGNIN_TRUSTED_PROXIES = ["127.0.0.1/32", "10.0.0.0/8"]
    forged = "192.0.2.1, 198.51.100.7, 10.1.2.3"  # forged, the client, an inner proxy of ours
    for _ in range(LIMIT):
        sign_in(client, "nobody", "wrong", HTTP_X_FORWARDED_FOR=forged)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}
    assert sign_in(client, "edith", HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.7").status_code == 429
    assert sign_in(client, "edith", HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 302


def test_an_untrusted_peer_cannot_claim_an_address(client, people, settings):
    settings.SIGNIN_TRUSTED_PROXIES = ["10.0.0.0/8"]  # the test client (127.0.0.1) is not one
    sign_in(client, "nobody", "wrong", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["127.0.0.1"]


# ---------------------------------------------------------------------------- a page's password


@pytest.fixture
def protected(home_page):
    show = ShowPageFactory(parent=home_page)
    page = EpisodePageFactory(parent=show, title="Members' conversation")
    restriction = PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.PASSWORD, password="sesame"
    )
    return page, restriction


def try_password(client, page, restriction, password):
    url = f"/_util/authenticate_with_password/{restriction.pk}/{page.pk}/"
    return client.post(url, {"password": password, "return_url": page.url})


def test_a_page_password_is_throttled(client, protected):
    page, restriction = protected
    statuses = [try_password(client, page, restriction, "guess").status_code for _ in range(LIMIT)]
    assert statuses == [200] * (LIMIT - 1) + [429]
    response = try_password(client, page, restriction, "sesame")
    assert response.status_code == 429
    assert "Too many wrong passwords" in response.content.decode()
    assert client.get(page.url).status_code == 200
    assert "Password required" in client.get(page.url).content.decode()  # not let in

    age_failures(16)
    response = try_password(client, page, restriction, "sesame")
    assert response.status_code == 302
    assert "Password required" not in client.get(page.url).content.decode()
    kinds = list(SignInEvent.objects.order_by("pk").values_list("kind", flat=True))
    # The failure that locks is written as the lock-out, as is each try refused during it.
    assert (
        kinds
        == [SignInEvent.Kind.PAGE_PASSWORD_FAILED] * (LIMIT - 1)
        + [SignInEvent.Kind.PAGE_PASSWORD_LOCKED_OUT] * 2
    )


def test_the_right_page_password_resets_its_count(client, protected):
    page, restriction = protected
    for _ in range(LIMIT - 1):
        try_password(client, page, restriction, "guess")
    assert try_password(client, page, restriction, "sesame").status_code == 302
    assert not AccessAttempt.objects.exists()


def test_the_page_password_form_still_renders(client, protected):
    page, restriction = protected
    response = client.get(page.url)
    html = response.content.decode()
    assert "Password required" in html and f"/_util/authenticate_with_password/{restriction.pk}/" in html
    assert LOGIN not in html
    assert PASSWORD not in html
