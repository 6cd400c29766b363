"""Every kind of public page of the demo site in Chromium: photographed at a phone's and a desktop's width
for a person to look at (tests/e2e/artifacts/), and checked by axe-core for accessibility problems.

One test, because building the demo content takes most of its time and the live server's database is
emptied after every test."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import ARTIFACTS, DESKTOP, PHONE, axe_violations, describe
from tests.e2e.content import demo_site

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, which follows the signature."""
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR", "not a PNG file"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_pages_are_photographed_at_two_widths_and_have_no_serious_accessibility_violation(page):
    """The demo's home, show, episode, interview, concept index, concept and search-results pages.

    Screenshots: full-page PNGs at 390 and 1280 pixels wide in tests/e2e/artifacts/<page>-<width>.png,
    each at least a viewport high and more than a blank page's bytes. Accessibility: axe-core's WCAG 2.0,
    2.1 and 2.2 A/AA and best-practice rules at both widths; a failure lists, per page and width, each
    serious or critical violation (rule id, impact, what it asks) and the first elements that break it.
    """
    pages = demo_site()
    ARTIFACTS.mkdir(exist_ok=True)
    problems = []
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        for name, url in pages.items():
            response = page.goto(url)
            assert response.status == 200, f"{name}: {url} answered {response.status}"
            if name == "search":
                expect(page.locator("main")).to_contain_text(re.compile(r"\b[1-9]\d* results? for"))
            path = ARTIFACTS / f"{name}-{viewport['width']}.png"
            path.unlink(missing_ok=True)
            page.screenshot(path=path, full_page=True)

            data = path.read_bytes()
            width, height = png_size(data)
            assert width == viewport["width"] and height >= viewport["height"], (path, width, height)
            assert len(data) > 10_000, f"{path} is only {len(data)} bytes: a blank page?"

            violations = axe_violations(page)
            if violations:
                problems.append(f"{name} ({url}) at {viewport['width']} px:\n{describe(violations)}")
    assert not problems, "\n\n".join(problems)
