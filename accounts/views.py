"""The second step of sign-in, and setting up two-factor (linked from the account settings)."""

from __future__ import annotations

import base64
import io

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_otp import devices_for_user, match_token
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.qr import write_qrcode_image

from . import audit, twofactor
from .forms import CodeForm
from .middleware import NEEDS_SECOND_STEP, redirect_after_second_step, safe_next

Kind = audit.Kind


def _signed_in(request):
    if not request.user.is_authenticated:
        raise PermissionDenied


def verify(request):
    """Enter a code from the authenticator app, or one of the recovery codes, after the password."""
    _signed_in(request)
    user = request.user
    if user.is_verified() or not twofactor.has_two_factor(user):
        return redirect_after_second_step(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # django-otp doubles the wait after each wrong code (its ThrottlingMixin): say so, not "wrong".
        waiting = all(not device.verify_is_allowed()[0] for device in devices_for_user(user))
        device = match_token(user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            used_recovery = isinstance(device, StaticDevice)
            audit.record(
                Kind.RECOVERY_CODE_USED if used_recovery else Kind.TWO_FACTOR_PASSED, request, user=user
            )
            if used_recovery:
                left = twofactor.remaining_recovery_codes(user)
                messages.warning(
                    request,
                    f"You signed in with a recovery code; it cannot be used again. {left} left: "
                    "make new ones under Account → Two-factor sign-in.",
                )
            return redirect_after_second_step(request)
        audit.record(Kind.TWO_FACTOR_FAILED, request, user=user)
        if waiting:
            form.add_error("code", "Too many wrong codes: wait a little, then enter the newest code.")
        else:
            form.add_error("code", "That code is not right, or has been used. Check the time on your phone.")
    return TemplateResponse(request, "accounts/verify.html", {"form": form, "next": safe_next(request)})


def _qr_svg(url: str) -> str:
    out = io.BytesIO()
    write_qrcode_image(url, out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


def setup(request):
    """Set up an authenticator app: scan the code (or type the key), confirm with a code, get recovery
    codes. With an app already set up: new recovery codes, or turn it off (unless it is required)."""
    _signed_in(request)
    user = request.user
    context = {
        "required": twofactor.is_required(user),
        "next": safe_next(request),
    }
    if twofactor.has_two_factor(user) and twofactor.app_device(user) is not None:
        context["recovery_left"] = twofactor.remaining_recovery_codes(user)
        return TemplateResponse(request, "accounts/two_factor.html", context)

    device = twofactor.unconfirmed_app_device(user, request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            device.confirmed = True
            device._signin_request = request
            device.save()
            otp_login(request, device)
            request.session[NEEDS_SECOND_STEP] = True
            codes = twofactor.new_recovery_codes(user, request)
            return TemplateResponse(
                request, "accounts/recovery_codes.html", {**context, "codes": codes, "new": True}
            )
        form.add_error(
            "code", "That code is not right. Check the time on your phone, and enter the newest code."
        )
    key = base64.b32encode(device.bin_key).decode()
    context.update(
        form=form,
        qr=mark_safe(_qr_svg(device.config_url)),  # noqa: S308 (a data: URL we made from base64)
        key=" ".join(key[i : i + 4] for i in range(0, len(key), 4)),
        issuer=settings.OTP_TOTP_ISSUER,
    )
    return TemplateResponse(request, "accounts/setup.html", context)


@require_POST
def recovery_codes(request):
    """Ten new recovery codes, shown once; the old ones stop working."""
    _signed_in(request)
    if not twofactor.has_two_factor(request.user):
        return redirect("accounts_two_factor_setup")
    codes = twofactor.new_recovery_codes(request.user, request)
    return TemplateResponse(request, "accounts/recovery_codes.html", {"codes": codes, "new": False})


@require_POST
def turn_off(request):
    _signed_in(request)
    if twofactor.is_required(request.user):
        messages.error(request, "Two-factor sign-in is required for your role: it cannot be turned off.")
        return redirect("accounts_two_factor_setup")
    twofactor.remove_two_factor(request.user, request)
    request.session[NEEDS_SECOND_STEP] = False
    messages.success(request, "Two-factor sign-in is off. Your authenticator app's entry can be deleted.")
    return redirect(reverse("wagtailadmin_account"))
