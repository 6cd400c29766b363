"""The editorial calendar in the admin: a month of published and scheduled episodes and interviews with
their transcript and delivery state, links to edit them, and rescheduling that loses nothing."""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from wagtail.models import Revision

from episodes.editorial_calendar import month_grid, month_items
from episodes.factories import (
    AudioFileFactory,
    EpisodePageFactory,
    InterviewIndexPageFactory,
    InterviewPageFactory,
    ShowPageFactory,
)
from episodes.models import EpisodePage
from transcripts.models import Transcript

pytestmark = pytest.mark.django_db

NEXT_MONTH = (timezone.localdate().replace(day=1) + timedelta(days=40)).replace(day=1)


def at(day: int, hour: int = 7) -> datetime:
    return timezone.make_aware(datetime(NEXT_MONTH.year, NEXT_MONTH.month, day, hour, 0))


@pytest.fixture
def show(home_page):
    return ShowPageFactory(parent=home_page, title="The Power of Coproduction", slug="coproduction")


@pytest.fixture
def month(show, home_page, audio_dir):
    """Next month: a published episode dated ahead (waiting), a scheduled one with a failed transcript, an
    interview, and an episode of another show."""
    audio = AudioFileFactory(path=audio_dir / "tone.mp3", title="Tone")
    Transcript.objects.create(audio=audio, status=Transcript.FAILED, error="no speech")
    waiting = EpisodePageFactory(parent=show, title="Dated ahead", audio=audio, publication_date=at(3))
    scheduled = EpisodePageFactory(parent=show, title="Monday morning", live=False, audio=audio)
    scheduled.go_live_at = scheduled.publication_date = at(10)
    scheduled.save_revision().publish()
    interviews = InterviewIndexPageFactory(parent=home_page)
    interview = InterviewPageFactory(parent=interviews, title="A nurse's view", show=show, date=at(12).date())
    other = ShowPageFactory(parent=home_page, title="Another show", slug="another")
    elsewhere = EpisodePageFactory(parent=other, title="Elsewhere", publication_date=at(20))
    return {"waiting": waiting, "scheduled": scheduled, "interview": interview, "elsewhere": elsewhere}


def test_the_month_holds_published_and_scheduled_pages_with_their_states(month, show, admin_user):
    items = month_items(admin_user, NEXT_MONTH.year, NEXT_MONTH.month)
    assert [(i.page.title, i.state) for i in items] == [
        ("Dated ahead", "Waiting for its date"),
        ("Monday morning", "Scheduled"),
        ("A nurse's view", "Published"),
        ("Elsewhere", "Waiting for its date"),
    ]
    scheduled = items[1]
    assert scheduled.at == at(10) and scheduled.can_reschedule
    assert scheduled.transcript == "Failed" and scheduled.show.pk == show.pk
    assert [i.page.title for i in month_items(admin_user, NEXT_MONTH.year, NEXT_MONTH.month, show)] == [
        "Dated ahead",
        "Monday morning",
        "A nurse's view",
    ]
    weeks = month_grid(NEXT_MONTH.year, NEXT_MONTH.month, items)
    tenth = next(day for week in weeks for day in week if day.day == at(10).date())
    assert [i.page.title for i in tenth.items] == ["Monday morning"]
    assert all(len(week) == 7 for week in weeks)


def test_the_calendar_page_links_each_item_to_its_edit_page(client, month, admin_user):
    client.force_login(admin_user)
    response = client.get("/admin/calendar/", {"month": NEXT_MONTH.strftime("%Y-%m")})

    assert response.status_code == 200
    html = response.content.decode()
    for key in ("waiting", "scheduled", "interview", "elsewhere"):
        assert f'href="/admin/pages/{month[key].pk}/edit/"' in html
    assert "Transcript: failed" in html and "Scheduled" in html
    assert f'action="/admin/calendar/{month["scheduled"].pk}/reschedule/"' in html
    assert '"label": "Calendar"' in html and '"url": "/admin/calendar/"' in html  # the menu item


def test_a_bad_month_shows_this_month(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/admin/calendar/", {"month": "2027-13"})
    assert response.status_code == 200
    assert timezone.localdate().strftime("%B %Y") in response.content.decode()


def reschedule(client, page, value):
    data = {"go_live_at": value, "next": "/admin/calendar/"}
    return client.post(f"/admin/calendar/{page.pk}/reschedule/", data, follow=True)


def test_rescheduling_moves_the_go_live_and_publication_dates(client, month, admin_user):
    client.force_login(admin_user)
    page = month["scheduled"]
    new = at(17, 9)

    response = reschedule(client, page, timezone.localtime(new).strftime("%Y-%m-%dT%H:%M"))

    assert response.status_code == 200
    assert "will go live at" in str(list(response.context["messages"])[0])
    (revision,) = Revision.objects.filter(object_id=str(page.pk), approved_go_live_at__isnull=False)
    assert revision.approved_go_live_at == new
    page = EpisodePage.objects.get(pk=page.pk)
    assert not page.live and page.go_live_at == new and page.publication_date == new


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("tomorrow", "is not a date and time"),
        ("2020-01-01T07:00", "has passed"),
        ("", "is not a date and time"),
    ],
)
def test_a_bad_date_is_refused_and_the_schedule_stays(client, month, admin_user, value, reason):
    client.force_login(admin_user)
    page = month["scheduled"]

    response = reschedule(client, page, value)

    (message,) = [str(m) for m in response.context["messages"]]
    assert "was not rescheduled" in message and reason in message
    (revision,) = Revision.objects.filter(object_id=str(page.pk), approved_go_live_at__isnull=False)
    assert revision.approved_go_live_at == at(10)


def test_changes_saved_after_scheduling_are_not_published_by_a_reschedule(client, month, admin_user):
    client.force_login(admin_user)
    page = EpisodePage.objects.get(pk=month["scheduled"].pk)
    page.title = "A newer draft title"
    page.save_revision()

    response = reschedule(client, page, timezone.localtime(at(17)).strftime("%Y-%m-%dT%H:%M"))

    (message,) = [str(m) for m in response.context["messages"]]
    assert "changes saved after it was scheduled" in message
    (revision,) = Revision.objects.filter(object_id=str(page.pk), approved_go_live_at__isnull=False)
    assert revision.approved_go_live_at == at(10)
    assert EpisodePage.objects.get(pk=page.pk).get_latest_revision_as_object().title == "A newer draft title"


def test_an_editor_who_may_not_publish_sees_the_calendar_but_cannot_reschedule(
    client, month, django_user_model
):
    editor = django_user_model.objects.create_user("ed", password="x")
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)

    response = client.get("/admin/calendar/", {"month": NEXT_MONTH.strftime("%Y-%m")})
    assert response.status_code == 200
    assert "Monday morning" in response.content.decode()
    assert "/reschedule/" not in response.content.decode()

    response = client.post(
        f"/admin/calendar/{month['scheduled'].pk}/reschedule/", {"go_live_at": "2030-01-01T07:00"}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"  # Wagtail's refusal
    assert Revision.objects.get(approved_go_live_at__isnull=False).approved_go_live_at == at(10)
