"""The editorial calendar in the admin (*Calendar* in the menu): a month of one show's (or every show's)
published and scheduled episodes and interviews, and a form to move a scheduled one. Thin: the work is in
``episodes.editorial_calendar``."""

from __future__ import annotations

import calendar
import re
from urllib.parse import urlencode

from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.models import Page

from .editorial_calendar import month_grid, month_items, reschedule
from .models import ShowPage
from .scheduling import ScheduleError, parse_when

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def calendar_url(year: int, month: int, show_id: int | None = None) -> str:
    query = {"month": f"{year:04d}-{month:02d}", **({"show": show_id} if show_id else {})}
    return reverse("episodes_calendar") + "?" + urlencode(query)


class CalendarView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "episodes/admin/calendar.html"
    page_title = "Calendar"
    header_icon = "date"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        found = MONTH.match(self.request.GET.get("month", ""))
        year, month = (int(found[1]), int(found[2])) if found else (today.year, today.month)
        if not (1 <= month <= 12 and 1900 < year < 3000):
            year, month = today.year, today.month
        shows = list(ShowPage.objects.order_by("title"))
        show_id = self.request.GET.get("show", "")
        show = next((s for s in shows if str(s.pk) == show_id), None)
        items = month_items(self.request.user, year, month, show)
        before = (year - 1, 12) if month == 1 else (year, month - 1)
        after = (year + 1, 1) if month == 12 else (year, month + 1)
        context.update(
            month_label=f"{calendar.month_name[month]} {year}",
            month_value=f"{year:04d}-{month:02d}",
            weekdays=list(calendar.day_name),
            weeks=month_grid(year, month, items),
            items=items,
            shows=shows,
            show=show,
            previous_url=calendar_url(*before, show.pk if show else None),
            next_url=calendar_url(*after, show.pk if show else None),
            today_url=calendar_url(today.year, today.month, show.pk if show else None),
            here=self.request.get_full_path(),
            timezone_name=timezone.get_current_timezone_name(),
        )
        return context


@require_POST
def reschedule_view(request, page_id: int):
    """Move a scheduled page's go-live date (``go_live_at``, the form's local date and time); back to the
    calendar with a message either way. A bad date or a page that cannot be rescheduled changes nothing."""
    page = get_object_or_404(Page, pk=page_id).specific
    back = request.POST.get("next", "")
    if not back.startswith(reverse("episodes_calendar")):
        back = reverse("episodes_calendar")
    try:
        when = parse_when(request.POST.get("go_live_at", ""), "new go-live date")
        reschedule(page, when, request.user)
    except ScheduleError as error:
        messages.error(request, f"“{page.title}” was not rescheduled. {error}")
    else:
        moment = timezone.localtime(when)
        messages.success(request, f"“{page.title}” will go live at {moment:%Y-%m-%d %H:%M} ({moment:%Z}).")
    return HttpResponseRedirect(back)
