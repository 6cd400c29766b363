"""A cache of whole public pages for anonymous visitors (see caching.py). Below every domain app: an app
whose models pages show declares them with ``signal_handlers.watch``."""
