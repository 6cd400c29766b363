"""The audit of sign-ins: one row per sign-in, failure, lock-out, release and two-factor change."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SignInEvent(models.Model):
    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", "Signed in"
        FAILED = "failed", "Failed sign-in"
        LOCKED_OUT = "locked_out", "Locked out"
        RELEASED = "released", "Lock-out released"
        PAGE_PASSWORD_FAILED = "page_password_failed", "Wrong page password"
        PAGE_PASSWORD_LOCKED_OUT = "page_password_locked_out", "Locked out of a page password"
        TWO_FACTOR_PASSED = "two_factor_passed", "Second step passed"
        TWO_FACTOR_FAILED = "two_factor_failed", "Second step failed"
        RECOVERY_CODE_USED = "recovery_code_used", "Recovery code used"
        TWO_FACTOR_ADDED = "two_factor_added", "Two-factor turned on"
        RECOVERY_CODES_MADE = "recovery_codes_made", "New recovery codes"
        TWO_FACTOR_REMOVED = "two_factor_removed", "Two-factor turned off"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        SIGNED_OUT_IDLE = "signed_out_idle", "Signed out when idle"

    time = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=32, choices=Kind.choices, db_index=True)
    # As typed at the sign-in form (a failure may name no account), cut to the length of a user name.
    username = models.CharField(max_length=150, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The client's network (accounts.addresses.truncated), never the whole address.
    network = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    # Who did it, where that is someone else (an administrator releasing a lock-out, removing a device).
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-time", "-pk"]
        verbose_name = "sign-in event"
        permissions = [("release_lockout", "Can release sign-in lock-outs")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.username or '-'} at {self.time:%Y-%m-%d %H:%M}"
