"""What Apple Podcasts (and directories that follow its rules) would reject, said before they do.

Apple refuses a show whose artwork is not a square JPEG or PNG of 1400 to 3000 pixels in RGB, that lacks a
category or an owner email, and flags episode titles that carry episode or season numbers (they belong in
the itunes:episode and itunes:season tags). The show's edit view lists these problems, and saving shows them
as warnings; nothing is blocked, since an editor may be halfway through.

Apple also refuses enclosures other than MP3 and M4A (AAC), and recommends 64 to 128 kbit/s: outside 48 to
192 kbit/s a file either sounds poor or costs listeners on mobile data for nothing. These are checked on the
file the feed offers; until delivery renditions are made, that is the audio an editor uploaded.
"""

from __future__ import annotations

import re

from PIL import Image as PILImage

from .audioinfo import FORMATS

ARTWORK_MIN, ARTWORK_MAX = 1400, 3000
ARTWORK_FORMATS = {"JPEG", "PNG"}
APPLE_AUDIO_EXTENSIONS = {"mp3", "m4a"}
BITRATE_MIN, BITRATE_MAX = 48_000, 192_000  # bit/s
_NUMBER_IN_TITLE = re.compile(
    r"^\s*(?:(?:episode|ep\.?|season|s)\s*\d+|#\s*\d+|\d+\s*[:.\-–—|])|\b(?:episode|ep\.?)\s*\d+\b",
    re.IGNORECASE,
)


def artwork_problems(image, what: str = "Artwork") -> list[str]:
    if image is None:
        return []
    problems = []
    width, height = image.width, image.height
    if width != height:
        problems.append(f"{what} is {width}×{height} pixels; Apple requires a square image.")
    if not (ARTWORK_MIN <= width <= ARTWORK_MAX and ARTWORK_MIN <= height <= ARTWORK_MAX):
        problems.append(
            f"{what} is {width}×{height} pixels; Apple requires {ARTWORK_MIN} to {ARTWORK_MAX} pixels "
            "on each side."
        )
    try:
        with image.open_file() as fh, PILImage.open(fh) as opened:
            image_format, mode = opened.format, opened.mode
    except (OSError, ValueError):
        return [*problems, f"{what} cannot be read as an image; upload it again."]
    if image_format not in ARTWORK_FORMATS:
        problems.append(f"{what} is {image_format}; Apple accepts JPEG or PNG only.")
    if mode not in ("RGB", "P", "L") or (image_format == "PNG" and mode not in ("RGB", "P")):
        problems.append(f"{what} uses the {mode} colour mode; Apple requires RGB.")
    return problems


def title_has_episode_number(title: str) -> bool:
    return bool(_NUMBER_IN_TITLE.search(title or ""))


def show_problems(show) -> list[str]:
    """Problems with the show itself and with its episodes' titles."""
    problems = []
    if show.artwork is None:
        problems.append("The show has no artwork; Apple requires it.")
    problems += artwork_problems(show.artwork, "The show's artwork")
    if show.pk is None or not show.categories.exists():
        problems.append("The show has no category; Apple requires at least one.")
    if not show.owner_email:
        problems.append("The show has no owner email; Apple requires one to verify ownership.")
    if show.pk is not None:
        from .models import EpisodePage

        for title in EpisodePage.objects.child_of(show).values_list("title", flat=True):
            if title_has_episode_number(title):
                problems.append(
                    f"The episode title “{title}” contains an episode or season number; Apple asks for "
                    "the number in the episode's Season and Episode number fields instead."
                )
    return problems


def enclosure_problems(audio) -> list[str]:
    """What Apple would refuse in the file the feed offers for an episode (its format and bitrate)."""
    if audio is None:
        return []
    if audio.extension not in APPLE_AUDIO_EXTENSIONS:
        label = next((f.label for f in FORMATS.values() if f.extension == audio.extension), audio.extension)
        return [
            f"Apple Podcasts does not accept {label} enclosures; the feed must offer this episode as MP3 or "
            "M4A (AAC). Upload an MP3 or M4A export of the audio, or have an MP3 rendition made for it."
        ]
    kbit = round(audio.bitrate / 1000)
    if audio.bitrate < BITRATE_MIN:
        return [
            f"The audio's bitrate is {kbit} kbit/s; below {BITRATE_MIN // 1000} kbit/s speech sounds poor "
            "(Apple recommends 64 kbit/s for mono, 128 kbit/s for stereo)."
        ]
    if audio.bitrate > BITRATE_MAX:
        return [
            f"The audio's bitrate is {kbit} kbit/s; above {BITRATE_MAX // 1000} kbit/s listeners download "
            "more than they can hear (Apple recommends 64 kbit/s for mono, 128 kbit/s for stereo)."
        ]
    return []


def episode_problems(episode) -> list[str]:
    problems = artwork_problems(episode.artwork, "The episode's artwork")
    problems += enclosure_problems(episode.audio)
    if title_has_episode_number(episode.title):
        problems.append(
            "The title contains an episode or season number; Apple asks for it in the Season and Episode "
            "number fields instead."
        )
    return problems
