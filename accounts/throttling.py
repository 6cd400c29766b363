"""Throttled guessing, through django-axes: the cool-off, the lock-out answer, the lock-outs an
administrator sees and releases, and the same throttling for the password of a password-protected page.

The failure counters are django-axes' ``AccessAttempt`` rows in the database (``AXES_HANDLER``), counted by
account and by address (``AXES_LOCKOUT_PARAMETERS``). A lock-out ends SIGNIN_COOLOFF_MINUTES after the last
counted failure; failures while locked out are refused without being counted, so a lock cannot be kept up
for good by hammering at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Max, Sum
from django.template.response import TemplateResponse
from django.utils import timezone
from wagtail import views as wagtail_views

# The sender of the failures of a page's password: the audit tells them from admin sign-ins by it.
PAGE_PASSWORD = "page-password"  # noqa: S105 (a signal sender name)


def cooloff(request=None) -> timedelta:
    """How long a lock-out lasts after the last failure (django-axes' ``AXES_COOLOFF_TIME``)."""
    return timedelta(minutes=settings.SIGNIN_COOLOFF_MINUTES)


def page_password_key(restriction_id: int) -> str:
    """The name a page's password is counted under, as an account would be. User names cannot hold a colon
    in Wagtail's forms, so none can be mistaken for it."""
    return f"page-password:{restriction_id}"


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' ``AXES_LOCKOUT_CALLABLE``: what a locked-out sign-in (or page password) is answered
    with, 429 Too Many Requests, saying what happened and when to try again."""
    until = timezone.now() + cooloff()
    context = {
        "minutes": settings.SIGNIN_COOLOFF_MINUTES,
        "until": until,
        "limit": settings.SIGNIN_FAILURE_LIMIT,
    }
    if getattr(request, "signin_page_password", None):
        page, form, action_url = request.signin_page_password
        response = page.serve_password_required_response(request, form, action_url)
        response.context_data = {**(response.context_data or {}), **context, "locked_out": True}
        response.status_code = 429
        return response.render()
    # Rendered here: AxesMiddleware hands it back after the view's own response was rendered.
    return TemplateResponse(request, "accounts/locked_out.html", context, status=429).render()


def authenticate_with_password(request, page_view_restriction_id: int, page_id: int):
    """Wagtail's view for a password-protected page's form, throttled like the admin sign-in: the form is
    refused (the right password too) while this address or this page's password is locked out."""
    if request.method != "POST":
        return wagtail_views.authenticate_with_password(request, page_view_restriction_id, page_id)

    from django.shortcuts import get_object_or_404
    from django.urls import reverse
    from wagtail.forms import PasswordViewRestrictionForm
    from wagtail.models import Page, PageViewRestriction

    restriction = get_object_or_404(PageViewRestriction, id=page_view_restriction_id)
    page = get_object_or_404(Page, id=page_id).specific
    credentials = {settings.AXES_USERNAME_FORM_FIELD: page_password_key(restriction.pk)}
    form = PasswordViewRestrictionForm(
        initial={"return_url": request.POST.get("return_url", "")}, instance=restriction
    )
    action_url = reverse("wagtailcore_authenticate_with_password", args=[restriction.pk, page.pk])
    request.signin_page_password = (page, form, action_url)

    if not AxesProxyHandler.is_allowed(request, credentials):
        request.axes_locked_out = True
        request.axes_credentials = credentials
        user_login_failed.send(sender=PAGE_PASSWORD, credentials=credentials, request=request)
        return lockout_response(request)

    response = wagtail_views.authenticate_with_password(request, page_view_restriction_id, page_id)
    if response.status_code in (301, 302):
        AxesProxyHandler.reset_attempts(
            ip_address=request.axes_ip_address, username=page_password_key(restriction.pk)
        )
    else:
        # A wrong password: counted, and past the limit AxesMiddleware answers with lockout_response.
        user_login_failed.send(sender=PAGE_PASSWORD, credentials=credentials, request=request)
    return response


@dataclass(frozen=True)
class Lockout:
    """An account or an address that is refused now, and until when."""

    kind: str  # "account" or "address"
    value: str
    failures: int
    until: datetime

    @property
    def is_page_password(self) -> bool:
        return self.kind == "account" and self.value.startswith("page-password:")


def current_lockouts() -> list[Lockout]:
    """The accounts and addresses at or past the failure limit within the cool-off, latest first."""
    since = timezone.now() - cooloff()
    recent = AccessAttempt.objects.filter(attempt_time__gte=since)
    found = []
    for field, kind in (("username", "account"), ("ip_address", "address")):
        rows = (
            recent.exclude(**{f"{field}__isnull": True})
            .values(field)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=settings.SIGNIN_FAILURE_LIMIT)
        )
        found += [Lockout(kind, row[field], row["failures"], row["last"] + cooloff()) for row in rows]
    return sorted(found, key=lambda lockout: lockout.until, reverse=True)


def release(kind: str, value: str) -> int:
    """Lift a lock-out now: forget the failures of that account, or from that address."""
    field = {"account": "username", "address": "ip_address"}[kind]
    return AxesProxyHandler.reset_attempts(**{field: value})
