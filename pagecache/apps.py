from django.apps import AppConfig


class PageCacheConfig(AppConfig):
    name = "pagecache"
    verbose_name = "Page cache"

    def ready(self):
        from . import caching  # noqa: F401 (registers the page cache's deploy check)
        from .signal_handlers import register_signal_handlers

        register_signal_handlers()
