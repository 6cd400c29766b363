"""The audit is written from signals: Django's sign-in signals, django-axes' lock-out, django-otp's devices
and a changed password. Connected in ``AccountsConfig.ready``."""

from __future__ import annotations

import time

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import audit
from .throttling import PAGE_PASSWORD

Kind = audit.Kind


def _typed_username(credentials) -> str:
    return str((credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD) or "")


@receiver(user_logged_in, dispatch_uid="accounts_signed_in")
def signed_in(sender, request, user, **kwargs):
    # force_login (tests, the demo) signs in through a bare request; the audit wants real sign-ins.
    if request is not None and request.method == "POST":
        audit.record(Kind.SIGNED_IN, request, user=user)


@receiver(user_logged_in, dispatch_uid="accounts_session_started")
def session_started(sender, request, user, **kwargs):
    """Decide once per session whether it needs the second step, and start its idle clock."""
    from .middleware import LAST_SEEN, remember_second_step

    if request is not None and hasattr(request, "session"):
        remember_second_step(request, user)
        request.session[LAST_SEEN] = int(time.time())


@receiver(user_login_failed, dispatch_uid="accounts_sign_in_failed")
def sign_in_failed(sender, credentials, request=None, **kwargs):
    if getattr(request, "axes_locked_out", False):
        return  # refused because locked out: user_locked_out records it
    kind = Kind.PAGE_PASSWORD_FAILED if sender == PAGE_PASSWORD else Kind.FAILED
    audit.record(kind, request, username=_typed_username(credentials))


@receiver(user_locked_out, dispatch_uid="accounts_locked_out")
def locked_out(sender, request, username=None, ip_address=None, **kwargs):
    page = getattr(request, "signin_page_password", None)
    kind = Kind.PAGE_PASSWORD_LOCKED_OUT if page else Kind.LOCKED_OUT
    audit.record(kind, request, username=username or "")


def _request_and_by(instance):
    """The request and the acting user that the views put on a device they change (none from a shell)."""
    request = getattr(instance, "_signin_request", None)
    by = getattr(request, "user", None) if request is not None else None
    return request, (by if by is not None and by != instance.user else None)


@receiver(post_save, sender=TOTPDevice, dispatch_uid="accounts_totp_saved")
def totp_saved(sender, instance, created, **kwargs):
    if instance.confirmed and getattr(instance, "_signin_was_unconfirmed", created):
        request, by = _request_and_by(instance)
        audit.record(Kind.TWO_FACTOR_ADDED, request, user=instance.user, by=by)


@receiver(pre_save, sender=TOTPDevice, dispatch_uid="accounts_totp_saving")
def totp_saving(sender, instance, **kwargs):
    if instance.pk:
        was = TOTPDevice.objects.filter(pk=instance.pk).values_list("confirmed", flat=True).first()
        instance._signin_was_unconfirmed = not was


@receiver(post_delete, sender=TOTPDevice, dispatch_uid="accounts_totp_deleted")
def totp_deleted(sender, instance, **kwargs):
    if instance.confirmed:
        request, by = _request_and_by(instance)
        audit.record(Kind.TWO_FACTOR_REMOVED, request, user=instance.user, by=by)


@receiver(post_save, sender=StaticDevice, dispatch_uid="accounts_recovery_codes_made")
def recovery_codes_made(sender, instance, created, **kwargs):
    if created:
        request, by = _request_and_by(instance)
        audit.record(Kind.RECOVERY_CODES_MADE, request, user=instance.user, by=by)


@receiver(pre_save, sender=get_user_model(), dispatch_uid="accounts_password_changing")
def password_changing(sender, instance, raw=False, **kwargs):
    update_fields = kwargs.get("update_fields")
    if raw or not instance.pk or (update_fields is not None and "password" not in update_fields):
        return  # e.g. last_login on every sign-in: no query for that
    old = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    instance._signin_password_changed = old is not None and old != instance.password


@receiver(post_save, sender=get_user_model(), dispatch_uid="accounts_password_changed")
def password_changed(sender, instance, created, raw=False, **kwargs):
    """Every other session of the account ends by itself (Django checks each session's password hash); the
    audit says when it happened."""
    if getattr(instance, "_signin_password_changed", False):
        instance._signin_password_changed = False
        audit.record(Kind.PASSWORD_CHANGED, None, user=instance)
