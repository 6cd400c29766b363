"""WebSub pings reach real hubs (a local HTTP server), only after commit, with retries that do not sleep."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured
from django_tasks import TaskResult, TaskResultStatus
from django_tasks.signals import task_enqueued

from episodes.tasks import ping_hubs_task
from episodes.websub import (
    WebSubError,
    hub_urls,
    notify_hubs,
    ping_hub,
    ping_hub_with_retries,
    retry_delays,
)

FEED = "https://podcast.example/shows/coproduction/feed/"

# on_commit callbacks wait only inside a transaction: the database tests' atomic block gives one. The other
# tests need no database, so they run without one.
in_transaction = pytest.mark.django_db


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound, so nothing else takes it, but not listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch):
    """requests honours proxy variables; a CI proxy must not stand between the tests and the local hubs."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _no_waiting(settings):
    settings.WEBSUB_RETRY_DELAYS = [0, 0]


@pytest.fixture
def enqueued() -> Iterator[list[TaskResult]]:
    """Every task result enqueued during the test; the immediate backend updates them as they run."""
    results: list[TaskResult] = []

    def receiver(sender, task_result, **kwargs):
        results.append(task_result)

    task_enqueued.connect(receiver, dispatch_uid="test-websub-enqueued")
    yield results
    task_enqueued.disconnect(dispatch_uid="test-websub-enqueued")


# -- notify_hubs: one task per hub, after commit ------------------------------------------------------------


@in_transaction
def test_notify_hubs_posts_the_feed_to_every_hub_after_commit(
    make_hub, settings, enqueued, django_capture_on_commit_callbacks
):
    first, second = make_hub(), make_hub()
    settings.WEBSUB_HUBS = [first.url, second.url]

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify_hubs(FEED)

    assert len(callbacks) == 2
    assert [result.args for result in enqueued] == [[first.url, FEED], [second.url, FEED]]
    assert all(result.status == TaskResultStatus.SUCCESSFUL for result in enqueued)
    for hub in (first, second):
        [ping] = hub.received
        assert ping.method == "POST"
        assert ping.path == "/hub"
        assert ping.headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert ping.form == {"hub.mode": ["publish"], "hub.url": [FEED]}
        assert ping.headers["User-Agent"].startswith("PowerOfCoproduction-WebSub/")


@in_transaction
def test_nothing_is_sent_before_the_transaction_commits(
    hub, settings, enqueued, django_capture_on_commit_callbacks
):
    settings.WEBSUB_HUBS = [hub.url]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify_hubs(FEED)

    assert hub.received == []
    assert enqueued == []
    # The deferred callback is what sends the ping.
    [callback] = callbacks
    callback()
    assert len(hub.posts) == 1
    assert len(enqueued) == 1


@in_transaction
@pytest.mark.parametrize("configured", [[], None], ids=["empty", "unset"])
def test_no_hub_configured_sends_nothing_and_enqueues_nothing(
    hub, settings, configured, enqueued, django_capture_on_commit_callbacks
):
    if configured is None:
        del settings.WEBSUB_HUBS
    else:
        settings.WEBSUB_HUBS = configured

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify_hubs(FEED)

    assert callbacks == []
    assert enqueued == []
    assert hub.received == []


@in_transaction
def test_one_failing_hub_does_not_stop_the_others(
    make_hub, settings, enqueued, django_capture_on_commit_callbacks
):
    broken, working = make_hub(), make_hub()
    broken.answer(500)
    settings.WEBSUB_HUBS = [broken.url, working.url]

    with django_capture_on_commit_callbacks(execute=True):
        notify_hubs(FEED)

    assert [result.status for result in enqueued] == [TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL]
    assert len(broken.posts) == 3
    assert len(working.posts) == 1


def test_hub_urls_drops_blanks_and_duplicates(settings):
    settings.WEBSUB_HUBS = [
        "https://hub.example/",
        " ",
        "https://pubsubhubbub.appspot.com/",
        "https://hub.example/",
    ]
    assert hub_urls() == ["https://hub.example/", "https://pubsubhubbub.appspot.com/"]


def test_a_single_string_is_refused_rather_than_read_letter_by_letter(settings):
    settings.WEBSUB_HUBS = "https://hub.example/"
    with pytest.raises(ImproperlyConfigured, match="WEBSUB_HUBS"):
        hub_urls()


# -- ping_hub: one request, 2xx or WebSubError ---------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 202, 204])
def test_ping_hub_accepts_any_2xx(hub, status):
    hub.answer(status)
    ping_hub(hub.url, FEED)
    assert len(hub.posts) == 1


def test_ping_hub_names_the_hub_and_the_status_it_refused_with(hub):
    hub.answer(404)
    with pytest.raises(WebSubError) as error:
        ping_hub(hub.url, FEED)
    message = str(error.value)
    assert hub.url in message
    assert "HTTP 404 Not Found" in message
    assert "hub says no" in message


def test_ping_hub_does_not_follow_a_redirect(make_hub, hub):
    elsewhere = make_hub()
    hub.answer(301)
    hub.location = elsewhere.url
    with pytest.raises(WebSubError, match="redirect to " + elsewhere.url):
        ping_hub(hub.url, FEED)
    assert elsewhere.received == []


def test_ping_hub_connection_refused_names_the_hub(closed_port):
    hub_url = f"http://127.0.0.1:{closed_port}/hub"
    with pytest.raises(WebSubError, match=f"WebSub hub {hub_url} could not be reached"):
        ping_hub(hub_url, FEED)


def test_ping_hub_gives_up_on_a_hub_that_never_answers():
    raised: list[BaseException] = []

    def ping(hub_url: str) -> None:
        try:
            ping_hub(hub_url, FEED, timeout=0.1)
        except BaseException as exc:
            raised.append(exc)

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        # Listening, so the connection is made, but never accepted or answered.
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        hub_url = f"http://127.0.0.1:{silent.getsockname()[1]}/hub"
        # In a thread, so that a ping without a timeout fails this test instead of hanging the run.
        pinger = threading.Thread(target=ping, args=(hub_url,), daemon=True)
        pinger.start()
        pinger.join(timeout=5)

    assert not pinger.is_alive(), "ping_hub waited for a silent hub"
    [error] = raised
    assert isinstance(error, WebSubError)
    assert hub_url in str(error)


# -- the task: retries within, FAILED at the end -------------------------------------------------------------


def test_task_succeeds_after_a_retry(hub):
    hub.answer(500, 202)

    result = ping_hubs_task.enqueue(hub.url, FEED)

    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 2
    assert len(hub.posts) == 2


def test_task_fails_with_websub_error_after_every_attempt(hub, caplog):
    hub.answer(500)

    result = ping_hubs_task.enqueue(hub.url, FEED)

    assert result.status == TaskResultStatus.FAILED
    [error] = result.errors
    assert error.exception_class is WebSubError
    assert hub.url in error.traceback
    assert len(hub.posts) == 3
    [logged] = [
        record
        for record in caplog.records
        if record.levelname == "ERROR" and record.name == "episodes.websub"
    ]
    assert "after 3 attempts" in logged.getMessage()


def test_task_fails_when_the_hub_refuses_connections(closed_port, settings):
    settings.WEBSUB_RETRY_DELAYS = [0]
    hub_url = f"http://127.0.0.1:{closed_port}/hub"

    result = ping_hubs_task.enqueue(hub_url, FEED)

    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class is WebSubError
    assert f"WebSub hub {hub_url} could not be reached" in result.errors[0].traceback


def test_retries_back_off_by_the_given_delays(hub):
    hub.answer(500)
    slept: list[float] = []

    with pytest.raises(WebSubError, match=hub.url):
        ping_hub_with_retries(hub.url, FEED, delays=[1, 2], sleep=slept.append)

    assert slept == [1, 2]
    assert len(hub.posts) == 3


def test_no_sleep_after_success(hub):
    hub.answer(503, 202)
    slept: list[float] = []

    assert ping_hub_with_retries(hub.url, FEED, delays=[1, 2], sleep=slept.append) == 2
    assert slept == [1]


def test_task_waits_one_then_two_seconds_by_default(hub, settings, monkeypatch):
    del settings.WEBSUB_RETRY_DELAYS
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    hub.answer(500)

    result = ping_hubs_task.enqueue(hub.url, FEED)

    assert retry_delays() == [1, 2]
    assert result.status == TaskResultStatus.FAILED
    assert slept == [1, 2]
    assert len(hub.posts) == 3


# The feed side: hub links in the feed, and a ping when an episode is published --------------------------


@in_transaction
def test_the_feed_declares_the_hubs_and_publishing_pings_them(
    client, hub, settings, home_page, audio_dir, django_capture_on_commit_callbacks
):
    from lxml import etree

    from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
    from episodes.feeds import feed_url

    settings.WEBSUB_HUBS = [hub.url]
    show = ShowPageFactory(parent=home_page)
    episode = EpisodePageFactory(parent=show, audio=AudioFileFactory(path=audio_dir / "tone.mp3"))

    root = etree.fromstring(client.get(f"/feeds/{show.pk}.xml").content)
    links = root.findall("channel/{http://www.w3.org/2005/Atom}link")
    assert {(link.get("rel"), link.get("href")) for link in links} == {
        ("self", feed_url(show)),
        ("hub", hub.url),
    }

    hub.received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        episode.title = "Renamed"
        episode.save_revision().publish()

    assert [post.form["hub.url"] for post in hub.posts] == [[feed_url(show)]]
    assert [post.form["hub.mode"] for post in hub.posts] == [["publish"]]
