"""The delivery formats: what ffmpeg is asked to write for each kind of rendition.

Every format goes through the same two-pass loudness normalisation (``encode``); only the encoder, its
bitrate, the sample rate and the container differ, so each is described here once as an
:class:`OutputSpec` rather than as a copy of the MP3 path.

- **MP3** (the feed's ``<enclosure>``, every app plays it): LAME, constant bitrate, 44.1 kHz.
- **M4A** (AAC-LC in MP4, ``podcast:alternateEnclosure``): about the MP3's quality at three quarters of the
  bytes; Apple Podcasts and most Android apps play it. 44.1 kHz, MP4 chapters written by ``tags``.
- **Opus** (in Ogg, ``podcast:alternateEnclosure``): speech at a third of the MP3's bytes, for listeners
  on slow or metered connections. Opus always runs at 48 kHz. Vorbis-comment chapters.

Bitrates are settings in kbit/s (``DELIVERY_<FORMAT>_BITRATE_STEREO`` / ``_MONO``), read when a rendition
is made.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class OutputSpec:
    format: str  # AudioRendition.format, also the file's extension
    label: str  # what the feed's alternateEnclosure title and the admin call it
    encoder: str  # ffmpeg's encoder
    sample_rate: int
    setting: str  # DELIVERY_<setting>_BITRATE_STEREO / _MONO, in kbit/s
    muxer: tuple[str, ...]  # ffmpeg's output options: container and its flags
    # The master's codec whose stream may be copied as it is when the master is at the target already
    # (an MP3 master for the MP3, an AAC one for the M4A); None: always encoded.
    copy_codec: str | None = None
    # Whether a copied stream must also be constant-bitrate (players estimate an MP3's duration from its
    # first frames, so a variable-bitrate MP3 seeks badly).
    copy_needs_cbr: bool = False
    codecs: str = ""  # RFC 6381, for the feed

    def bitrate(self, channels: int) -> int:
        """The target bitrate in bit/s for a stereo (2) or mono (1) rendition."""
        which = "MONO" if channels == 1 else "STEREO"
        return 1000 * int(getattr(settings, f"DELIVERY_{self.setting}_BITRATE_{which}"))

    def codec_arguments(self, channels: int) -> list[str]:
        return [
            "-c:a",
            self.encoder,
            "-b:a",
            str(self.bitrate(channels)),
            "-ar",
            str(self.sample_rate),
            "-ac",
            str(channels),
        ]

    def output_arguments(self, path) -> list[str]:
        # No tags of the master (names, software, its own artwork): the rendition's are written afterwards.
        return ["-map_metadata", "-1", *self.muxer, str(path)]


MP3 = OutputSpec(
    format="mp3",
    label="MP3",
    encoder="libmp3lame",
    sample_rate=44100,
    setting="MP3",
    muxer=("-id3v2_version", "3", "-f", "mp3"),
    copy_codec="mp3",
    copy_needs_cbr=True,
    codecs="mp3",
)
M4A = OutputSpec(
    format="m4a",
    label="AAC",
    encoder="aac",
    sample_rate=44100,
    setting="AAC",
    # The moov atom first, so that a player can start before the whole file has arrived; the iPod
    # flavour of MP4 is what Apple's players expect of an .m4a.
    muxer=("-movflags", "+faststart", "-f", "ipod"),
    copy_codec="aac",
    codecs="mp4a.40.2",
)
OPUS = OutputSpec(
    format="opus",
    label="Opus",
    encoder="libopus",
    sample_rate=48000,
    setting="OPUS",
    muxer=("-f", "ogg"),
    codecs="opus",
)

SPECS = {spec.format: spec for spec in (MP3, M4A, OPUS)}
# The formats a show may add to the MP3, in the order the feed lists them.
EXTRA_FORMATS = (M4A.format, OPUS.format)


def spec_for(format: str) -> OutputSpec:
    return SPECS[format]
