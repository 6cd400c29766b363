from django.apps import AppConfig


class EpisodesConfig(AppConfig):
    name = "episodes"
    verbose_name = "Podcasts"

    def ready(self):
        from .signal_handlers import register_signal_handlers

        register_signal_handlers()
