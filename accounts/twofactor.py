"""Two-factor sign-in with django-otp: who must take the second step, and the devices a person has.

A person's second factor is a TOTP device (an authenticator app) plus a static device holding ten
single-use recovery codes. Administrators and members of TWO_FACTOR_REQUIRED_GROUPS must have one when
TWO_FACTOR_REQUIRED is on; anyone else may set one up, and then is asked for it too.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODES = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def is_required(user) -> bool:
    """Whether the setting makes ``user`` take the second step (administrators and the named groups)."""
    if not settings.TWO_FACTOR_REQUIRED or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=settings.TWO_FACTOR_REQUIRED_GROUPS).exists()


def has_two_factor(user) -> bool:
    return user.is_authenticated and user_has_device(user, confirmed=True)


def app_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def unconfirmed_app_device(user, request=None) -> TOTPDevice:
    """The authenticator app being set up: one unconfirmed device, kept until it is confirmed with a code
    (so that reloading the setup page shows the same key)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice(user=user, name=APP_DEVICE_NAME, confirmed=False)
        device._signin_request = request
        device.save()
    return device


def remaining_recovery_codes(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def new_recovery_codes(user, request=None) -> list[str]:
    """Ten fresh recovery codes, replacing any earlier ones (which stop working). Shown once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    device._signin_request = request
    device.save()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def remove_two_factor(user, request=None) -> None:
    """Turn two-factor off for ``user``: their app and recovery codes go (an administrator does this for
    someone who lost their phone and codes; they set it up again at their next sign-in)."""
    for device in TOTPDevice.objects.filter(user=user):
        device._signin_request = request
        device.delete()
    StaticDevice.objects.filter(user=user).delete()
