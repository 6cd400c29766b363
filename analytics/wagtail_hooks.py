from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from episodes.listening import AUDIO_SERVED_HOOK
from episodes.panels import DOWNLOADS_PANEL_HOOK

from .counting import count_download

hooks.register(AUDIO_SERVED_HOOK, count_download)


@hooks.register("register_admin_urls")
def register_report_urls():
    from .views import DownloadsReport

    urls = [path("", DownloadsReport.as_view(), name="downloads")]
    return [path("reports/downloads/", include((urls, "analytics_reports"), namespace="analytics_reports"))]


class DownloadsMenuItem(MenuItem):
    def is_shown(self, request):
        from .reporting import may_see_reports

        return may_see_reports(request.user)


@hooks.register("register_reports_menu_item")
def register_downloads_menu_item():
    return DownloadsMenuItem(
        "Downloads",
        reverse("analytics_reports:downloads"),
        name="downloads",
        icon_name="download",
        order=1400,
    )


@hooks.register(DOWNLOADS_PANEL_HOOK)
def downloads_panel(page, request):
    from .views import episode_panel

    return episode_panel(page, request)
