"""The admin's forms for every page type and snippet open for an editor (panels are configured right)."""

import pytest
from django.urls import reverse

from episodes.factories import (
    AudioFileFactory,
    EpisodePageFactory,
    InterviewIndexPageFactory,
    InterviewPageFactory,
    PersonFactory,
    ShowPageFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(home_page, audio_dir):
    show = ShowPageFactory(parent=home_page)
    index = InterviewIndexPageFactory(parent=home_page)
    audio = AudioFileFactory(path=audio_dir / "tone.mp3")
    return {
        "home": home_page,
        "show": show,
        "episode": EpisodePageFactory(parent=show, audio=audio),
        "index": index,
        "interview": InterviewPageFactory(parent=index, audio=audio),
        "audio": audio,
    }


@pytest.mark.parametrize(
    ("app_model", "parent"),
    [
        ("episodes/showpage", "home"),
        ("episodes/episodepage", "show"),
        ("episodes/interviewpage", "index"),
        ("website/feedbackformpage", "home"),
    ],
)
def test_add_page_form_opens(admin_client, tree, app_model, parent):
    app, model = app_model.split("/")
    url = reverse("wagtailadmin_pages:add", args=[app, model, tree[parent].pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert b'name="title"' in response.content


@pytest.mark.parametrize("name", ["home", "show", "episode", "index", "interview"])
def test_edit_page_form_opens(admin_client, tree, name):
    response = admin_client.get(reverse("wagtailadmin_pages:edit", args=[tree[name].pk]))
    assert response.status_code == 200


def test_episode_form_offers_the_audio_chooser_and_hides_the_guid(admin_client, tree):
    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[tree["episode"].pk])).content.decode()
    assert 'name="audio"' in html
    assert tree["audio"].title in html
    assert 'name="guid"' not in html


def test_snippet_listings_and_forms_open(admin_client, tree):
    person = PersonFactory()
    for url in [
        reverse("wagtailsnippets_episodes_audiofile:list"),
        reverse("wagtailsnippets_episodes_audiofile:edit", args=[tree["audio"].pk]),
        reverse("wagtailsnippets_episodes_audiofile:inspect", args=[tree["audio"].pk]),
        reverse("wagtailsnippets_episodes_person:list"),
        reverse("wagtailsnippets_episodes_person:edit", args=[person.pk]),
    ]:
        assert admin_client.get(url).status_code == 200, url
