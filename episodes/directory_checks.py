"""What Apple Podcasts (and directories that follow its rules) would reject, said before they do.

Apple refuses a show whose artwork is not a square JPEG or PNG of 1400 to 3000 pixels in RGB, that lacks a
category or an owner email, and flags episode titles that carry episode or season numbers (they belong in
the itunes:episode and itunes:season tags). The show's edit view lists these problems, and saving shows them
as warnings; nothing is blocked, since an editor may be halfway through.

Apple also refuses enclosures other than MP3 and M4A (AAC), and recommends 64 to 128 kbit/s: outside 48 to
192 kbit/s a file either sounds poor or costs listeners on mobile data for nothing. These are checked on the
file the feed offers: the ready delivery rendition when there is one, else the audio an editor uploaded.

Loudness: Apple asks for -16 LKFS with a true peak of at most -1 dBFS, and listeners notice a show that is
much quieter or louder than the one before. A rendition is checked against the delivery targets
(``DELIVERY_LOUDNESS_STEREO`` / ``_MONO``, ``DELIVERY_TRUE_PEAK``); a master offered as it is (delivery off,
or its rendition not ready) only when its loudness is known, i.e. measured by an earlier run of the
delivery. The tolerance is 1 LU, EBU R128's for programmes that cannot be normalised exactly and the one
within which the encoder copies a master unchanged: so a master the encoder would leave alone is never
flagged, and one it would have to correct always is.
"""

from __future__ import annotations

import re

from PIL import Image as PILImage

from .audioinfo import FORMATS
from .delivery.encode import LOUDNESS_TOLERANCE_LU, Targets

MASTER, RENDITION = "The audio", "The file for listeners"
MASTER_REMEDY = (
    "Export it again normalised to the target (loudness normalisation, EBU R128, in most audio editors) "
    "with a true-peak limiter, or ask the site's operators to turn on audio delivery."
)
RENDITION_REMEDY = "Use Try again on the episode's delivery panel; if it stays, tell the site's operators."
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
    """What Apple would refuse in the file the feed offers for an episode: its format, bitrate and loudness.
    That file is the audio's ready delivery rendition when there is one (the feed's own rule,
    ``renditions.enclosures``), else the master as it was uploaded."""
    if audio is None:
        return []
    rendition = _enclosure_rendition(audio)
    if rendition is not None:
        problems = _format_problems(rendition.extension, rendition.bitrate or 0)
        measured = rendition.loudness_after, rendition.true_peak_after
        return problems + loudness_problems(*measured, rendition.channels, RENDITION, RENDITION_REMEDY)
    problems = _format_problems(audio.extension, audio.bitrate)
    measured = _master_loudness(audio)
    if measured is not None:
        problems += loudness_problems(*measured, audio.channels, MASTER, MASTER_REMEDY)
    return problems


def loudness_problems(
    integrated: float | None, true_peak: float | None, channels: int | None, what: str, remedy: str
) -> list[str]:
    """Loudness more than 1 LU from the delivery target, or a true peak above its ceiling; nothing when
    the loudness is not known."""
    if integrated is None:
        return []
    targets = Targets.for_channels(channels or 2)
    kind = "mono" if channels == 1 else "stereo"
    problems = []
    if abs(integrated - targets.integrated) > LOUDNESS_TOLERANCE_LU:
        effect = "quieter" if integrated < targets.integrated else "louder"
        problems.append(
            f"{what} measures {integrated:.1f} LUFS; podcast apps expect {targets.integrated:g} LUFS for "
            f"{kind} (within {LOUDNESS_TOLERANCE_LU:g} LU), so it will sound {effect} than other shows. "
            + remedy
        )
    if true_peak is not None and true_peak > targets.true_peak:
        problems.append(
            f"{what} peaks at {true_peak:.1f} dBTP, above the {targets.true_peak:g} dBTP podcast apps "
            "allow: it may distort once their players decode it. " + remedy
        )
    return problems


def _format_problems(extension: str, bitrate: int) -> list[str]:
    if extension not in APPLE_AUDIO_EXTENSIONS:
        label = next((f.label for f in FORMATS.values() if f.extension == extension), extension)
        return [
            f"Apple Podcasts does not accept {label} enclosures; the feed must offer this episode as MP3 or "
            "M4A (AAC). Upload an MP3 or M4A export of the audio, or have an MP3 rendition made for it."
        ]
    kbit = round(bitrate / 1000)
    if bitrate < BITRATE_MIN:
        return [
            f"The audio's bitrate is {kbit} kbit/s; below {BITRATE_MIN // 1000} kbit/s speech sounds poor "
            "(Apple recommends 64 kbit/s for mono, 128 kbit/s for stereo)."
        ]
    if bitrate > BITRATE_MAX:
        return [
            f"The audio's bitrate is {kbit} kbit/s; above {BITRATE_MAX // 1000} kbit/s listeners download "
            "more than they can hear (Apple recommends 64 kbit/s for mono, 128 kbit/s for stereo)."
        ]
    return []


def _enclosure_rendition(audio):
    if audio.pk is None:
        return None
    from .models.renditions import AudioRendition, enclosures

    row = enclosures([audio.pk]).get(audio.pk)
    if row is None:
        return None
    return AudioRendition.objects.ready().filter(audio_id=audio.pk, sha256=row["sha256"]).first()


def _master_loudness(audio) -> tuple[float, float | None] | None:
    """The master's loudness and true peak as the delivery measured them (its first pass), if it has."""
    if audio.pk is None:
        return None
    from .models.renditions import AudioRendition

    return (
        AudioRendition.objects.filter(
            audio_id=audio.pk,
            master_sha256=audio.sha256,
            status=AudioRendition.DONE,
            loudness_before__isnull=False,
        )
        .order_by("-finished_at")
        .values_list("loudness_before", "true_peak_before")
        .first()
    )


def episode_problems(episode) -> list[str]:
    problems = artwork_problems(episode.artwork, "The episode's artwork")
    problems += enclosure_problems(episode.audio)
    if title_has_episode_number(episode.title):
        problems.append(
            "The title contains an episode or season number; Apple asks for it in the Season and Episode "
            "number fields instead."
        )
    return problems
