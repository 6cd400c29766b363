from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Sign-in that holds: throttled guessing (django-axes), two-factor (django-otp), idle expiry, the
    audit of sign-ins. Infrastructure: it imports Django, Wagtail and those libraries, no app of ours."""

    name = "accounts"
    verbose_name = "Sign-in"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import signal_handlers  # noqa: F401
