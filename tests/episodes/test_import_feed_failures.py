"""`manage.py import_feed` when the old host lets it down: missing audio, slow or large downloads, broken
chapters, a feed that is not RSS or not there, and entities that would read local files."""

import pytest

from episodes.models import AudioFile, EpisodePage, ShowPage
from tests.episodes.feed_server import (
    GUID_1,
    GUID_2,
    counts,
    import_failing,
    import_feed,
)

pytestmark = pytest.mark.django_db


def test_a_missing_or_bad_enclosure_is_reported_and_the_rest_imported(old_host, home_page):
    bad = f"""
      <item><guid>missing</guid><title>Gone</title><pubDate>Mon, 02 Mar 2026 09:00:00 GMT</pubDate>
        <enclosure url="{old_host.root}/audio/gone.mp3" length="1000" type="audio/mpeg"/></item>
      <item><guid>web-page</guid><title>Web page</title><pubDate>Tue, 03 Mar 2026 09:00:00 GMT</pubDate>
        <enclosure url="{old_host.root}/audio/page.mp3" length="60" type="audio/mpeg"/></item>
      <item><guid>refused</guid><title>Refused connection</title>
        <enclosure url="http://127.0.0.1:9/nobody.mp3" length="60" type="audio/mpeg"/></item>
    """
    old_host.add("/audio/page.mp3", b"<!DOCTYPE html><html><body>Not found</body></html>", "audio/mpeg")

    body, content_type = old_host.routes["/feed.xml"]
    old_host.add("/feed.xml", body.replace(b"</channel>", bad.encode() + b"</channel>"), content_type)

    error, output = import_failing(old_host.url("/feed.xml"), "--publish")

    assert error.returncode == 2
    assert "3 episode(s) could not be imported" in str(error)
    assert set(EpisodePage.objects.values_list("guid", flat=True)) == {GUID_1, GUID_2}
    lines = output.splitlines()
    gone = next(line for line in lines if "[guid missing]" in line)
    assert "failed" in gone and "HTTP 404" in gone and "episode skipped" in gone
    web_page = next(line for line in lines if "[guid web-page]" in line)
    assert "failed" in web_page and "not audio" in web_page
    refused = next(line for line in lines if "[guid refused]" in line)
    assert "could not connect" in refused and "refused" in refused.lower()
    assert "Summary: 2 imported, 0 updated, 0 published, 0 unchanged, 0 skipped, 3 failed." in output
    assert AudioFile.objects.count() == 2  # nothing stored for the refused files


def test_downloads_have_a_size_limit_and_a_timeout(old_host, home_page, settings):
    settings.AUDIO_MAX_UPLOAD_BYTES = 1000
    old_host.delays["/audio/two.m4a"] = 1.0

    error, output = import_failing(old_host.url("/feed.xml"), "--timeout", "0.2")

    assert error.returncode == 2 and not EpisodePage.objects.exists()
    assert "larger than the limit of 1000" in output
    assert "did not answer within 0.2 s" in output
    assert ShowPage.objects.exists()  # the show was imported; its episodes can be retried


def test_a_broken_chapters_url_imports_the_episode_without_chapters(old_host, home_page, audio_dir):
    old_host.add("/audio/speech.mp3", (audio_dir / "speech.mp3").read_bytes(), "audio/mpeg")
    item = f"""
      <item><guid>chapterless</guid><title>Chapters broken</title>
        <enclosure url="{old_host.root}/audio/speech.mp3" type="audio/mpeg"/>
        <podcast:chapters url="{old_host.root}/chapters/gone.json" type="application/json+chapters"/></item>
    """
    body, content_type = old_host.routes["/feed.xml"]
    old_host.add("/feed.xml", body.replace(b"</channel>", item.encode() + b"</channel>"), content_type)

    output = import_feed(old_host.url("/feed.xml"))

    episode = EpisodePage.objects.get(guid="chapterless")
    assert episode.audio is not None and not episode.chapters.exists()
    assert "chapters not imported (imported without chapters)" in output and "HTTP 404" in output
    assert "3 imported" in output and "0 failed" in output

    output = import_feed(old_host.url("/feed.xml"))  # no pubDate, no chapters: still nothing changed
    assert "Nothing changed" in output and "its chapters kept as they were" in output


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(
            b"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Blog</title></head><body><p>Hi",
            "web page (HTML)",
            id="html page",
        ),
        # A feed cut short is read as far as it goes (test_import_feed_lenient.py); text that is no XML at
        # all, such as a JSON Feed, is no feed that podcast apps could read.
        pytest.param(b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', "not XML", id="json"),
        pytest.param(b"", "is empty", id="empty"),
        pytest.param(b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>', "Atom", id="atom"),
        pytest.param(b'<?xml version="1.0"?><opml version="2.0"/>', "root element is <opml>", id="not rss"),
    ],
)
def test_a_broken_feed_fails_clearly_and_creates_nothing(old_host, home_page, body, reason):
    old_host.add("/broken.xml", body, "application/rss+xml")
    before = counts()

    error, _ = import_failing(old_host.url("/broken.xml"), "--publish")

    assert error.returncode == 1
    assert "Nothing was imported" in str(error) and reason in str(error)
    assert counts() == before
    assert old_host.gets("/audio/one.mp3") == 0


def test_an_unreachable_feed_fails_clearly(old_host, home_page):
    error, _ = import_failing(old_host.url("/nowhere.xml"))
    assert error.returncode == 1 and "HTTP 404" in str(error)


@pytest.mark.parametrize(
    "doctype",
    [
        pytest.param('<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>', id="external entity"),
        pytest.param(
            '<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            '<!ENTITY xxe "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
            id="entity expansion",
        ),
    ],
)
def test_a_feed_declaring_entities_is_refused(old_host, home_page, tmp_path, doctype):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    body = old_host.routes["/feed.xml"][0].replace(
        b'<?xml version="1.0" encoding="UTF-8"?>',
        b'<?xml version="1.0" encoding="UTF-8"?>' + doctype.format(secret=secret).encode(),
    )
    # Broken as well, so that the lenient reading would run if the refusal did not come first.
    body = body.replace(b"<title>Trailer</title>", b"<title>Trailer &xxe; &nbsp;</title>")
    old_host.add("/feed.xml", body, "application/rss+xml")
    before = counts()

    error, _ = import_failing(old_host.url("/feed.xml"))

    assert error.returncode == 1
    assert "declares XML entities" in str(error) and "SECRET" not in str(error)
    assert counts() == before and old_host.gets("/audio/one.mp3") == 0
