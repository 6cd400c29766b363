"""Tags written into delivered files (MP3, M4A, Opus), read back by other readers than the writer's own
code path: mutagen for ID3 and Vorbis comments, ffprobe for M4A chapters and tags."""

import base64
import hashlib
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from mutagen import id3
from mutagen.flac import Picture
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus
from PIL import Image

from episodes.delivery.tags import SHORT_DESCRIPTION_CHARS, Chapter, TaggingError, Tags, write_tags

HOSTILE_TITLE = "He said \"yes\" & 'no'\nline two </title><script>alert(1)</script> 🎙️ café"


def picture(color: str, fmt: str = "JPEG", size: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buffer, fmt)
    return buffer.getvalue()


COVER = picture("navy")
CHAPTER_IMAGE = picture("orange", "PNG")


def full_tags(**changes) -> Tags:
    values = {
        "title": "Deciding together",
        "show": "The Power of Coproduction",
        "author": "Coproduction Collective",
        "year": 2024,
        "description": "Two people talk about deciding together.",
        "artwork": COVER,
        "artwork_mime": "image/jpeg",
        "chapters": [
            Chapter(0, 1000, "Welcome"),
            Chapter(
                1000,
                2000,
                "Shared decisions",
                url="https://example.org/shared",
                image=CHAPTER_IMAGE,
                image_mime="image/png",
            ),
            Chapter(2000, 3000, "Goodbye"),
        ],
        "episode_number": 4,
        "season": 2,
        "link": "https://example.org/show/deciding-together/",
        "feed_url": "https://example.org/feeds/1.xml",
        "guid": "0b9f5f5e-episode",
    }
    return Tags(**(values | changes))


@pytest.fixture
def audio_file(audio_dir, tmp_path, request):
    """A copy of the session's 3-second tone in the format named by the test's parameter."""
    copy = tmp_path / f"episode.{request.param}"
    shutil.copyfile(audio_dir / f"tone.{request.param}", copy)
    return copy


def ffprobe(path: Path) -> dict:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_chapters", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        check=True,
        text=True,
    )
    return json.loads(result.stdout)


def pcm_digest(path: Path) -> str:
    """The decoded audio, whatever the container says around it."""
    result = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a", "-f", "s16le", "-"],
        capture_output=True,
        check=True,
    )
    assert result.stdout
    return hashlib.sha256(result.stdout).hexdigest()


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("audio_file", ["mp3"], indirect=True)
def test_mp3_gets_id3v24_with_chapters_under_an_ordered_toc(audio_file):
    write_tags(audio_file, full_tags())

    tags = id3.ID3(audio_file)
    assert tags.version == (2, 4, 0)
    assert tags["TIT2"].text == ["Deciding together"]
    assert tags["TALB"].text == ["The Power of Coproduction"]
    assert tags["TPE1"].text == ["Coproduction Collective"]
    assert str(tags["TDRC"].text[0]) == "2024"
    assert tags["TCON"].text == ["Podcast"]
    assert tags.getall("COMM")[0].text == ["Two people talk about deciding together."]
    assert tags["TDES"].text == ["Two people talk about deciding together."]
    assert tags["TRCK"].text == ["4"]
    assert tags["WOAF"].url == "https://example.org/show/deciding-together/"
    assert tags["PCST"].value == 1
    [cover] = tags.getall("APIC")
    assert (cover.data, cover.mime, cover.type) == (COVER, "image/jpeg", id3.PictureType.COVER_FRONT)

    [toc] = tags.getall("CTOC")
    assert toc.flags & id3.CTOCFlags.TOP_LEVEL and toc.flags & id3.CTOCFlags.ORDERED
    chapters = {frame.element_id: frame for frame in tags.getall("CHAP")}
    assert list(toc.child_element_ids) == sorted(chapters, key=lambda key: chapters[key].start_time)
    ordered = [chapters[key] for key in toc.child_element_ids]
    assert [(c.start_time, c.end_time, c.sub_frames["TIT2"].text[0]) for c in ordered] == [
        (0, 1000, "Welcome"),
        (1000, 2000, "Shared decisions"),
        (2000, 3000, "Goodbye"),
    ]
    assert ordered[1].sub_frames.getall("WXXX")[0].url == "https://example.org/shared"
    [image] = ordered[1].sub_frames.getall("APIC")
    assert (image.data, image.mime) == (CHAPTER_IMAGE, "image/png")
    assert not ordered[0].sub_frames.getall("WXXX") and not ordered[0].sub_frames.getall("APIC")


@pytest.mark.parametrize("audio_file", ["m4a"], indirect=True)
def test_m4a_gets_itunes_tags_and_chapters(audio_file):
    write_tags(audio_file, full_tags())

    probed = ffprobe(audio_file)
    tags = probed["format"]["tags"]
    assert tags["major_brand"].strip() == "M4A"
    assert (tags["title"], tags["album"], tags["artist"]) == (
        "Deciding together",
        "The Power of Coproduction",
        "Coproduction Collective",
    )
    assert (tags["date"], tags["genre"], tags["track"]) == ("2024", "Podcast", "4")
    assert tags["description"] == tags["synopsis"] == "Two people talk about deciding together."
    assert chapter_list(probed) == [
        (0, 1000, "Welcome"),
        (1000, 2000, "Shared decisions"),
        (2000, 3000, "Goodbye"),
    ]
    mp4 = MP4(audio_file)
    assert bytes(mp4.tags["covr"][0]) == COVER
    assert mp4.tags["covr"][0].imageformat == mp4.tags["covr"][0].FORMAT_JPEG
    assert mp4.tags["pcst"] is True
    # The Nero chpl atom, which mutagen reads:
    assert [(round(c.start * 1000), c.title) for c in mp4.chapters] == [
        (0, "Welcome"),
        (1000, "Shared decisions"),
        (2000, "Goodbye"),
    ]


@pytest.mark.parametrize("audio_file", ["m4a"], indirect=True)
def test_m4a_chapters_are_in_the_quicktime_chapter_track_apple_reads(audio_file, tmp_path):
    write_tags(audio_file, full_tags())

    # Hide the Nero chpl atom (same size, so every offset stays right): ffprobe must then find the chapters
    # in the QuickTime text track that the audio track's tref/chap points at, which Apple's players read.
    data = audio_file.read_bytes()
    assert data.count(b"chpl") == 1
    quicktime_only = tmp_path / "quicktime-only.m4a"
    quicktime_only.write_bytes(data.replace(b"chpl", b"free"))
    assert chapter_list(ffprobe(quicktime_only)) == [
        (0, 1000, "Welcome"),
        (1000, 2000, "Shared decisions"),
        (2000, 3000, "Goodbye"),
    ]


def chapter_list(probed: dict) -> list[tuple[int, int, str]]:
    return [
        (round(float(c["start_time"]) * 1000), round(float(c["end_time"]) * 1000), c["tags"]["title"])
        for c in probed["chapters"]
    ]


@pytest.mark.parametrize("audio_file", ["opus"], indirect=True)
def test_opus_gets_vorbis_comments_picture_and_chapters(audio_file):
    write_tags(audio_file, full_tags())

    tags = OggOpus(audio_file).tags
    assert tags["TITLE"] == ["Deciding together"]
    assert tags["ALBUM"] == ["The Power of Coproduction"]
    assert tags["ARTIST"] == ["Coproduction Collective"]
    assert (tags["DATE"], tags["GENRE"]) == (["2024"], ["Podcast"])
    assert tags["DESCRIPTION"] == ["Two people talk about deciding together."]
    cover = Picture(base64.b64decode(tags["METADATA_BLOCK_PICTURE"][0]))
    assert (cover.data, cover.mime, cover.type) == (COVER, "image/jpeg", 3)
    assert (tags["CHAPTER001"], tags["CHAPTER001NAME"]) == (["00:00:00.000"], ["Welcome"])
    assert (tags["CHAPTER002"], tags["CHAPTER002NAME"]) == (["00:00:01.000"], ["Shared decisions"])
    assert tags["CHAPTER002URL"] == ["https://example.org/shared"]
    assert (tags["CHAPTER003"], tags["CHAPTER003NAME"]) == (["00:00:02.000"], ["Goodbye"])
    # ffmpeg reads the same comments as chapters.
    assert [title for *_, title in chapter_list(ffprobe(audio_file))] == [
        "Welcome",
        "Shared decisions",
        "Goodbye",
    ]


@pytest.mark.parametrize("audio_file", ["mp3", "m4a", "opus", "ogg"], indirect=True)
def test_tagging_leaves_the_audio_alone(audio_file):
    before = pcm_digest(audio_file)
    write_tags(audio_file, full_tags())
    write_tags(audio_file, full_tags(title="Again", chapters=[]))
    assert pcm_digest(audio_file) == before
    assert leftovers(audio_file.parent) == []


def read_back(path: Path) -> dict:
    """Title, description and chapter titles, read by a reader of each format."""
    if path.suffix == ".mp3":
        tags = id3.ID3(path)
        chapters = [tags[f"CHAP:{key}"] for key in tags.getall("CTOC")[0].child_element_ids]
        return {
            "title": tags["TIT2"].text[0],
            "description": tags.getall("COMM")[0].text[0],
            "chapters": [chapter.sub_frames["TIT2"].text[0] for chapter in chapters],
        }
    if path.suffix == ".m4a":
        probed = ffprobe(path)
        return {
            "title": probed["format"]["tags"]["title"],
            "description": MP4(path).tags["ldes"][0],
            "short": probed["format"]["tags"]["description"],
            "chapters": [title for *_, title in chapter_list(probed)],
        }
    tags = OggOpus(path).tags
    return {
        "title": tags["TITLE"][0],
        "description": tags["DESCRIPTION"][0],
        "chapters": [tags[f"CHAPTER{n:03d}NAME"][0] for n in (1, 2)],
    }


@pytest.mark.parametrize("audio_file", ["mp3", "m4a", "opus"], indirect=True)
def test_hostile_text_round_trips(audio_file):
    description = ("Ünïcode & <b>markup</b>\n" * 250)[:5000]
    chapter_title = 'A = B; #1 \\ "quoted"\nsecond line ✨'
    write_tags(
        audio_file,
        full_tags(
            title=HOSTILE_TITLE,
            description=description,
            chapters=[Chapter(0, 1500, chapter_title), Chapter(1500, 3000, "</title><script>x</script>")],
        ),
    )
    found = read_back(audio_file)
    assert found["title"] == HOSTILE_TITLE
    assert found["description"] == description
    assert found["chapters"] == [chapter_title, "</title><script>x</script>"]
    if audio_file.suffix == ".m4a":
        # iTunes shows at most 255 characters of desc; the whole text is in ldes.
        assert found["short"] == description[:SHORT_DESCRIPTION_CHARS]


@pytest.mark.parametrize("audio_file", ["mp3", "m4a", "opus"], indirect=True)
def test_control_characters_are_dropped_and_crlf_becomes_lf(audio_file):
    write_tags(audio_file, full_tags(title="One\x00Two\x07\r\nThree\tFour"))
    assert read_back(audio_file)["title"] == "OneTwo\nThree\tFour"


@pytest.mark.parametrize("audio_file", ["m4a"], indirect=True)
def test_m4a_chapter_title_loses_only_a_trailing_backslash(audio_file):
    write_tags(
        audio_file, full_tags(chapters=[Chapter(0, 1500, "ends with \\"), Chapter(1500, 3000, "next")])
    )
    assert read_back(audio_file)["chapters"] == ["ends with ", "next"]


@pytest.mark.parametrize("audio_file", ["mp3", "m4a", "opus"], indirect=True)
def test_tagging_again_replaces_everything(audio_file):
    write_tags(audio_file, full_tags())
    write_tags(audio_file, Tags(title="Only a title"))

    if audio_file.suffix == ".mp3":
        tags = id3.ID3(audio_file)
        assert tags["TIT2"].text == ["Only a title"]
        assert not tags.getall("CHAP") and not tags.getall("CTOC") and not tags.getall("APIC")
        assert "TALB" not in tags
    elif audio_file.suffix == ".m4a":
        probed = ffprobe(audio_file)
        assert probed["chapters"] == []
        assert probed["format"]["nb_streams"] == 1  # no chapter track, no cover
        assert "covr" not in MP4(audio_file).tags
    else:
        tags = OggOpus(audio_file).tags
        assert sorted(key.upper() for key, _ in tags) == ["GENRE", "TITLE"]


@pytest.mark.parametrize("audio_file", ["mp3"], indirect=True)
def test_what_the_master_carried_is_removed(audio_file):
    before = id3.ID3()
    before.add(id3.TXXX(encoding=3, desc="Software", text="Studio export"))
    before.save(audio_file, v1=id3.ID3v1SaveOptions.CREATE, v2_version=3)
    assert audio_file.read_bytes()[-128:].startswith(b"TAG")

    write_tags(audio_file, full_tags())
    assert not id3.ID3(audio_file).getall("TXXX")
    assert not audio_file.read_bytes()[-128:].startswith(b"TAG")  # no ID3v1 at the end


@pytest.mark.parametrize(
    "name, content",
    [
        ("notes.mp3", b"Just some text, not audio.\n" * 40),
        ("picture.m4a", picture("red", "PNG")),
        ("empty.opus", b""),
        ("episode.wav", b"RIFF\x24\x00\x00\x00WAVEfmt "),
    ],
)
def test_a_file_that_is_not_audio_raises_and_is_left_alone(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(TaggingError, match=name):
        write_tags(path, full_tags())
    assert path.read_bytes() == content
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("audio_file", ["mp3", "m4a"], indirect=True)
def test_a_failure_while_writing_leaves_the_file_as_it_was(audio_file, monkeypatch):
    original = audio_file.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr("mutagen.id3.ID3.save", fail)
    monkeypatch.setattr("mutagen.mp4.MP4.save", fail)
    with pytest.raises(OSError, match="No space"):
        write_tags(audio_file, full_tags())
    assert audio_file.read_bytes() == original
    assert leftovers(audio_file.parent) == []
