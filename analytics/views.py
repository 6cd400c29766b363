"""*Reports → Downloads* in the Wagtail admin, and the downloads panel of an episode's edit page.

Thin: the figures come from ``analytics.reporting``, the chart's geometry from ``analytics.charts``. The
report is one of Wagtail's ``ReportView``s, so that its CSV and XLSX export are Wagtail's own
(``SpreadsheetExportMixin``); its rows are a list made by a fixed number of queries, sorted and paginated
in memory (a thousand episodes are a thousand small objects).
"""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.reports import ReportView

from . import reporting
from .charts import bar_chart
from .models import DailyDownloads


class ReportFilters(forms.Form):
    """The report's choices, sent by GET so that a view of the figures can be bookmarked and shared. A
    choice that is not valid (a show the user may not see, a period not offered) is reported and the
    default used instead, so the page always shows figures."""

    show = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="All shows",
        error_messages={
            "invalid_choice": "That show is not one whose figures you may see; all your shows are shown."
        },
    )
    period = forms.TypedChoiceField(
        label="Chart",
        choices=[(days, f"Last {days} days") for days in reporting.PERIODS],
        coerce=int,
        required=False,
        empty_value=reporting.PERIODS[0],
        error_messages={"invalid_choice": "Choose 30, 90 or 365 days; the last 30 days are shown."},
    )

    def __init__(self, data, shows):
        super().__init__(data)
        self.fields["show"].queryset = shows

    def value(self, name):
        """The cleaned choice, or its default when what was sent is not valid."""
        if not self.is_bound or name in self.errors:
            return self.fields[name].empty_value if name == "period" else None
        return self.cleaned_data.get(name)


class PlainColumn(Column):
    """A sortable column whose cells are written directly rather than each through a template: a page of
    the table is hundreds of cells, and Wagtail's cell template took most of the report's time."""

    def __init__(self, name, number: bool = False, **kwargs):
        super().__init__(name, sort_key=name, classname="downloads-number" if number else None, **kwargs)
        self.number = number

    def render_cell_html(self, instance, parent_context):
        value = self.get_value(instance)
        if self.number:
            return format_html('<td class="downloads-number">{}</td>', f"{value:,}")
        return format_html("<td>{}</td>", "—" if value in (None, "") else value)


class EpisodeColumn(PlainColumn):
    """The episode's title, linking to its edit page."""

    def render_cell_html(self, instance, parent_context):
        url = reverse("wagtailadmin_pages:edit", args=[instance.page_id])
        return format_html('<td class="title"><a href="{}">{}</a></td>', url, instance.title)


class DownloadsReport(ReportView):
    """Daily downloads over 30, 90 or 365 days with a show filter, the top apps, and a table of episodes
    (first 7 days, first 30 days, all time), sortable and exported as CSV or XLSX."""

    page_title = "Downloads"
    header_icon = "download"
    template_name = "analytics/reports/downloads.html"
    results_template_name = "analytics/reports/downloads_results.html"
    index_url_name = "analytics_reports:downloads"
    paginate_by = 50
    default_ordering = "-all_time"
    verbose_name_plural = "episodes with downloads"
    list_export = ["title", "show_title", "went_live", "first_7_days", "first_30_days", "all_time"]
    export_filename = "downloads"

    def dispatch(self, request, *args, **kwargs):
        if not reporting.may_see_reports(request.user):
            raise PermissionDenied  # the admin turns it into its "you do not have permission" redirect
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def filters_form(self) -> ReportFilters:
        return ReportFilters(self.request.GET or None, reporting.visible_shows(self.request.user))

    @cached_property
    def show(self):
        return self.filters_form.value("show")

    @cached_property
    def period(self) -> int:
        return self.filters_form.value("period") or reporting.PERIODS[0]

    @cached_property
    def last_day(self) -> date:
        return reporting.today()

    @cached_property
    def first_day(self) -> date:
        return self.last_day - timedelta(days=self.period - 1)

    @cached_property
    def scope(self) -> reporting.Scope:
        return reporting.scope_for(self.request.user)

    @cached_property
    def where(self):
        """The downloads shown: the user's scope, and the show chosen."""
        return self.scope.where & Q(show=self.show) if self.show else self.scope.where

    @cached_property
    def cache_key(self) -> str:
        """Names the rows shown: the user's scope and the show chosen."""
        return f"{self.scope.key}:{self.show.pk if self.show else 'all'}"

    @property
    def export_headings(self):
        return {
            "title": "Title",
            "show_title": "Show",
            "went_live": "Went live",
            "first_7_days": "First 7 days",
            "first_30_days": "First 30 days",
            "all_time": "All time",
        }

    @cached_property
    def columns(self):
        headings = self.export_headings
        return [
            EpisodeColumn("title", label="Episode"),
            PlainColumn("show_title", label="Show"),
            PlainColumn("went_live", label=headings["went_live"]),
            *(
                PlainColumn(name, number=True, label=headings[name])
                for name in ("first_7_days", "first_30_days", "all_time")
            ),
        ]

    def get_filename(self):
        show = f"-{self.show.slug}" if self.show else ""
        return f"{self.export_filename}{show}-{self.last_day.isoformat()}"

    def get_queryset(self):
        shows = [self.show] if self.show else list(self.filters_form.fields["show"].queryset)
        # No column for the chart's period: it would cost a condition on every row of the all-time sum.
        listed = reporting.live_episodes(shows)
        figures = reporting.episode_figures(self.where, listed=listed)
        return self.order_queryset(figures)

    def order_queryset(self, figures):
        """Sorted in memory: the rows are a list. Ties keep the tree's order; episodes without a go-live
        day sort after those with one."""
        ordering = self.ordering or self.default_ordering
        name = ordering.lstrip("-")
        descending = ordering.startswith("-")
        present = [row for row in figures if getattr(row, name) is not None]
        missing = [row for row in figures if getattr(row, name) is None]
        text = name in ("title", "show_title")
        present.sort(
            key=lambda row: getattr(row, name).casefold() if text else getattr(row, name), reverse=descending
        )
        return present + missing

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.is_export:
            return context  # a spreadsheet of the episodes table needs neither the chart nor the apps
        context["table_body"] = format_html_join(
            "\n",
            "<tr>{}</tr>",
            (
                (mark_safe("".join(column.render_cell_html(row, context) for column in self.columns)),)  # noqa: S308
                for row in context["object_list"]
            ),
        )
        period = reporting.period_figures(
            None,
            self.first_day,
            self.last_day,
            cache_key=self.cache_key,
            read=lambda first, last: self.scope.by_day_and_app(first, last, self.show),
        )
        scope = self.show.title if self.show else "all your shows"
        context.update(
            filters_form=self.filters_form,
            period=self.period,
            selected_show=self.show,
            chart=bar_chart(period.daily, f"Downloads per day, {scope}, last {self.period} days"),
            apps=period.apps,
            first_day=self.first_day,
            last_day=self.last_day,
            counted_up_to=reporting.counted_up_to(),
        )
        return context


def episode_panel(page, request) -> str | None:
    """The downloads panel of an episode's edit page (episodes' ``DOWNLOADS_PANEL_HOOK``): the last 30
    days as a small chart, and the episode's first 7 days, first 30 days and all time."""
    if not reporting.may_see_page(request.user, page):
        return None
    where = reporting.scope_for(request.user).where & Q(page_id=page.pk)
    rows = DailyDownloads.objects.filter(where)
    last = reporting.today()
    first = last - timedelta(days=29)
    [figures] = reporting.episode_figures(where, listed=type(page).objects.filter(pk=page.pk)) or [None]
    series = reporting.daily(rows, first, last)
    context = {
        "page": page,
        "figures": figures,
        "chart": bar_chart(series, f"Downloads per day of “{page.title}”, last 30 days"),
        "report_url": reverse("analytics_reports:downloads"),
        "show": getattr(page, "show", None),
        "counted_up_to": reporting.counted_up_to(),
    }
    return render_to_string("analytics/panels/downloads.html", context, request=request)
