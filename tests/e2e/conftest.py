"""Browser tests: Debian's Chromium, driven by Playwright, against pytest-django's live server.

One browser serves the whole e2e folder; each test gets a fresh context (cookies, storage) and page. The
live server needs transactional tests (its thread has its own database connection), and
``serialized_rollback`` puts back the home page and site that the migrations create, which the flush
after each transactional test would otherwise leave missing for the tests that follow.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connections

from tests.audio import tone
from tests.e2e.browser import ARTIFACTS, chromium_or_stop, new_context
from tests.e2e.content import CLIP_SECONDS


@pytest.fixture(scope="package")
def browser(django_db_setup) -> Iterator:
    """Chromium, started once for the e2e folder and stopped after its last test."""
    executable = chromium_or_stop()
    with _playwright_in_this_thread() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            # Play without a click where a test needs it, and make no sound on a developer's machine.
            args=["--autoplay-policy=no-user-gesture-required", "--mute-audio"],
        )
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def _playwright_in_this_thread() -> Iterator:
    """Start Playwright's sync API, and keep Django's database access working beside it.

    Playwright keeps an asyncio event loop running in the main thread for as long as it is started. Django
    then (1) refuses every ORM call made in that thread, taking it for one made from async code
    (SynchronousOnlyOperation), and (2) keeps that thread's database connections apart from those made
    before the loop started (asgiref's thread-critical Local stores them in a context variable while a
    loop runs). The tests' ORM calls are synchronous and outside the loop, so (1) is switched off while
    Playwright runs. For (2), the new connections are given the copy of the migrated database that
    pytest-django took on the old ones, so that ``serialized_rollback`` still puts back the home page and
    site after each test's flush; and they are closed before Playwright stops, or PostgreSQL would refuse
    to drop the test database that they are still connected to.
    """
    from playwright.sync_api import sync_playwright

    serialized = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        playwright = sync_playwright().start()
        try:
            for alias, contents in serialized.items():
                connections[alias]._test_serialized_contents = contents
            yield playwright
        finally:
            connections.close_all()
            playwright.stop()


@pytest.fixture(scope="session")
def clip(tmp_path_factory) -> Path:
    """A tone of exactly CLIP_SECONDS, the audio of the player tests' episode (its lines are given)."""
    return tone(tmp_path_factory.mktemp("e2e") / "clip.mp3", CLIP_SECONDS)


@pytest.fixture(autouse=True)
def _fresh_state(transactional_db) -> Iterator[None]:
    """Each test starts with an empty cache (the live server shares this process's local-memory cache,
    and ids repeat after a flush, so an entry left by an earlier test could describe another object)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def page(browser, live_server, request) -> Iterator:
    """A new desktop-sized page in a context of its own (see ``new_context``).

    ``page.errors`` collects the page's uncaught script errors, for tests that want none; a test that
    fails leaves a screenshot of the page in tests/e2e/artifacts/failed-<test>.png.
    """
    failed_shot = ARTIFACTS / ("failed-" + re.sub(r"[^\w-]", "-", request.node.name) + ".png")
    failed_shot.unlink(missing_ok=True)  # from an earlier run
    context = new_context(browser, live_server)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        with suppress(Exception):  # a screenshot that cannot be taken must not hide the failure
            page.screenshot(path=failed_shot, full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so that the ``page`` fixture knows if the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
