"""Episode, show and interview pages: GUIDs, rendering, and what listeners see."""

import pytest
from wagtail.models import PageViewRestriction

from episodes.factories import (
    AudioFileFactory,
    EpisodePageFactory,
    InterviewIndexPageFactory,
    InterviewPageFactory,
    PersonFactory,
    ShowPageFactory,
)
from episodes.models import Chapter, EpisodePage, EpisodePerson

pytestmark = pytest.mark.django_db


@pytest.fixture
def show(home_page):
    return ShowPageFactory(parent=home_page)


def test_guid_is_assigned_at_creation_and_kept_on_edit_and_publish(show):
    episode = EpisodePageFactory(parent=show)
    guid = episode.guid
    assert len(guid) == 36

    episode.title = "A new title"
    episode.save_revision().publish()
    episode.refresh_from_db()
    assert episode.guid == guid


def test_guid_is_not_editable_in_the_admin_form():
    form_class = EpisodePage.get_edit_handler().get_form_class()
    assert "guid" not in form_class.base_fields


def test_copied_episode_gets_a_new_guid(show):
    episode = EpisodePageFactory(parent=show)
    copy = episode.copy(update_attrs={"slug": "copy-of-episode", "title": "Copy"})
    assert copy.guid != episode.guid
    assert EpisodePage.objects.get(pk=episode.pk).guid == episode.guid


def test_episode_page_renders_audio_chapters_people(client, show, audio_dir):
    audio = AudioFileFactory(path=audio_dir / "tone.mp3")
    episode = EpisodePageFactory(parent=show, audio=audio, title="Deciding together")
    guest = PersonFactory(name="Amara Osei")
    EpisodePerson.objects.create(page=episode, person=guest, role="guest")
    Chapter.objects.create(page=episode, start_ms=75_000, title="Why it matters")

    response = client.get(episode.url)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'src="{audio.url}"' in html
    assert "Deciding together" in html
    assert "Amara Osei" in html and "(Guest)" in html
    assert '<time datetime="PT75S">1:15</time>' in html


def test_show_page_lists_only_live_public_episodes_newest_first(client, show):
    older = EpisodePageFactory(parent=show, title="Older episode", publication_date="2026-01-01T10:00Z")
    newer = EpisodePageFactory(parent=show, title="Newer episode", publication_date="2026-02-01T10:00Z")
    draft = EpisodePageFactory(parent=show, title="Draft episode", live=False)
    private = EpisodePageFactory(parent=show, title="Private episode")
    PageViewRestriction.objects.create(page=private, restriction_type=PageViewRestriction.LOGIN)

    assert list(show.episodes()) == [newer, older]
    html = client.get(show.url).content.decode()
    assert html.index("Newer episode") < html.index("Older episode")
    assert draft.title not in html
    assert private.title not in html


def test_serial_show_lists_oldest_first(show):
    show.show_type = show.SERIAL
    first = EpisodePageFactory(parent=show, publication_date="2026-01-01T10:00Z")
    second = EpisodePageFactory(parent=show, publication_date="2026-02-01T10:00Z")
    assert list(show.episodes()) == [first, second]


def test_interview_page_renders_question_answer_and_pull_quote(client, home_page):
    index = InterviewIndexPageFactory(parent=home_page)
    interview = InterviewPageFactory(
        parent=index,
        title="Nothing about us without us",
        body=[
            ("question", {"text": "Where did it start?"}),
            ("answer", {"text": "<p>With a kitchen-table conversation.</p>"}),
            ("pull_quote", {"quote": "Listen first, then plan.", "attribution": "A carer"}),
        ],
    )

    response = client.get(interview.url)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<p class="question">Where did it start?</p>' in html
    assert "kitchen-table conversation" in html
    assert '<blockquote class="pull-quote"><p>Listen first, then plan.</p></blockquote>' in html
    assert "Nothing about us without us" in client.get(index.url).content.decode()


def test_hostile_title_is_escaped(client, show):
    episode = EpisodePageFactory(parent=show, title='<script>alert("x")</script> & friends')
    html = client.get(episode.url).content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; friends" in html
