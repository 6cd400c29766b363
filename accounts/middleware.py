"""Two middlewares of the signed-in: the second step of sign-in, and the end of an idle session."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from . import audit, twofactor

# Set in the session at sign-in: whether this session must pass the second step (a device, or the setting).
NEEDS_SECOND_STEP = "signin.needs_second_step"
LAST_SEEN = "signin.last_seen"

# Open to a signed-in person who has not passed the second step yet.
ALWAYS_OPEN = {
    "accounts_two_factor_verify",
    "wagtailadmin_login",
    "wagtailadmin_logout",
    "wagtailadmin_javascript_catalog",
    "wagtailadmin_sprite",
}
# ...and, while they have no device, the pages that set one up.
OPEN_WITHOUT_DEVICE = {"accounts_two_factor_setup", "accounts_recovery_codes"}


def remember_second_step(request, user) -> None:
    """At sign-in: decide once whether this session needs the second step, so that later requests cost no
    query for it (a person added to a required group is asked from their next sign-in)."""
    if hasattr(request, "session"):
        request.session[NEEDS_SECOND_STEP] = twofactor.has_two_factor(user) or twofactor.is_required(user)


def admin_prefixes() -> tuple[str, ...]:
    return (reverse("wagtailadmin_home"), reverse("admin:index"))


class TwoFactorMiddleware:
    """After django-otp's OTPMiddleware. A person who must pass the second step and has not: in the admins
    they are sent to enter a code (or, required and without a device, to set one up); elsewhere on the site
    they are an anonymous visitor until they pass it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_verified():
            response = self.second_step(request, user)
            if response is not None:
                return response
        return self.get_response(request)

    def second_step(self, request, user):
        needed = request.session.get(NEEDS_SECOND_STEP)
        if needed is None:  # a session from before two-factor existed
            remember_second_step(request, user)
            needed = request.session[NEEDS_SECOND_STEP]
        if not needed:
            return None
        try:
            name = resolve(request.path_info).url_name
        except Resolver404:
            name = None
        has_device = twofactor.has_two_factor(user)
        if name in ALWAYS_OPEN or (name in OPEN_WITHOUT_DEVICE and not has_device):
            return None
        if not request.path_info.startswith(admin_prefixes()):
            request.user = AnonymousUser()
            return None
        target = "accounts_two_factor_verify" if has_device else "accounts_two_factor_setup"
        return redirect_to_login(request.get_full_path(), login_url=reverse(target))


class IdleSessionMiddleware:
    """A signed-in session that made no request for ADMIN_IDLE_TIMEOUT_MINUTES ends. The time of the last
    request is written to the session at most once a minute."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timeout = settings.ADMIN_IDLE_TIMEOUT_MINUTES * 60
        user = getattr(request, "user", None)
        if timeout and user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_SEEN)
            if last is not None and now - last > timeout:
                audit.record(audit.Kind.SIGNED_OUT_IDLE, request, user=user)
                logout(request)
                if request.path_info.startswith(admin_prefixes()):
                    messages.info(request, "You were signed out after a while without activity.")
                    return redirect_to_login(request.get_full_path(), login_url=reverse("wagtailadmin_login"))
            elif last is None or now - last >= 60:
                request.session[LAST_SEEN] = now
        return self.get_response(request)


def safe_next(request) -> str:
    """The ``next`` address of the request when it is on this site, else empty."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""


def redirect_after_second_step(request):
    return redirect(safe_next(request) or reverse("wagtailadmin_home"))
