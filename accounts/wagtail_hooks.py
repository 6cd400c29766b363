from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import admin_views, views


@hooks.register("register_admin_urls")
def register_urls():
    reports = [
        path("", admin_views.SignInReport.as_view(), name="signins"),
        path("results/", admin_views.SignInReport.as_view(results_only=True), name="signins_results"),
    ]
    return [
        path("account/two-factor/verify/", views.verify, name="accounts_two_factor_verify"),
        path("account/two-factor/", views.setup, name="accounts_two_factor_setup"),
        path("account/two-factor/recovery-codes/", views.recovery_codes, name="accounts_recovery_codes"),
        path("account/two-factor/off/", views.turn_off, name="accounts_two_factor_off"),
        path("lockouts/", admin_views.lockouts, name="accounts_lockouts"),
        path("lockouts/release/", admin_views.release, name="accounts_lockout_release"),
        path("reports/sign-ins/", include((reports, "accounts_reports"), namespace="accounts_reports")),
    ]


@hooks.register("register_account_menu_item")
def two_factor_menu_item(request):
    return {
        "url": reverse("accounts_two_factor_setup"),
        "label": "Two-factor sign-in",
        "help_text": "A code from an authenticator app after your password, and recovery codes.",
    }


class PermissionMenuItem(MenuItem):
    def __init__(self, *args, permission: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.permission = permission

    def is_shown(self, request):
        return request.user.has_perm(self.permission)


@hooks.register("register_settings_menu_item")
def lockouts_menu_item():
    return PermissionMenuItem(
        "Sign-in lock-outs",
        reverse("accounts_lockouts"),
        name="signin-lockouts",
        icon_name="lock",
        order=650,
        permission=admin_views.RELEASE_PERMISSION,
    )


@hooks.register("register_reports_menu_item")
def signins_menu_item():
    return PermissionMenuItem(
        "Sign-ins",
        reverse("accounts_reports:signins"),
        name="signins",
        icon_name="key",
        order=1500,
        permission=admin_views.VIEW_AUDIT_PERMISSION,
    )
