from django.contrib import messages
from django.urls import path
from wagtail import hooks
from wagtail.snippets.models import register_snippet

from operations.health import WORKER_REPORT_HOOK

from .directory_checks import episode_problems, show_problems
from .models import EpisodePage, ShowPage
from .viewsets import AudioFileViewSet, PersonViewSet

register_snippet(AudioFileViewSet)


@hooks.register("register_admin_urls")
def delivery_admin_urls():
    from .delivery.admin import retry

    return [path("delivery/<int:pk>/retry/", retry, name="episodes_delivery_retry")]


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
