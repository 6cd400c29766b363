"""A faster-whisper engine that stops at a chosen point of the first file its worker transcribes and waits
there until the test lets it go on, so that a test can act on a worker in the middle of a file (kill it,
send it SIGTERM, queue more work) whatever the speed of the machine or of the engine.

The worker runs with ``tests.reliability.paused_worker_settings``, which reads the folder and the point
from the environment (see ``Pause`` in conftest.py). On reaching the point the engine writes
``reached-<pid>`` into the folder, then waits for the file ``go``."""

from __future__ import annotations

import os
import time
from pathlib import Path

from transcripts.engines.faster_whisper import FasterWhisperEngine

WAIT_SECONDS = 600  # a worker the test forgot goes on in the end (the cluster kills it long before)


class PausingEngine(FasterWhisperEngine):
    """``at="progress"``: after the first progress report strictly between 0 and 1 has been passed on
    (the transcript's progress is written then: the first report of a run always is), i.e. part-way
    through the file. ``at="start"``: before the engine reads the file."""

    def __init__(self, *, folder: str, at: str, **options):
        if at not in ("progress", "start"):
            raise ValueError(f"at must be 'progress' or 'start', not {at!r}")
        super().__init__(**options)
        self.folder, self.at = Path(folder), at
        self.paused = False

    def pause(self) -> None:
        if self.paused:  # once per process: its first file
            return
        self.paused = True
        (self.folder / f"reached-{os.getpid()}").touch()
        deadline = time.monotonic() + WAIT_SECONDS
        while not (self.folder / "go").exists() and time.monotonic() < deadline:
            time.sleep(0.02)  # a signal's handler runs meanwhile, as it would during transcription

    def transcribe(self, path, *, prompt="", language=None, language_hint=None, progress=None):
        if self.at == "start":
            self.pause()
            return super().transcribe(
                path, prompt=prompt, language=language, language_hint=language_hint, progress=progress
            )

        def report(fraction: float) -> None:
            if progress is not None:
                progress(fraction)
            if 0 < fraction < 1:
                self.pause()

        return super().transcribe(
            path, prompt=prompt, language=language, language_hint=language_hint, progress=report
        )
