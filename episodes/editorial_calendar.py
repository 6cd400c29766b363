"""The editorial calendar: a month of published and scheduled episodes and interviews, and rescheduling.

Each item is a page at a moment: a published episode at its publication date (the date podcast apps
show; "Waiting" while that date is still to come), a published interview at its date, and a scheduled
revision at its go-live date ("Scheduled", or "Scheduled change" for a live page). Items carry the state
of their audio's transcript and file for listeners, read through reverse relations (``audio.transcript``
belongs to the transcripts app, which this app does not import). An editor sees the pages they may edit.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.utils import timezone
from wagtail.models import Page, Revision
from wagtail.permission_policies.pages import PagePermissionPolicy

from .models import AudioRendition, EpisodePage, InterviewPage, ShowPage
from .scheduling import ScheduleError, check_schedule

PUBLISHED, WAITING = "Published", "Waiting for its date"
SCHEDULED, SCHEDULED_CHANGE = "Scheduled", "Scheduled change"
# A publication date this close to the old go-live date moves with it when rescheduling.
SAME_MOMENT = timedelta(minutes=1)


@dataclass
class Item:
    page: Page
    kind: str  # "episode" or "interview"
    at: datetime | date
    state: str
    show: ShowPage | None = None
    transcript: str = ""  # the transcript's status label, "" without audio
    delivery: str = ""  # the file for listeners' status label, "" when none is made
    can_reschedule: bool = False

    @property
    def scheduled(self) -> bool:
        return self.state in (SCHEDULED, SCHEDULED_CHANGE)


@dataclass
class Day:
    day: date
    in_month: bool
    items: list[Item] = field(default_factory=list)


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """The month as aware datetimes in the current time zone, [first, next month's first)."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return (
        timezone.make_aware(datetime.combine(first, time.min)),
        timezone.make_aware(datetime.combine(following, time.min)),
    )


def editable_pages(user):
    """The pages ``user`` may change, publish or has added (Wagtail's page permission rules)."""
    return PagePermissionPolicy().instances_user_has_any_permission_for(user, {"add", "change", "publish"})


def month_items(user, year: int, month: int, show: ShowPage | None = None) -> list[Item]:
    """The month's items ``user`` may edit, of one show (its episodes and interviews) or of all, by time."""
    start, end = month_bounds(year, month)
    allowed = editable_pages(user).values("pk")
    renditions = Prefetch(
        "audio__renditions", AudioRendition.objects.filter(retired_at__isnull=True).order_by("-pk")
    )
    episodes = EpisodePage.objects.filter(pk__in=allowed).select_related("audio", "audio__transcript")
    interviews = InterviewPage.objects.filter(pk__in=allowed).select_related(
        "audio", "audio__transcript", "show"
    )
    if show is not None:
        episodes = episodes.child_of(show)
        interviews = interviews.filter(show=show)
    shows = {s.path: s for s in ShowPage.objects.all()}
    items = []
    live_episodes = episodes.live().filter(publication_date__gte=start, publication_date__lt=end)
    for episode in live_episodes.prefetch_related(renditions):
        state = PUBLISHED if episode.publication_date <= timezone.now() else WAITING
        items.append(_item(episode, "episode", episode.publication_date, state, shows))
    start_day, end_day = timezone.localdate(start), timezone.localdate(end)
    live_interviews = interviews.live().filter(date__gte=start_day, date__lt=end_day)
    for interview in live_interviews.prefetch_related(renditions):
        items.append(_item(interview, "interview", interview.date, PUBLISHED, shows))

    scheduled = Revision.page_revisions.filter(approved_go_live_at__gte=start, approved_go_live_at__lt=end)
    ids = {int(revision.object_id): revision for revision in scheduled}
    # Scheduling is publishing: who may publish a page may move its go-live date (one query for all).
    publishable = set(
        PagePermissionPolicy()
        .instances_user_has_any_permission_for(user, {"publish"})
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    )
    for queryset, kind in ((episodes, "episode"), (interviews, "interview")):
        for page in queryset.filter(pk__in=ids).prefetch_related(renditions):
            revision = ids[page.pk]
            state = SCHEDULED_CHANGE if page.live else SCHEDULED
            item = _item(page, kind, revision.approved_go_live_at, state, shows)
            item.page.title = revision.object_str or page.title  # the title it will go live with
            item.can_reschedule = page.pk in publishable
            items.append(item)
    return sorted(items, key=lambda item: (_moment(item.at), item.page.title))


def _moment(at: datetime | date) -> datetime:
    if isinstance(at, datetime):
        return at
    return timezone.make_aware(datetime.combine(at, time.min))


def _item(page, kind: str, at, state: str, shows: dict) -> Item:
    show = shows.get(page.path[: -page.steplen]) if kind == "episode" else page.show
    item = Item(page=page, kind=kind, at=at, state=state, show=show)
    audio = page.audio
    if audio is not None:
        transcript = getattr(audio, "transcript", None)  # the transcripts app's, by its reverse relation
        item.transcript = transcript.get_status_display() if transcript is not None else "Not started"
        rendition = next(iter(audio.renditions.all()), None)
        item.delivery = rendition.get_status_display() if rendition is not None else ""
    return item


def month_grid(year: int, month: int, items: list[Item]) -> list[list[Day]]:
    """Weeks (Monday first) of ``Day``s covering the month, each day with its items."""
    by_day: dict[date, list[Item]] = {}
    for item in items:
        day = timezone.localdate(item.at) if isinstance(item.at, datetime) else item.at
        by_day.setdefault(day, []).append(item)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    return [[Day(day, day.month == month, by_day.get(day, [])) for day in week] for week in weeks]


def reschedule(page: Page, go_live_at: datetime, user) -> Revision:
    """Move a scheduled page's go-live date, as its edit page's Publish with a new go-live date would.

    The scheduled revision is saved again with the new date and published (Wagtail then approves it to go
    live at that time); an episode's publication date moves with its go-live date when they were the same
    moment, so that podcast apps list it from the new time. Refused, with nothing changed
    (``ScheduleError``), when the page is not scheduled, when it has changes saved after it was scheduled
    (they would be published with it), or for a date that has passed or comes after its expiry; without
    permission to publish it, ``PermissionDenied``."""
    if not page.permissions_for_user(user).can_publish():
        raise PermissionDenied("You may not publish this page, so you may not schedule it.")
    revision = Revision.page_revisions.filter(
        object_id=str(page.pk), approved_go_live_at__isnull=False
    ).first()
    if revision is None:
        raise ScheduleError(f"“{page.title}” is not scheduled: schedule it from its edit page.")
    if page.latest_revision_id != revision.pk:
        raise ScheduleError(
            f"“{page.title}” has changes saved after it was scheduled; reschedule it from its edit page, "
            "where you can see them."
        )
    scheduled = revision.as_object()
    check_schedule(go_live_at, scheduled.expire_at)
    old = revision.approved_go_live_at
    published = getattr(scheduled, "publication_date", None)
    if published is not None and abs(published - old) <= SAME_MOMENT:
        scheduled.publication_date = go_live_at
    scheduled.go_live_at = go_live_at
    new_revision = scheduled.save_revision(user=user, log_action=True)
    new_revision.publish(user=user)
    return new_revision
