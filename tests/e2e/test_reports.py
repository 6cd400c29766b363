"""*Reports → Downloads* and the episode's Downloads panel in Chromium: an editor signs in, reads the chart
and the tables, changes the period and the show, sorts the episodes; axe-core finds no serious violation at
phone and desktop widths; and all of it works with JavaScript off (the chart is SVG drawn by the server,
its figures a table in a <details>, the choices a plain form)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import expect

from analytics.factories import DailyDownloadsFactory
from analytics.reporting import today
from episodes.factories import EpisodePageFactory, ShowPageFactory
from tests.analytics.reports import went_live
from tests.e2e.browser import ARTIFACTS, DESKTOP, PHONE, axe_violations, describe, new_context

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct horse battery staple"
URL = "/admin/reports/downloads/"


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user("editor", "editor@example.org", PASSWORD)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def catalogue(home_page):
    """Two shows; each episode went live 40 days ago and was downloaded every day since by two apps."""
    episodes = {}
    for title, daily in [("Deciding Together", 2), ("Care at Home", 3)]:
        show = ShowPageFactory(parent=home_page, title=title)
        for number in (1, 2):
            episode = EpisodePageFactory(parent=show, title=f"{title} {number}")
            went_live(episode, today() - timedelta(days=40))
            for offset in range(41):
                for app in ("Overcast", "Pocket Casts"):
                    DailyDownloadsFactory(
                        page=episode,
                        show=show,
                        day=today() - timedelta(days=offset),
                        count=daily * number,
                        app=app,
                    )
            episodes[episode.title] = episode
    return episodes


def sign_in(page) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def expect_bars(page, count: int) -> None:
    expect(page.locator("[data-downloads-chart] svg rect")).to_have_count(count)


def test_an_editor_reads_the_downloads_report(page, live_server, editor, catalogue):
    sign_in(page)
    page.goto(URL)

    chart = page.get_by_role("img", name=re.compile("Downloads per day, all your shows, last 30 days"))
    expect(chart).to_be_visible()
    expect_bars(page, 30)
    expect(page.locator(".downloads-freshness")).to_have_text(re.compile("^Counted up to date"))
    expect(page.locator("figcaption")).to_contain_text("900 downloads from")  # 30 days x 2 apps x (2+4+3+6)
    expect(page.locator("table.downloads-apps")).to_contain_text("Overcast")
    rows = page.locator("#listing-results tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("Care at Home 2")  # most downloads first

    page.get_by_label("Show", exact=True).select_option(label="Deciding Together")
    page.get_by_label("Chart", exact=True).select_option(label="Last 90 days")
    page.get_by_role("button", name="Show figures").click()
    expect(page).to_have_url(re.compile(r"period=90"))
    expect_bars(page, 90)
    expect(rows).to_have_count(2)

    page.get_by_role("link", name="Episode", exact=True).click()  # sort by title
    expect(rows.first).to_contain_text("Deciding Together 1")

    page.get_by_text("The figures as a table").click()
    expect(page.locator("[data-downloads-chart] details table")).to_be_visible()

    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"reports-downloads-{viewport['width']}.png", full_page=True)
        violations = axe_violations(page)
        assert not violations, describe(violations)


def test_the_episode_panel(page, live_server, editor, catalogue):
    episode = catalogue["Care at Home 2"]
    sign_in(page)
    page.goto(f"/admin/pages/{episode.pk}/edit/")

    panel = page.locator("[data-downloads-panel]")
    expect(panel).to_contain_text("First 7 days")
    expect(panel.get_by_role("img", name=re.compile("last 30 days"))).to_be_visible()
    assert panel.locator("svg rect").count() == 30
    panel.screenshot(path=ARTIFACTS / "episode-downloads-panel.png")
    violations = [
        violation
        for violation in axe_violations(page)
        if any(
            "data-downloads-panel" in str(node["target"]) or "downloads" in node["html"]
            for node in violation["nodes"]
        )
    ]
    assert not violations, describe(violations)

    panel.get_by_role("link", name=re.compile("All downloads of Care at Home")).click()
    expect(page.get_by_label("Show", exact=True)).to_have_value(str(episode.get_parent().pk))


def test_the_report_works_without_javascript(browser, live_server, editor, catalogue):
    context = new_context(browser, live_server, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page)
        page.goto(URL)
        expect_bars(page, 30)
        page.get_by_label("Chart", exact=True).select_option(label="Last 365 days")
        page.get_by_role("button", name="Show figures").click()
        expect_bars(page, 365)
        page.get_by_text("The figures as a table").click()
        expect(page.locator("[data-downloads-chart] details tbody tr")).to_have_count(365)
        with page.expect_download() as download:
            page.get_by_role("link", name="Download CSV").click()
        assert download.value.suggested_filename.startswith("downloads-")
    finally:
        context.close()
