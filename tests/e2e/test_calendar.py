"""The editorial calendar in Chromium: an editor signs in, opens Calendar from the admin menu, sees this
month's published and scheduled episodes, moves one with the reschedule form, and the page has no serious
accessibility violation (axe-core) at a phone's and a desktop's width."""

import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from wagtail.models import Revision

from episodes.factories import EpisodePageFactory, ShowPageFactory
from tests.e2e.browser import ARTIFACTS, DESKTOP, PHONE, axe_violations, describe

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct horse battery staple"


def this_month(day: int, hour: int) -> datetime:
    today = timezone.localdate()
    return timezone.make_aware(datetime(today.year, today.month, day, hour, 0))


def test_an_editor_reschedules_from_the_calendar(page, home_page, django_user_model):
    django_user_model.objects.create_superuser("editor", "editor@example.org", PASSWORD)
    show = ShowPageFactory(parent=home_page, title="The Power of Coproduction", slug="coproduction")
    EpisodePageFactory(parent=show, title="Already out", publication_date=this_month(1, 7))
    scheduled = EpisodePageFactory(parent=show, title="Coming up", live=False)
    # Late in the month and in the future whatever today is: the 28th, or next month's first days.
    go_live = max(this_month(28, 7), timezone.now() + timedelta(hours=2))
    scheduled.go_live_at = scheduled.publication_date = go_live
    scheduled.save_revision().publish()

    page.goto("/admin/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    page.get_by_role("link", name="Calendar").click()
    expect(page).to_have_url(re.compile(r"/admin/calendar/$"))
    month = page.get_by_role("table")
    expect(month).to_contain_text("Already out")
    if go_live.month != timezone.localdate().month:
        page.get_by_role("link", name="Next month").click()
    expect(month).to_contain_text("Coming up")
    expect(month).to_contain_text("Scheduled")

    ARTIFACTS.mkdir(exist_ok=True)
    problems = []
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        page.screenshot(path=ARTIFACTS / f"calendar-{viewport['width']}.png", full_page=True)
        violations = axe_violations(page)
        if violations:
            problems.append(f"calendar at {viewport['width']} px:\n{describe(violations)}")
    assert not problems, "\n\n".join(problems)

    moved = go_live + timedelta(days=1, hours=2)
    page.get_by_text("Reschedule").click()
    page.get_by_label("New go-live date").fill(timezone.localtime(moved).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Move").click()
    expect(page.get_by_text(re.compile("“Coming up” will go live at"))).to_be_visible()
    revision = Revision.objects.get(object_id=str(scheduled.pk), approved_go_live_at__isnull=False)
    assert revision.approved_go_live_at == moved
