"""The browser tests (tests/e2e) skip without Chromium on a developer's machine and fail on CI. Here, out
of tests/e2e, whose fixtures make every test there transactional."""

import pytest

from tests.e2e import browser


@pytest.fixture
def no_chromium(monkeypatch):
    monkeypatch.setattr(browser, "chromium_path", lambda: None)


@pytest.mark.parametrize("ci", ["true", "1"])
def test_without_chromium_the_browser_tests_fail_on_ci(no_chromium, monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="On CI .* the browser tests must run"):
        browser.chromium_or_stop()


@pytest.mark.parametrize("ci", [None, "", "false"])
def test_without_chromium_the_browser_tests_skip_elsewhere(no_chromium, monkeypatch, ci):
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match="Chromium is not installed"):
        browser.chromium_or_stop()


def test_with_chromium_its_path_is_given(monkeypatch):
    monkeypatch.setattr(browser, "chromium_path", lambda: "/usr/bin/chromium")
    monkeypatch.setenv("CI", "true")
    assert browser.chromium_or_stop() == "/usr/bin/chromium"
