"""The production settings, with the engine of ``tests.reliability.pausing``: for the reliability tests'
workers that must stop at a known point of a file (``Pause`` in conftest.py)."""

import os

from website.settings.production import *  # noqa: F403

TRANSCRIPTION_ENGINE = {
    "BACKEND": "tests.reliability.pausing.PausingEngine",
    "OPTIONS": {"folder": os.environ["PAUSE_FOLDER"], "at": os.environ["PAUSE_AT"]},
}
