from django.apps import AppConfig


class ConceptsConfig(AppConfig):
    name = "concepts"
    verbose_name = "Concepts"

    def ready(self):
        from .signal_handlers import register_signal_handlers

        register_signal_handlers()
