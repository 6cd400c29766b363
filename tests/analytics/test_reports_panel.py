"""The Downloads panel on an episode's edit page: filled by the analytics app through episodes'
``DOWNLOADS_PANEL_HOOK`` (episodes does not import analytics), with the episode's figures and its last 30
days; left out of a new page's form and for users who may not see the figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from analytics.factories import DailyDownloadsFactory
from analytics.reporting import today
from episodes.factories import EpisodePageFactory, ShowPageFactory
from tests.analytics.reports import went_live

pytestmark = pytest.mark.django_db


@pytest.fixture
def episode(home_page):
    show = ShowPageFactory(parent=home_page, title="Deciding Together")
    page = EpisodePageFactory(parent=show, title="Shared decisions")
    went_live(page, today() - timedelta(days=40))
    for offset, count in [(0, 4), (39, 6), (40, 1)]:  # day 1, and the last two days of the 30 shown
        DailyDownloadsFactory(
            page=page, show=show, day=today() - timedelta(days=40) + timedelta(days=offset), count=count
        )
    return page


@pytest.fixture
def editor(client):
    user = get_user_model().objects.create_user("editor", "editor@example.org", "pw")
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return user


def panel_of(response) -> str:
    html = response.content.decode()
    start = html.find("data-downloads-panel")
    return html[start : html.find("in Reports</a>", start)] if start >= 0 else ""


def test_edit_page_shows_the_episodes_figures_and_last_30_days(client, editor, episode):
    response = client.get(reverse("wagtailadmin_pages:edit", args=[episode.pk]))

    panel = panel_of(response)
    assert response.status_code == 200
    assert "First 7 days</dt><dd>4</dd>" in panel
    assert "All time</dt><dd>11</dd>" in panel
    assert "7 downloads from" in panel  # the last 30 days: 6 + 1
    assert panel.count("<rect") == 30
    assert f"?show={episode.get_parent().pk}" in panel


def test_not_on_a_new_page(client, editor, episode):
    url = reverse("wagtailadmin_pages:add", args=["episodes", "episodepage", episode.get_parent().pk])
    response = client.get(url)

    assert response.status_code == 200
    assert panel_of(response) == ""


def test_hook_refuses_users_who_may_not_edit_the_page(rf, episode):
    from analytics.wagtail_hooks import downloads_panel

    request = rf.get("/")
    request.user = get_user_model().objects.create_user("reader", "reader@example.org", "pw")

    assert downloads_panel(episode, request) is None
