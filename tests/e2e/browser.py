"""What the browser tests share besides fixtures: where things are, viewports, contexts, axe-core."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def chromium_path() -> str | None:
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None
    )


def chromium_or_stop() -> str:
    """Chromium's path. Without it the browser tests are skipped on a developer's machine, but fail on CI
    (``CI`` set, as `.ci/run` does): there a missing browser must not turn into a green run that tested
    no page in a browser."""
    executable = chromium_path()
    if executable is None:
        message = "Chromium is not installed: `make system-deps` installs it (apt-get install chromium)"
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail(f"{message}. On CI (CI={os.environ['CI']}) the browser tests must run.")
        pytest.skip(message)
    return executable


def new_context(browser, live_server, **options):
    """A browser context (its own cookies and storage) whose relative URLs go to the live server, and
    whose requests anywhere else fail: the tests run offline, and a page must not need another site."""
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, **options)
    context.set_default_timeout(10_000)
    context.route(lambda url: not url.startswith(live_server.url), lambda route: route.abort())
    return context


def axe_violations(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """axe-core's WCAG 2.0, 2.1 and 2.2 A/AA and best-practice violations on the page, of these impacts
    (axe's others are "moderate" and "minor")."""
    if page.evaluate("typeof window.axe") == "undefined":
        # Evaluated by the browser's debugging protocol, not added as a <script>, which the site's
        # Content Security Policy (script-src 'self') would block.
        page.evaluate(AXE.read_text(encoding="utf-8"))
    results = page.evaluate(
        """() => axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa',
                                               'best-practice']})"""
    )
    return [violation for violation in results["violations"] if violation["impact"] in impacts]


def describe(violations: list[dict], nodes: int = 3) -> str:
    """One line per violation: rule, impact, what it asks, and where (the first few elements)."""
    lines = []
    for violation in violations:
        targets = "; ".join(" ".join(map(str, node["target"])) for node in violation["nodes"][:nodes])
        more = len(violation["nodes"]) - nodes
        lines.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']} -- {targets}"
            + (f" (and {more} more)" if more > 0 else "")
        )
    return "\n".join(lines)
