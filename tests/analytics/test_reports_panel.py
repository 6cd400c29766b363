"""The Downloads panel on an episode's (and an interview's) edit page: filled by the analytics app through
episodes' ``DOWNLOADS_PANEL_HOOK`` (episodes does not import analytics), with the page's figures, its last
30 days and how fresh they are; left out of a new page's form and for users who may not see the figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from analytics.factories import DailyDownloadsFactory
from analytics.reporting import today
from episodes.factories import (
    AudioFileFactory,
    EpisodePageFactory,
    InterviewIndexPageFactory,
    InterviewPageFactory,
    ShowPageFactory,
)
from tests.analytics.conftest import OVERCAST, Listener, downloads
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


@pytest.mark.parametrize("with_show", [True, False])
def test_an_interviews_audio_counts_for_it_and_its_edit_page_shows_it(
    client, editor, home_page, audio_dir, with_show
):
    """An interview's audio, fetched whole through the audio view by two apps at one address, counts two
    downloads for the interview (and its show, when it names one); its edit page has the panel with them,
    linking to the report of its show."""
    show = ShowPageFactory(parent=home_page, title="Deciding Together") if with_show else None
    index = InterviewIndexPageFactory(parent=home_page)
    audio = AudioFileFactory(path=audio_dir / "tone.mp3")
    interview = InterviewPageFactory(parent=index, title="A conversation", audio=audio, show=show)
    went_live(interview, today())
    for user_agent in (OVERCAST, "AntennaPod/3.4.0"):
        assert Listener(client, user_agent=user_agent).get(audio.url).status_code == 200
    edit_url = reverse("wagtailadmin_pages:edit", args=[interview.pk])
    waiting = panel_of(client.get(edit_url))  # before the scheduler's round
    assert "Counted up to " in waiting and " UTC" in waiting and "All time</dt><dd>0</dd>" in waiting
    assert downloads(interview) == 2
    assert downloads(show=show) == 2

    response = client.get(edit_url)

    panel = panel_of(response)
    assert response.status_code == 200
    assert "First 7 days</dt><dd>2</dd>" in panel and "All time</dt><dd>2</dd>" in panel
    assert "2 downloads from" in panel
    assert "Counted up to date" in panel
    assert ("?show=" in panel) is with_show
    if show is not None:
        assert f"?show={show.pk}" in panel and "All downloads of Deciding Together" in panel
