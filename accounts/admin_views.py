"""Admin screens: *Settings* → *Sign-in lock-outs* (list and release) and *Reports* → *Sign-ins* (the
audit, exported as CSV or XLSX by Wagtail's own report export)."""

from __future__ import annotations

import django_filters
from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST
from wagtail.admin.auth import permission_denied
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.reports import ReportView

from . import audit, throttling
from .models import SignInEvent

RELEASE_PERMISSION = "accounts.release_lockout"
VIEW_AUDIT_PERMISSION = "accounts.view_signinevent"


def lockouts(request):
    if not request.user.has_perm(RELEASE_PERMISSION):
        return permission_denied(request)
    return TemplateResponse(
        request,
        "accounts/lockouts.html",
        {"lockouts": throttling.current_lockouts(), "minutes": throttling.cooloff().seconds // 60},
    )


@require_POST
def release(request):
    if not request.user.has_perm(RELEASE_PERMISSION):
        return permission_denied(request)
    kind, value = request.POST.get("kind", ""), request.POST.get("value", "")
    if kind not in ("account", "address") or not value:
        messages.error(request, "Nothing to release: choose a lock-out from the list.")
        return redirect("accounts_lockouts")
    count = throttling.release(kind, value)
    audit.record(audit.Kind.RELEASED, request, username=value if kind == "account" else "", by=request.user)
    if count:
        messages.success(request, f"Released the {kind} {value}: it may sign in again now.")
    else:
        messages.info(request, f"The {kind} {value} was not locked out (its cool-off may have just ended).")
    return redirect("accounts_lockouts")


def neutralise_formula(value) -> str:
    """A cell a spreadsheet would read as a formula, kept as text (OWASP's advice for CSV injection)."""
    text = str(value or "")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class SignInFilterSet(WagtailFilterSet):
    kind = django_filters.ChoiceFilter(label="Event", choices=SignInEvent.Kind.choices)
    username = django_filters.CharFilter(label="Account", lookup_expr="icontains")
    time = django_filters.DateFromToRangeFilter(label="Date", widget=DateRangePickerWidget)

    class Meta:
        model = SignInEvent
        fields = ["kind", "username", "time"]


class SignInReport(ReportView):
    """Every sign-in, failure, lock-out and two-factor change kept (SIGNIN_AUDIT_RETENTION_DAYS)."""

    page_title = "Sign-ins"
    header_icon = "key"
    model = SignInEvent
    filterset_class = SignInFilterSet
    index_url_name = "accounts_reports:signins"
    index_results_url_name = "accounts_reports:signins_results"
    any_permission_required = ["view"]
    export_filename = "sign-ins"
    list_export = ["time", "kind", "username", "network", "user_agent", "by"]
    export_headings = {
        "time": "Time (UTC)",
        "kind": "Event",
        "username": "Account",
        "network": "Network",
        "user_agent": "User agent",
        "by": "By",
    }
    columns = [
        DateColumn("time", label="Time"),
        Column("kind", label="Event", accessor="get_kind_display"),
        Column("username", label="Account"),
        Column("network", label="Network"),
        Column("user_agent", label="User agent"),
        Column("by", label="By"),
    ]

    @property
    def permission_policy(self):
        from wagtail.permission_policies import ModelPermissionPolicy

        return ModelPermissionPolicy(SignInEvent)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # Wagtail's XLSX export already keeps formulas as text; its CSV does not, and a typed user name or
        # agent is anyone's text: "=HYPERLINK(...)" must not become a formula in a spreadsheet.
        self.custom_field_preprocess = {
            **self.custom_field_preprocess,
            **{field: {self.FORMAT_CSV: neutralise_formula} for field in ("username", "user_agent")},
        }

    def get_queryset(self):
        return SignInEvent.objects.select_related("by")

    def get_filename(self):
        return self.export_filename

    def to_row_dict(self, item):
        row = super().to_row_dict(item)
        row["kind"] = item.get_kind_display()
        row["by"] = item.by.get_username() if item.by else ""
        return row
