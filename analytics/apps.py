from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """Listener analytics: downloads counted by the IAB rules in the audio view (issue 15)."""

    name = "analytics"
    verbose_name = "Listener analytics"
    default_auto_field = "django.db.models.BigAutoField"
