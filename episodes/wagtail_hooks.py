from django.contrib import messages
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet

from operations import queues
from operations.health import WORKER_REPORT_HOOK

from .directory_checks import episode_problems, show_problems
from .models import AudioFile, EpisodePage, InterviewPage, ShowPage
from .scheduling import schedule_warnings
from .viewsets import AudioFileViewSet, PersonViewSet

register_snippet(AudioFileViewSet)


@hooks.register("register_admin_urls")
def delivery_admin_urls():
    from .delivery.admin import retry

    return [path("delivery/<int:pk>/retry/", retry, name="episodes_delivery_retry")]


@hooks.register("register_admin_urls")
def calendar_admin_urls():
    from .calendar_views import CalendarView, reschedule_view

    return [
        path("calendar/", CalendarView.as_view(), name="episodes_calendar"),
        path("calendar/<int:page_id>/reschedule/", reschedule_view, name="episodes_calendar_reschedule"),
    ]


@hooks.register("register_admin_urls")
def moving_admin_urls():
    from .moving_views import check_old_feed

    return [path("shows/<int:page_id>/check-old-feed/", check_old_feed, name="episodes_check_old_feed")]


@hooks.register("register_admin_menu_item")
def calendar_menu_item():
    return MenuItem("Calendar", reverse("episodes_calendar"), name="calendar", icon_name="date", order=250)


register_snippet(PersonViewSet)


@hooks.register(WORKER_REPORT_HOOK)
def delivery_health() -> dict[str, int]:
    """For /health/ and ``healthcheck``: renditions whose worker stopped beating, failed ones waiting for
    their automatic retry, and failed ones waiting for an editor (see delivery/retries.py)."""
    from .delivery.preparing import lease_seconds
    from .delivery.retries import delivery_health

    return delivery_health(lease_seconds())


@hooks.register("after_create_page")
@hooks.register("after_edit_page")
def warn_about_directory_problems(request, page):
    specific = page.specific
    if isinstance(specific, ShowPage):
        problems = show_problems(specific)
    elif isinstance(specific, EpisodePage):
        problems = episode_problems(specific)
    else:
        return
    if problems:
        messages.warning(request, "Apple Podcasts would reject or flag this: " + " ".join(problems))


@hooks.register("after_create_page")
@hooks.register("after_edit_page")
def warn_about_schedule(request, page):
    specific = page.specific
    if isinstance(specific, EpisodePage):
        for warning in schedule_warnings(specific):
            messages.warning(request, warning)


PROCESSING_DELAYED = (
    "Saved, but processing is delayed: the task queue does not answer just now. Transcription and the "
    "podcast-ready audio start by themselves when it is back; nothing needs doing again."
)


@hooks.register("after_create_snippet")
@hooks.register("after_edit_snippet")
def say_processing_is_delayed_for_audio(request, instance):
    """With the RQ queue and Redis down, an upload is saved (its transcript and renditions are QUEUED rows
    the scheduler queues again later) but no job could be queued: say so, instead of a plain success."""
    if isinstance(instance, AudioFile) and not queues.reachable():
        messages.warning(request, PROCESSING_DELAYED)


@hooks.register("after_create_page")
@hooks.register("after_edit_page")
def say_processing_is_delayed_for_pages(request, page):
    if isinstance(page.specific, EpisodePage | InterviewPage) and not queues.reachable():
        messages.warning(request, PROCESSING_DELAYED)
