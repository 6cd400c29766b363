from django.apps import AppConfig


class TranscriptsConfig(AppConfig):
    name = "transcripts"

    def ready(self):
        from .signal_handlers import register_signal_handlers

        register_signal_handlers()
