"""Writing and pruning the audit of sign-ins (``SignInEvent``)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .addresses import client_address, truncated
from .models import SignInEvent

logger = logging.getLogger(__name__)

Kind = SignInEvent.Kind


def record(kind: str, request=None, *, username: str = "", user=None, by=None) -> SignInEvent:
    """Write one audit row. ``username`` defaults to the user's; everything from the request is cut to its
    column (a hostile agent or name is stored as text, and templates and exports escape it)."""
    if user is not None and getattr(user, "is_authenticated", False) and not username:
        username = user.get_username()
    if user is not None and not getattr(user, "pk", None):
        user = None
    network = agent = ""
    if request is not None:
        network = truncated(client_address(request))
        agent = request.META.get("HTTP_USER_AGENT", "")
    return SignInEvent.objects.create(
        kind=kind,
        username=str(username or "")[:150],
        user=user,
        network=network[:64],
        user_agent=str(agent)[:255],
        by=by if getattr(by, "pk", None) else None,
    )


def prune() -> int:
    """The scheduler's job: delete audit rows older than SIGNIN_AUDIT_RETENTION_DAYS, and django-axes'
    failure counters whose cool-off is over (they hold whole addresses, needed only while they count)."""
    from axes.models import AccessAttempt

    from .throttling import cooloff

    now = timezone.now()
    days = settings.SIGNIN_AUDIT_RETENTION_DAYS
    deleted, _ = SignInEvent.objects.filter(time__lt=now - timedelta(days=days)).delete()
    expired, _ = AccessAttempt.objects.filter(attempt_time__lt=now - cooloff()).delete()
    if deleted or expired:
        logger.info("Deleted %d sign-in audit rows and %d expired failure counters", deleted, expired)
    return deleted
