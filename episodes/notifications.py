"""Email to the people behind an episode: its page's owner and the show's notification addresses.

They hear when the episode's transcript is done or has failed (``transcripts.notifications``) and when a
scheduled episode has gone live (``went_live``, on Wagtail's ``page_published``). Each message is plain
text with an HTML alternative and carries the page's admin and public addresses in full
(WAGTAILADMIN_BASE_URL, the site's root URL), so it works in any mail client.

Sending is a side effect that must never undo the work it reports: it happens after the transaction
commits, and a mail server that refuses or cannot be reached is logged, never raised. Titles and error
messages are editors' and engines' text: they are made one line before they go into a header (a newline in
a Subject would start a new header) and escaped in the HTML.
"""

from __future__ import annotations

import logging
import re
from functools import partial

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

logger = logging.getLogger(__name__)

# Line breaks of every kind, other control characters and runs of spaces: one space in a header.
_NOT_ONE_LINE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")
SUBJECT_MAX = 150


def one_line(text: str, limit: int = SUBJECT_MAX) -> str:
    """``text`` safe for an email header: on one line, without control characters, at most ``limit``
    characters."""
    text = _NOT_ONE_LINE.sub(" ", str(text)).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def recipients(page) -> list[str]:
    """The page owner's address, then its show's notification addresses; no repeats, case aside."""
    addresses = []
    owner = getattr(page, "owner", None)
    if owner is not None and owner.is_active and owner.email:
        addresses.append(owner.email)
    show = getattr(page, "show", None)  # an episode's parent show; an interview's chosen one
    if show is not None:
        addresses += show.notification_recipients()
    seen: set[str] = set()
    return [a for a in addresses if not (a.lower() in seen or seen.add(a.lower()))]


def admin_url(page) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("wagtailadmin_pages:edit", args=[page.pk])


def notify(page, subject: str, message: str, *, detail: str = "") -> int:
    """Send ``message`` about ``page`` to its people (``recipients``), one message each so that nobody
    sees the others' addresses. Returns how many were sent; never raises (a failure is logged)."""
    try:
        addresses = recipients(page)
        if not addresses:
            return 0
        site_name = getattr(settings, "WAGTAIL_SITE_NAME", "Podcast")
        context = {
            "site_name": site_name,
            "title": page.title,
            "message": message,
            "detail": detail,
            "admin_url": admin_url(page),
            "public_url": page.get_full_url() or "",
        }
        text = render_to_string("episodes/email/notice.txt", context)
        html = render_to_string("episodes/email/notice.html", context)
        subject = one_line(f"[{site_name}] {subject}")
        messages = []
        for address in addresses:
            email = EmailMultiAlternatives(subject, text, to=[address])
            email.attach_alternative(html, "text/html")
            messages.append(email)
        return get_connection().send_messages(messages) or 0
    except Exception:
        logger.exception("Could not send the notification %r about page %s", one_line(subject), page.pk)
        return 0


def notify_after_commit(page, subject: str, message: str, *, detail: str = "") -> None:
    """``notify`` once the current transaction commits (at once outside one); nothing if it rolls back."""
    transaction.on_commit(partial(notify, page, subject, message, detail=detail), robust=True)


def when(moment) -> str:
    """A time for people: in the site's TIME_ZONE, naming it."""
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M %Z}"


def went_live(sender, instance, revision=None, **kwargs) -> None:
    """``page_published`` receiver: a scheduled episode has gone live.

    Wagtail's scheduled publishing publishes the revision an editor approved to go live later; that
    revision still carries its ``approved_go_live_at`` when the signal fires (Wagtail clears it in the
    database only). A manual publish has none, and publishing with a future go-live date fires the signal
    too, but before the page is live: neither is told."""
    if not instance.live or revision is None or revision.approved_go_live_at is None:
        return
    notify_after_commit(
        instance,
        f"Now live: {one_line(instance.title)}",
        f"“{instance.title}” went live as scheduled at {when(revision.approved_go_live_at)}.",
    )
