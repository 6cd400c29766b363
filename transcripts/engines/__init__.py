"""Whisper engines, chosen by a setting in the manner of ``wagtail.embeds.finders``::

    TRANSCRIPTION_ENGINE = {
        "BACKEND": "transcripts.engines.faster_whisper.FasterWhisperEngine",
        "OPTIONS": {"model": "/srv/models/whisper-small.en", "beam_size": 5},
    }

``get_engine()`` builds the engine once per process and setting, so that a worker loads its model once.
"""

from __future__ import annotations

import json
import threading

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from .base import (
    BaseEngine,
    EngineError,
    SegmentResult,
    TranscriptionInfo,
    Word,
    limit_prompt,
)

__all__ = [
    "BaseEngine",
    "EngineError",
    "SegmentResult",
    "TranscriptionInfo",
    "Word",
    "get_engine",
    "limit_prompt",
    "reset_engines",
]

DEFAULT_ENGINE = {"BACKEND": "transcripts.engines.faster_whisper.FasterWhisperEngine", "OPTIONS": {}}

_engines: dict[str, BaseEngine] = {}
_lock = threading.Lock()


def _config() -> dict:
    return getattr(settings, "TRANSCRIPTION_ENGINE", None) or DEFAULT_ENGINE


def get_engine() -> BaseEngine:
    """The engine configured by ``settings.TRANSCRIPTION_ENGINE``, shared within the process.

    Building it is cheap: the model itself loads on the first transcription.
    """
    config = _config()
    key = json.dumps(config, sort_keys=True, default=str)
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            try:
                engine_class = import_string(config["BACKEND"])
            except (KeyError, ImportError) as error:
                raise ImproperlyConfigured(
                    f'TRANSCRIPTION_ENGINE["BACKEND"] must be the dotted path of an engine class: {error}'
                ) from error
            if not (isinstance(engine_class, type) and issubclass(engine_class, BaseEngine)):
                raise ImproperlyConfigured(f"{config['BACKEND']} is not a subclass of BaseEngine")
            engine = _engines[key] = engine_class(**config.get("OPTIONS", {}))
        return engine


def reset_engines() -> None:
    """Forget the built engines (and their models), e.g. after the setting changes in a test."""
    with _lock:
        _engines.clear()


@receiver(setting_changed)
def _reset_on_setting_changed(*, setting, **kwargs):
    if setting == "TRANSCRIPTION_ENGINE":
        reset_engines()
