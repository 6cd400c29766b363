"""How long does checking an upload take, compared with merely reading it once?

Makes a 30-minute MP3 (64 kbit/s, about 14 MB) with ffmpeg, then times ``inspect_audio`` (mutagen parse,
size check, SHA-256) against a baseline that only hashes the same file, in the same run.

    .venv/bin/python bench/audio_inspect.py [--minutes 30] [--repeat 5]
"""

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "website.settings.test")

import django  # noqa: E402

django.setup()

from episodes.audioinfo import inspect_audio  # noqa: E402


def best_of(repeat, fn):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "long.mp3"
        subprocess.run(
            [
                "ffmpeg",
                "-loglevel",
                "error",
                "-f",
                "lavfi",
                "-i",
                f"sine=frequency=440:duration={args.minutes * 60}",
                "-ac",
                "1",
                "-b:a",
                "64k",
                str(path),
            ],
            check=True,
        )
        size = path.stat().st_size

        def baseline():
            with path.open("rb") as fh:
                hashlib.sha256(fh.read()).hexdigest()

        def inspect():
            with path.open("rb") as fh:
                inspect_audio(fh, size)

        base_best, base_median = best_of(args.repeat, baseline)
        insp_best, insp_median = best_of(args.repeat, inspect)

    print(f"file: {args.minutes:g} min MP3, {size / 1e6:.1f} MB")
    print(
        f"baseline (read + SHA-256):   best {base_best * 1000:7.1f} ms, median {base_median * 1000:7.1f} ms"
    )
    print(
        f"inspect_audio (full check):  best {insp_best * 1000:7.1f} ms, median {insp_median * 1000:7.1f} ms"
    )
    print(f"overhead of the check over the baseline: {insp_best / base_best:.2f}x")


if __name__ == "__main__":
    main()
