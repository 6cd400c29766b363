"""Tags in the delivered file: title, show, author, date, description, artwork and chapters, written into
each rendition so that apps which read the file (Apple Podcasts, Overcast, a phone's music player, a file
someone downloaded and forgot) show what the feed shows.

- MP3: ID3v2.4, with CHAP frames (title, link, image) under one ordered top-level CTOC (the ID3 chapter
  addendum, read by Apple, Overcast, Pocket Casts and most Android apps), and Apple's podcast frames
  (PCST, TDES, TGID, WFED), which Apple Music reads when a file is added by hand.
- M4A: iTunes metadata atoms written by mutagen; chapters by ffmpeg (stream copy) from an FFMETADATA file,
  which gives both a QuickTime chapter text track (the one Apple's players read) and a Nero ``chpl`` atom
  (read by others and by mutagen). Chapter links and images are not written into M4A: ffmpeg cannot write
  them and no podcast app we know reads them there.
- Opus and Ogg Vorbis: Vorbis comments, artwork as METADATA_BLOCK_PICTURE and chapters by the Vorbis
  chapter extension (CHAPTER001=00:00:00.000, CHAPTER001NAME, CHAPTER001URL; at most 999 chapters).

Every write replaces the file's tags entirely (nothing left from the master's export) and is atomic: the
tags go into a copy beside the file, which then replaces it, so a reader never sees a half-tagged file. The
audio itself is never re-encoded.

Text is written exactly, except that control characters other than tab and newline are dropped (ID3
separates values with NUL, and no reader shows the others) and CR LF becomes LF. Only M4A's short
description (``desc``) is cut, to the 255 characters iTunes shows (the full text is in ``ldes``), and an M4A
chapter title loses a trailing backslash (ffmpeg's chapter file cannot carry one).
"""

import base64
import datetime
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import mutagen
from django.utils import timezone
from mutagen import id3
from mutagen.apev2 import delete as delete_apev2
from mutagen.flac import Picture
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, MP4Cover
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis

logger = logging.getLogger(__name__)

# In-file artwork: square, 1400 px (Apple's minimum for the feed's artwork), JPEG well under the ~500 KB
# Apple recommends for artwork in the file.
ARTWORK_FILTER = "fill-1400x1400|format-jpeg|jpegquality-85"
# A chapter's image is shown small beside the player; an episode may have dozens.
CHAPTER_IMAGE_FILTER = "max-800x800|format-jpeg|jpegquality-80"
SHORT_DESCRIPTION_CHARS = 255
MAX_VORBIS_CHAPTERS = 999
# Part of every digest: raise it when the writers change what they write, so every rendition is re-tagged.
TAGS_VERSION = 1


class TaggingError(Exception):
    """The file could not be tagged: it is not audio we tag, or a tool failed. The file is untouched."""


@dataclass
class Chapter:
    start_ms: int
    end_ms: int
    title: str
    url: str = ""
    image: bytes | None = None
    image_mime: str = ""


@dataclass
class Tags:
    title: str
    show: str = ""
    author: str = ""
    year: int | None = None
    # The full release date when known; written where a format takes one (TDRC, ©day, DATE), else the year.
    date: datetime.date | None = None
    genre: str = "Podcast"
    description: str = ""  # plain text
    artwork: bytes | None = None
    artwork_mime: str = ""
    chapters: list[Chapter] = field(default_factory=list)
    episode_number: int | None = None
    season: int | None = None  # written as the disc number, the field taggers use for a part of a series
    link: str = ""  # the episode's page
    feed_url: str = ""
    guid: str = ""
    copyright: str = ""

    @property
    def when(self) -> str:
        if self.date is not None:
            return self.date.isoformat()
        return str(self.year) if self.year else ""


def write_tags(path: str | os.PathLike, tags: Tags) -> None:
    """Replace the tags of the MP3, M4A, Opus or Ogg Vorbis file at ``path`` with ``tags``, atomically.

    Raises ``TaggingError`` (the file left as it was) for a file that is not one of those, or when
    ffmpeg fails on an M4A.
    """
    path = Path(path)
    writer = _WRITERS[_container(path)]
    with _replacing(path) as copy:
        writer(path, copy, tags)


def tags_digest(tags: Tags) -> str:
    """A stable hash of everything ``write_tags`` writes: when it changes, the rendition must be re-tagged."""

    def plain(value):
        if isinstance(value, bytes):
            return {"sha256": hashlib.sha256(value).hexdigest()}
        if isinstance(value, datetime.date):
            return value.isoformat()
        raise TypeError(f"{type(value).__name__} in Tags")

    data = json.dumps(asdict(tags), default=plain, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(f"{TAGS_VERSION}\n{data}".encode()).hexdigest()


def tags_for(page, audio) -> Tags:
    """The tags of ``page``'s (an EpisodePage) delivered file, whose audio lasts ``audio.duration_ms``.

    Artwork is the episode's, else the show's. Chapters end where the next begins, the last at the end of
    the audio; a chapter that starts at or after the end is left out.
    """
    show = page.show
    image = page.artwork or (show.artwork if show else None)
    artwork, artwork_mime = _image_bytes(image, ARTWORK_FILTER)
    duration = audio.duration_ms
    rows = [
        chapter
        for chapter in page.chapters.select_related("image").order_by("start_ms", "sort_order")
        if chapter.start_ms < duration
    ]
    chapters = []
    for number, row in enumerate(rows):
        end = rows[number + 1].start_ms if number + 1 < len(rows) else duration
        chapter_image, chapter_mime = _image_bytes(row.image, CHAPTER_IMAGE_FILTER)
        chapters.append(Chapter(row.start_ms, end, row.title, row.url, chapter_image, chapter_mime))
    published = timezone.localdate(page.publication_date) if page.publication_date else None
    return Tags(
        title=page.title,
        show=show.title if show else "",
        author=show.author if show else "",
        year=published.year if published else None,
        date=published,
        description=page.summary,
        artwork=artwork,
        artwork_mime=artwork_mime,
        chapters=chapters,
        episode_number=page.episode_number,
        season=page.season,
        link=page.get_full_url() or "",
        feed_url=show.feed_url() if show else "",
        guid=page.guid,
        copyright=show.copyright if show else "",
    )


def _image_bytes(image, spec: str) -> tuple[bytes | None, str]:
    if image is None:
        return None, ""
    try:
        rendition = image.get_rendition(spec)
        with rendition.file.open("rb") as file:
            data = file.read()
    except OSError:  # Wagtail's SourceImageIOError too
        # A lost image file must not hold back the audio; the file goes out without this picture.
        logger.warning("Image %s could not be read; tagging without it", image.pk, exc_info=True)
        return None, ""
    return data, _image_mime(data)


def _image_mime(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    return "image/jpeg"


# Reading the file


def _container(path: Path) -> str:
    try:
        audio = mutagen.File(path)
    except (mutagen.MutagenError, OSError) as error:
        raise TaggingError(f"{path.name} is not an audio file that can be tagged: {error}") from error
    for kind, cls in (("mp3", MP3), ("mp4", MP4), ("opus", OggOpus), ("vorbis", OggVorbis)):
        if isinstance(audio, cls):
            return kind
    found = type(audio).__name__ if audio is not None else "not audio"
    raise TaggingError(f"{path.name} is not an MP3, M4A, Opus or Ogg Vorbis file ({found})")


@contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A path beside ``path`` to write into; on success it replaces ``path`` (same directory, so the
    rename is atomic), on failure it is removed and ``path`` is left as it was."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    copy = Path(name)
    try:
        yield copy
        with copy.open("rb+") as file:
            os.fsync(file.fileno())
        shutil.copymode(path, copy)
        os.replace(copy, path)
    except BaseException:
        copy.unlink(missing_ok=True)
        raise


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _text(value: str) -> str:
    return _CONTROL.sub("", value.replace("\r\n", "\n"))


# MP3: ID3v2.4


def _write_mp3(source: Path, copy: Path, tags: Tags) -> None:
    shutil.copyfile(source, copy)
    utf8 = id3.Encoding.UTF8
    frames = id3.ID3()
    frames.add(id3.TIT2(encoding=utf8, text=_text(tags.title)))
    if tags.show:
        frames.add(id3.TALB(encoding=utf8, text=_text(tags.show)))
    if tags.author:
        frames.add(id3.TPE1(encoding=utf8, text=_text(tags.author)))
        frames.add(id3.TPE2(encoding=utf8, text=_text(tags.author)))
    if tags.when:
        frames.add(id3.TDRC(encoding=utf8, text=tags.when))
    if tags.genre:
        frames.add(id3.TCON(encoding=utf8, text=_text(tags.genre)))
    if tags.description:
        # COMM for every player; TDES is where Apple looks for a podcast episode's description.
        text = _text(tags.description)
        frames.add(id3.COMM(encoding=utf8, lang="XXX", desc="", text=text))
        frames.add(id3.TDES(encoding=utf8, text=text))
    if tags.episode_number:
        frames.add(id3.TRCK(encoding=utf8, text=str(tags.episode_number)))
    if tags.season:
        frames.add(id3.TPOS(encoding=utf8, text=str(tags.season)))
    if tags.copyright:
        frames.add(id3.TCOP(encoding=utf8, text=_text(tags.copyright)))
    if tags.link:
        frames.add(id3.WOAF(url=tags.link))
    if tags.feed_url:
        frames.add(id3.WFED(encoding=utf8, text=tags.feed_url))
    if tags.guid:
        frames.add(id3.TGID(encoding=utf8, text=_text(tags.guid)))
    # Apple's podcast flag: a file added to Apple Music by hand is filed as a podcast episode.
    frames.add(id3.PCST(value=1))
    if tags.artwork:
        frames.add(_apic(tags.artwork, tags.artwork_mime, "Cover"))
    ids = []
    for number, chapter in enumerate(tags.chapters):
        ids.append(f"chp{number}")
        sub_frames = [id3.TIT2(encoding=utf8, text=_text(chapter.title))]
        if chapter.url:
            sub_frames.append(id3.WXXX(encoding=utf8, desc="", url=chapter.url))
        if chapter.image:
            sub_frames.append(_apic(chapter.image, chapter.image_mime, ""))
        frames.add(
            id3.CHAP(
                element_id=ids[-1],
                start_time=chapter.start_ms,
                end_time=max(chapter.end_ms, chapter.start_ms),
                sub_frames=sub_frames,
            )
        )
    if ids:
        frames.add(
            id3.CTOC(
                element_id="toc",
                flags=id3.CTOCFlags.TOP_LEVEL | id3.CTOCFlags.ORDERED,
                child_element_ids=ids,
                sub_frames=[],
            )
        )
    # Whatever the master's export left (ID3v1 at the end, APEv2) goes; the new ID3v2 replaces the old.
    delete_apev2(copy)
    frames.save(copy, v1=id3.ID3v1SaveOptions.REMOVE, v2_version=4)


def _apic(data: bytes, mime: str, desc: str) -> id3.APIC:
    return id3.APIC(
        encoding=id3.Encoding.UTF8,
        mime=mime or _image_mime(data),
        type=id3.PictureType.COVER_FRONT,
        desc=desc,
        data=data,
    )


# M4A: chapters by ffmpeg, then iTunes atoms by mutagen


def _write_mp4(source: Path, copy: Path, tags: Tags) -> None:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise TaggingError("ffmpeg is not installed; it writes the chapters of M4A files")
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt") as metadata:
        metadata.write(_ffmetadata(tags.chapters))
        metadata.flush()
        command = [ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-i", str(source)]
        command += ["-f", "ffmetadata", "-i", metadata.name, "-map", "0:a"]
        # The metadata file's (empty) global section replaces the master's tags; chapters come from it too.
        # Dropping metadata with -map_metadata -1 would also drop the chapter titles.
        command += ["-map_metadata", "1", "-map_chapters", "1" if tags.chapters else "-1"]
        command += ["-c", "copy", "-movflags", "+faststart", "-f", "ipod", str(copy)]
        result = subprocess.run(command, capture_output=True, text=True)  # noqa: S603 (fixed tool, our paths)
    if result.returncode != 0:
        raise TaggingError(f"ffmpeg could not copy {source.name}: {result.stderr.strip()[-500:]}")
    mp4 = MP4(copy)
    if mp4.tags is None:
        mp4.add_tags()
    mp4.tags.clear()
    values = {
        "\xa9nam": tags.title,
        "\xa9alb": tags.show,
        "\xa9ART": tags.author,
        "aART": tags.author,
        "\xa9day": tags.when,
        "\xa9gen": tags.genre,
        "desc": tags.description[:SHORT_DESCRIPTION_CHARS],
        "ldes": tags.description,
        "cprt": tags.copyright,
        "purl": tags.feed_url,
        "egid": tags.guid,
    }
    for key, value in values.items():
        if value:
            mp4.tags[key] = [_text(value)]
    if tags.episode_number:
        mp4.tags["trkn"] = [(tags.episode_number, 0)]
    if tags.season:
        mp4.tags["disk"] = [(tags.season, 0)]
    mp4.tags["pcst"] = True
    if tags.artwork:
        kind = MP4Cover.FORMAT_PNG if tags.artwork_mime == "image/png" else MP4Cover.FORMAT_JPEG
        mp4.tags["covr"] = [MP4Cover(tags.artwork, imageformat=kind)]
    mp4.save()


def _ffmetadata(chapters: list[Chapter]) -> str:
    lines = [";FFMETADATA1"]
    for chapter in chapters:
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={chapter.start_ms}"]
        lines += [f"END={max(chapter.end_ms, chapter.start_ms)}", f"title={_ffescape(chapter.title)}"]
    return "\n".join(lines) + "\n"


def _ffescape(value: str) -> str:
    # ffmpeg's reader takes a backslash before the line's end as a continuation even when that backslash
    # is itself escaped, so a trailing backslash cannot be written: it is dropped.
    return re.sub(r"([=;#\\\n])", r"\\\1", _text(value).rstrip("\\"))


# Opus and Ogg Vorbis: Vorbis comments


def _write_vorbis_comments(source: Path, copy: Path, tags: Tags) -> None:
    shutil.copyfile(source, copy)
    audio = mutagen.File(copy)
    audio.tags.clear()
    values = {
        "TITLE": tags.title,
        "ALBUM": tags.show,
        "ARTIST": tags.author,
        "ALBUMARTIST": tags.author,
        "DATE": tags.when,
        "GENRE": tags.genre,
        "DESCRIPTION": tags.description,
        "COPYRIGHT": tags.copyright,
        "TRACKNUMBER": str(tags.episode_number or ""),
        "DISCNUMBER": str(tags.season or ""),
    }
    for key, value in values.items():
        if value:
            audio.tags[key] = [_text(value)]
    if tags.artwork:
        picture = Picture()
        picture.type = id3.PictureType.COVER_FRONT
        picture.mime = tags.artwork_mime or _image_mime(tags.artwork)
        picture.data = tags.artwork
        audio.tags["METADATA_BLOCK_PICTURE"] = [base64.b64encode(picture.write()).decode("ascii")]
    for number, chapter in enumerate(tags.chapters[:MAX_VORBIS_CHAPTERS], start=1):
        key = f"CHAPTER{number:03d}"
        audio.tags[key] = [_clock(chapter.start_ms)]
        audio.tags[f"{key}NAME"] = [_text(chapter.title)]
        if chapter.url:
            audio.tags[f"{key}URL"] = [chapter.url]
    audio.save()


def _clock(ms: int) -> str:
    seconds, ms = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{ms:03d}"


_WRITERS = {
    "mp3": _write_mp3,
    "mp4": _write_mp4,
    "opus": _write_vorbis_comments,
    "vorbis": _write_vorbis_comments,
}
