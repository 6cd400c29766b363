from django.apps import AppConfig


class EpisodesConfig(AppConfig):
    name = "episodes"
    verbose_name = "Podcasts"

    def ready(self):
        from . import checks  # noqa: F401 (registers the system checks)
        from .signal_handlers import register_signal_handlers

        register_signal_handlers()
