"""Chapters JSON of private episodes: served to whoever may see the episode's page, and to nobody else.

The page's view restrictions decide (Wagtail's sign-in, groups and password kinds, on the episode or
above it). A refused request gets the 404 that a draft gets, so that the endpoint does not tell which
private episodes exist; a served one is marked private, never kept by a shared cache or the page cache.
"""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from wagtail.models import PageViewRestriction

from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from episodes.models import Chapter

pytestmark = pytest.mark.django_db

PASSWORD = "sesame"
CHAPTERS = [{"startTime": 0.0, "title": "Hello"}, {"startTime": 1.5, "title": "Questions from members"}]


@pytest.fixture
def show(home_page):
    return ShowPageFactory(parent=home_page, title="The Power of Coproduction", slug="coproduction")


@pytest.fixture
def episode(show, audio_dir):
    episode = EpisodePageFactory(
        parent=show, title="For members", audio=AudioFileFactory(path=audio_dir / "tone.mp3")
    )
    Chapter.objects.create(page=episode, start_ms=0, title="Hello")
    Chapter.objects.create(page=episode, start_ms=1500, title="Questions from members")
    return episode


@pytest.fixture
def members():
    return Group.objects.create(name="Members")


@pytest.fixture
def member(django_user_model, members):
    user = django_user_model.objects.create_user("member", password="x")
    user.groups.add(members)
    return user


@pytest.fixture
def outsider(django_user_model):
    """Signed in, but in none of the page's groups."""
    return django_user_model.objects.create_user("outsider", password="x")


def restrict_to(page, group):
    restriction = PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.GROUPS)
    restriction.groups.add(group)
    return restriction


def restrict_by_password(page, password=PASSWORD):
    return PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.PASSWORD, password=password
    )


def unlock(client, restriction, page, password=PASSWORD):
    """Enter the password in Wagtail's own form, as a visitor does (it marks the session)."""
    response = client.post(
        reverse("wagtailcore_authenticate_with_password", args=[restriction.pk, page.pk]),
        {"password": password, "return_url": page.url},
    )
    assert response.status_code == 302, response.content


def chapters(client, page):
    return client.get(reverse("episodes:chapters", kwargs={"pk": page.pk}))


def assert_served_privately(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json+chapters"
    assert response.json()["chapters"] == CHAPTERS
    assert response["Cache-Control"] == "private, no-store"
    assert "Access-Control-Allow-Origin" not in response  # cross-site readers never carry the session


def test_a_groups_page_chapters_go_to_its_members_only(client, episode, members, member, outsider):
    """Inputs: an anonymous visitor, a signed-in user outside the group, a member. Error it guards
    against: the members' chapters given to anyone the page itself would refuse."""
    restrict_to(episode, members)

    assert chapters(client, episode).status_code == 404

    client.force_login(outsider)
    assert chapters(client, episode).status_code == 404

    client.force_login(member)
    assert_served_privately(chapters(client, episode))
    assert "Questions from members" in client.get(episode.url).content.decode()  # the page agrees


def test_a_sign_in_page_chapters_go_to_anyone_signed_in(client, episode, outsider):
    PageViewRestriction.objects.create(page=episode, restriction_type=PageViewRestriction.LOGIN)

    assert chapters(client, episode).status_code == 404

    client.force_login(outsider)
    assert_served_privately(chapters(client, episode))


def test_a_password_page_chapters_need_the_password_in_the_session(client, episode):
    restriction = restrict_by_password(episode)

    assert chapters(client, episode).status_code == 404

    unlock(client, restriction, episode)
    assert_served_privately(chapters(client, episode))

    client.cookies.clear()  # the same browser without its session: a stranger again
    assert chapters(client, episode).status_code == 404


def test_another_page_password_does_not_open_these_chapters(client, show, episode, audio_dir):
    """Input: the password of another protected episode in the session. Error: any passed restriction
    taken for this page's."""
    restrict_by_password(episode)
    other = EpisodePageFactory(parent=show, audio=AudioFileFactory(path=audio_dir / "tone.ogg"))
    unlock(client, restrict_by_password(other, "other"), other, "other")

    assert chapters(client, other).status_code == 200
    assert chapters(client, episode).status_code == 404


def test_a_restriction_above_the_episode_counts_and_every_restriction_must_be_passed(
    client, show, episode, members, member
):
    """The show needs a password and the episode a group: a member without the show's password, and the
    password without membership, are both refused."""
    show_restriction = restrict_by_password(show)
    restrict_to(episode, members)

    client.force_login(member)
    assert chapters(client, episode).status_code == 404

    client.logout()
    unlock(client, show_restriction, show)
    assert chapters(client, episode).status_code == 404

    client.force_login(member)  # the same session: the password stays passed
    assert_served_privately(chapters(client, episode))


@pytest.mark.parametrize("state", ["draft", "unpublished"])
def test_no_chapters_of_a_private_draft_or_unpublished_episode_even_for_members(
    client, admin_user, episode, members, member, state
):
    restrict_to(episode, members)
    if state == "draft":
        episode.live = False
        episode.save()
    else:
        episode.unpublish()

    for user in (member, admin_user):
        client.force_login(user)
        assert chapters(client, episode).status_code == 404, user


def test_public_chapters_stay_public(client, episode):
    response = chapters(client, episode)

    assert response.status_code == 200
    assert response.json()["chapters"] == CHAPTERS
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Access-Control-Allow-Origin"] == "*"


def test_the_feed_never_lists_a_private_episode_nor_its_chapters(client, show, episode, members, member):
    """Even when a member asks for the feed: it is one document for every podcast app."""
    restrict_to(episode, members)
    client.force_login(member)

    feed = client.get(reverse("episodes:feed", kwargs={"pk": show.pk})).content.decode()

    assert "For members" not in feed
    assert reverse("episodes:chapters", kwargs={"pk": episode.pk}) not in feed


def test_the_page_cache_never_hands_members_chapters_to_a_stranger(
    client, episode, members, member, settings
):
    """With the page cache on: the member's answer passes through (a session) and is not stored, so the
    anonymous request after it is answered afresh, 404."""
    settings.PAGE_CACHE_SECONDS = 300
    restrict_to(episode, members)
    client.force_login(member)

    served = chapters(client, episode)
    assert_served_privately(served)
    assert "X-Cache" not in served

    client.logout()
    client.cookies.clear()
    stranger = chapters(client, episode)
    assert stranger.status_code == 404
    assert stranger.get("X-Cache") != "hit"
