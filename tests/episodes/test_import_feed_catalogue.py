"""`manage.py import_feed` on a large back catalogue, and syncing from the old feed (issue 19): a thousand
items import with flat memory and a progress bar, enclosures download a few at a time, a run that failed
part-way resumes without creating anything twice, and a sync picks up a new item and nothing else. Every
download is from the local test server."""

import io
import tracemalloc

import pytest
from django.core.management import call_command

from episodes import importing
from episodes.importing.sync import sync_shows
from episodes.models import AudioFile, EpisodePage, ShowPage
from tests.episodes.feed_server import counts, import_failing, import_feed

pytestmark = pytest.mark.django_db

CHANNEL = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>The Long Archive</title><description>Twenty years of ward rounds.</description>
<itunes:owner><itunes:name>Jo</itunes:name><itunes:email>jo@example.org</itunes:email></itunes:owner>
{items}
</channel></rss>"""
WITH_AUDIO = """<item><guid>archive-{n}</guid><title>Round {n}</title><pubDate>{date}</pubDate>
<enclosure url="{root}/audio/{n}.{ext}" length="{length}" type="audio/mpeg"/></item>"""
# Items the old host lists without audio (notes, announcements): parsed and reported, nothing to store.
WITHOUT_AUDIO = """<item><guid>archive-{n}</guid><title>Notice {n}</title><pubDate>{date}</pubDate>
<description>An announcement, {n} of many, without audio.</description></item>"""
AUDIO_FILES = ("tone.mp3", "tone.m4a", "tone.ogg", "tone.flac", "tone.wav")


def date(n: int) -> str:
    """Oldest first by number: item n aired on day n after 1 January 2000."""
    return f"{1 + n % 28:02d} Jan {2000 + n // 28} 09:00:00 GMT"


def catalogue(server, audio_dir, total: int, *, with_audio: int, extra: str = "") -> str:
    """A feed of ``total`` items, the first ``with_audio`` of them with (distinct) tiny enclosures."""
    items = []
    for n in range(total):
        if n < with_audio:
            name = AUDIO_FILES[n % len(AUDIO_FILES)]
            data = (audio_dir / name).read_bytes()
            ext = name.rsplit(".", 1)[1]
            server.add(f"/audio/{n}.{ext}", data, "audio/mpeg")
            items.append(WITH_AUDIO.format(n=n, date=date(n), root=server.root, ext=ext, length=len(data)))
        else:
            items.append(WITHOUT_AUDIO.format(n=n, date=date(n)))
    body = CHANNEL.format(items="".join(items) + extra).encode()
    server.add("/feed.xml", body, "application/rss+xml")
    return server.url("/feed.xml")


def test_a_thousand_items_with_flat_memory_and_a_progress_bar(server, audio_dir, home_page, settings):
    settings.IMPORT_DOWNLOAD_CONCURRENCY = 3
    url = catalogue(server, audio_dir, 1000, with_audio=5)
    for n in range(5):
        server.delays[f"/audio/{n}.{AUDIO_FILES[n].rsplit('.', 1)[1]}"] = 0.3
    progress = io.StringIO()

    tracemalloc.start()
    try:
        report = importing.import_feed(
            url, fetcher=importing.Fetcher(url, progress=progress, show_progress=True)
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert len(report.episodes) == 1000
    assert len(report.with_status(importing.CREATED)) == 5
    assert len(report.with_status(importing.SKIPPED)) == 995
    assert all(outcome.page is None for outcome in report.episodes)  # the report holds no pages
    # The feed is ~200 KB; a thousand items in flight stay far below what one page per item would need.
    assert peak < 40 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    assert "Episodes: 100%" in progress.getvalue() and "1000/1000" in progress.getvalue()
    # A few downloads at a time (each enclosure takes 0.3 s to answer), never more than the setting.
    assert 2 <= server.most_in_flight <= 3 + 1  # + the feed's own request at most, already answered


def test_one_download_at_a_time_when_so_set(server, audio_dir, home_page, settings):
    settings.IMPORT_DOWNLOAD_CONCURRENCY = 1
    url = catalogue(server, audio_dir, 3, with_audio=3)
    for path in list(server.routes):
        server.delays[path] = 0.1

    import_feed(url)

    assert server.most_in_flight == 1 and EpisodePage.objects.count() == 3


def test_a_failed_run_resumes_without_creating_anything_twice(server, audio_dir, home_page):
    url = catalogue(server, audio_dir, 40, with_audio=5)
    lost = server.routes.pop("/audio/3.flac")  # the old host fails on one enclosure

    error, output = import_failing(url)

    assert error.returncode == 2
    assert "Summary: 4 imported" in output and "1 failed" in output
    assert "  failed: Round 3: audio not downloaded:" in output and "HTTP 404" in output
    before = counts()
    gets = {path: server.gets(path) for path in server.routes if path.startswith("/audio/")}

    server.add("/audio/3.flac", *lost)
    output = import_feed(url)

    assert "Summary: 1 imported, 0 updated, 0 published, 4 unchanged, 35 skipped, 0 failed." in output
    assert EpisodePage.objects.get(guid="archive-3").audio.extension == "flac"
    after = counts()
    assert after["Page"] == before["Page"] + 1 and after["AudioFile"] == before["AudioFile"] + 1
    assert sorted(EpisodePage.objects.values_list("guid", flat=True)) == [f"archive-{n}" for n in range(5)]
    # Only the failed enclosure was fetched again.
    assert {path: server.gets(path) for path in gets} == gets
    assert "Nothing changed" in import_feed(url)


@pytest.mark.slow
def test_a_thousand_items_with_audio(server, audio_dir, home_page, settings):
    """The whole catalogue with audio (a page and an audio file each): slow, so not in the default run."""
    settings.IMPORT_DOWNLOAD_CONCURRENCY = 4
    url = catalogue(server, audio_dir, 1000, with_audio=1000)

    output = import_feed(url)

    assert "Summary: 1000 imported" in output and EpisodePage.objects.count() == 1000
    assert AudioFile.objects.count() == len(AUDIO_FILES)  # the same bytes are stored once
    before = counts()
    assert "Nothing changed" in import_feed(url) and counts() == before


NEW_ITEM = """<item><guid>archive-new</guid><title>Fresh round</title><pubDate>Tue, 03 Mar 2026 09:00:00 GMT
</pubDate><enclosure url="{root}/audio/new.mp3" type="audio/mpeg"/></item>"""


def test_sync_brings_a_new_item_and_nothing_else(server, audio_dir, home_page):
    url = catalogue(server, audio_dir, 3, with_audio=3)
    import_feed(url, "--publish")
    show = ShowPage.objects.get()
    before = counts()
    # At the old host meanwhile: a new episode, and an edit of an old one (which a sync leaves alone).
    server.add("/audio/new.mp3", (audio_dir / "speech.mp3").read_bytes(), "audio/mpeg")
    body = server.routes["/feed.xml"][0].replace(b"Round 1<", b"Round one, edited<")
    body = body.replace(b"The Long Archive", b"The Long Archive (moved!)")
    server.add(
        "/feed.xml", body.replace(b"</channel>", NEW_ITEM.format(root=server.root).encode() + b"</channel>")
    )

    output = import_feed(url, "--sync")

    assert "Summary: 1 imported, 0 updated" in output
    new = EpisodePage.objects.get(guid="archive-new")
    assert new.title == "Fresh round" and not new.live  # --sync without --publish: a draft
    assert EpisodePage.objects.get(guid="archive-1").title == "Round 1"
    assert ShowPage.objects.get().title == "The Long Archive"
    after = counts()
    assert after["Page"] == before["Page"] + 1 and after["AudioFile"] == before["AudioFile"] + 1
    assert "Nothing changed: no new episodes" in import_feed(url, "--sync")

    # The scheduler's job: only shows whose editor switched syncing on, and a live show's new episodes go
    # live (its listeners here should not wait).
    newer = (
        NEW_ITEM.format(root=server.root).replace("archive-new", "archive-newer").replace("Fresh", "Later")
    )
    server.add(
        "/feed.xml", server.routes["/feed.xml"][0].replace(b"</channel>", newer.encode() + b"</channel>")
    )
    assert sync_shows() == {}
    ShowPage.objects.filter(pk=show.pk).update(sync_from_old_feed=True)

    results = sync_shows()

    assert [o.guid for o in results[show.slug].episodes] == ["archive-newer"]
    assert EpisodePage.objects.get(guid="archive-newer").live
    assert EpisodePage.objects.get(guid="archive-1").title == "Round 1"

    # The same from the command line: every show that syncs.
    out = io.StringIO()
    call_command("import_feed", "--sync", stdout=out)
    assert "Syncing 'The Long Archive'" in out.getvalue() and "no new episodes" in out.getvalue()
