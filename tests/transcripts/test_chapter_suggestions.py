"""The admin page where an editor accepts some of the chapters suggested from the transcript
(transcripts/chapter_suggestions.py) into a new draft."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.messages import get_messages
from django.urls import reverse
from wagtail.models import GroupPagePermission

from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from episodes.models import Chapter, EpisodePage
from tests.audio import tone
from tests.transcripts.chapter_samples import DECISIONS, MEDICATION, SELF_CARE, segments
from transcripts.chapters import suggest_chapters
from transcripts.models import Segment, Transcript

URL_NAME = "transcripts_suggest_chapters"


@pytest.fixture(scope="module")
def long_audio(tmp_path_factory):
    """A real 9 minute 20 second file, long enough for the transcript below."""
    return tone(tmp_path_factory.mktemp("long") / "long.mp3", 560, rate=8000)


@pytest.fixture
def episode(home_page, long_audio):
    show = ShowPageFactory(parent=home_page)
    return EpisodePageFactory(parent=show, audio=AudioFileFactory(path=long_audio, title="Long talk"))


@pytest.fixture
def transcript(episode):
    transcript = Transcript.objects.create(
        audio=episode.audio, status="done", language="en", audio_sha256=episode.audio.sha256
    )
    Segment.objects.bulk_create(
        Segment(transcript=transcript, index=i, **row)
        for i, row in enumerate(segments(DECISIONS, MEDICATION, SELF_CARE))
    )
    return transcript


@pytest.fixture
def suggestions(transcript):
    return suggest_chapters(transcript.segments.all())


def url(episode):
    return reverse(URL_NAME, args=[episode.pk])


def form_data(rows, ticked: dict[int, str]):
    """What the browser sends: every suggestion, with ``ticked`` (index -> title) ticked."""
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "50",
    }
    for i, (start_ms, title) in enumerate(rows):
        data[f"form-{i}-start_ms"] = str(start_ms)
        data[f"form-{i}-title"] = ticked.get(i, title)
        if i in ticked:
            data[f"form-{i}-add"] = "on"
    return data


def messages_of(response):
    return [str(message).strip() for message in get_messages(response.wsgi_request)]


def draft_chapters(episode):
    page = EpisodePage.objects.get(pk=episode.pk)
    return [(c.start_ms, c.title) for c in page.get_latest_revision_as_object().chapters.all()]


@pytest.mark.django_db
def test_the_edit_page_links_to_the_suggestions_once_the_transcript_is_done(
    admin_client, episode, transcript
):
    edit = reverse("wagtailadmin_pages:edit", args=[episode.pk])
    assert f'href="{url(episode)}"' in admin_client.get(edit).content.decode()

    Transcript.objects.filter(pk=transcript.pk).update(status="running")
    assert url(episode) not in admin_client.get(edit).content.decode()


@pytest.mark.django_db
def test_the_suggestions_are_listed_as_a_form(admin_client, episode, transcript, suggestions):
    response = admin_client.get(url(episode))

    html = response.content.decode()
    assert response.status_code == 200
    assert len(suggestions) == 3
    assert html.count("<fieldset") == 3
    for i, suggestion in enumerate(suggestions):
        seconds = suggestion.start_ms // 1000
        assert f'<legend class="w-h3">Chapter at 0:{seconds // 60:02d}:{seconds % 60:02d}</legend>' in html
        assert f'name="form-{i}-title" value="{suggestion.title}"' in html
        assert f'name="form-{i}-start_ms" value="{suggestion.start_ms}"' in html
        assert f'<label class="w-field__label" for="id_form-{i}-add" id="id_form-{i}-add-label">' in html
        opening = transcript.segments.get(start_ms=suggestion.start_ms).text
        assert f"Begins: “{opening}”" in html.replace("&#x27;", "'")
        assert f"Words particular to this part: {', '.join(suggestion.keywords)}" in html
    assert 'type="checkbox"' in html and "checked" not in html  # nothing is accepted unless ticked


@pytest.mark.django_db
def test_the_ticked_chapters_go_into_a_new_draft_and_the_live_page_is_unchanged(
    admin_client, admin_user, episode, suggestions
):
    revisions_before = episode.revisions.count()
    rows = [(s.start_ms, s.title) for s in suggestions]

    response = admin_client.post(url(episode), form_data(rows, {1: "Medication safety", 2: rows[2][1]}))

    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_pages:edit", args=[episode.pk])
    assert messages_of(response) == ["2 chapters added to a new draft; review and publish."]
    assert draft_chapters(episode) == [(rows[1][0], "Medication safety"), rows[2]]
    page = EpisodePage.objects.get(pk=episode.pk)
    assert page.revisions.count() == revisions_before + 1
    assert page.get_latest_revision().user == admin_user
    assert page.live and page.has_unpublished_changes
    assert not Chapter.objects.filter(page=page).exists()  # the live page has no chapters yet


@pytest.mark.django_db
def test_a_chapter_is_not_added_again_where_the_draft_already_has_one(admin_client, episode, suggestions):
    draft = episode.get_latest_revision_as_object()
    draft.chapters = [Chapter(start_ms=suggestions[1].start_ms, title="Keeping medicines safe")]
    draft.save_revision()
    rows = [(s.start_ms, s.title) for s in suggestions]

    listing = admin_client.get(url(episode)).content.decode()
    response = admin_client.post(
        url(episode),
        form_data(
            [rows[0], rows[1], rows[2], rows[2]],
            {0: "Introduction", 1: "Again", 2: rows[2][1], 3: rows[2][1]},
        ),
    )

    assert listing.count("<fieldset") == 2 and "“Keeping medicines safe”" in listing
    assert messages_of(response)[0].startswith(
        "2 chapters added to a new draft; review and publish. Not added"
    )
    assert draft_chapters(episode) == [
        (0, "Introduction"),
        (rows[1][0], "Keeping medicines safe"),
        (rows[2][0], rows[2][1]),
    ]


@pytest.mark.django_db
def test_a_ticked_chapter_needs_a_title_and_a_start_within_the_audio(admin_client, episode, suggestions):
    rows = [(s.start_ms, s.title) for s in suggestions]
    revisions_before = episode.revisions.count()

    untitled = admin_client.post(url(episode), form_data(rows, {1: ""}))
    too_late = admin_client.post(
        url(episode), form_data([(episode.audio.duration_ms + 1, "Outro")], {0: "Outro"})
    )
    huge = admin_client.post(url(episode), form_data([("9" * 30, "Outro")], {0: "Outro"}))
    tampered = admin_client.post(url(episode), {"form-0-add": "on"})
    nothing = admin_client.post(url(episode), form_data(rows, {}))

    assert "Give the chapter a title, or leave it unticked." in untitled.content.decode()
    assert "Start: This is after the end of the audio (9:20.160)." in too_late.content.decode()
    assert "Start: This is after the end of the audio (9:20.160)." in huge.content.decode()
    assert "ManagementForm data is missing or has been tampered with" in tampered.content.decode()
    assert "Tick the chapters you want to add." in messages_of(nothing)
    assert {r.status_code for r in (untitled, too_late, huge, tampered, nothing)} == {200}
    assert EpisodePage.objects.get(pk=episode.pk).revisions.count() == revisions_before


@pytest.fixture
def editors(episode, django_user_model):
    """A user who may use the admin but edit nothing, and one who may edit the show's episodes."""
    access = Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    onlookers, editors = Group.objects.create(name="Onlookers"), Group.objects.create(name="Show editors")
    onlookers.permissions.add(access)
    editors.permissions.add(access)
    GroupPagePermission.objects.create(group=editors, page=episode.get_parent(), permission_type="change")
    onlooker = django_user_model.objects.create_user("onlooker", password="x")
    onlooker.groups.add(onlookers)
    editor = django_user_model.objects.create_user("editor", password="x")
    editor.groups.add(editors)
    return onlooker, editor


@pytest.mark.django_db
def test_only_users_who_may_edit_the_episode_may_add_chapters(client, episode, suggestions, editors):
    onlooker, editor = editors
    data = form_data([(s.start_ms, s.title) for s in suggestions], {1: "Medication"})

    client.force_login(onlooker)
    # Wagtail answers a PermissionDenied in the admin by going home with its message (403 to scripts).
    for shown, send in enumerate((client.get, client.post), start=1):
        response = send(url(episode), data)
        assert (response.status_code, response.url) == (302, reverse("wagtailadmin_home"))
        # Messages wait in the cookie until a page shows them: one more each time.
        assert messages_of(response) == ["Sorry, you do not have permission to access this area."] * shown
    assert client.post(url(episode), data, headers={"x-requested-with": "XMLHttpRequest"}).status_code == 403
    assert draft_chapters(episode) == []

    client.force_login(editor)
    assert client.get(url(episode)).status_code == 200
    assert client.post(url(episode), data).status_code == 302
    assert draft_chapters(episode) == [(suggestions[1].start_ms, "Medication")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": "queued"}, "Chapters can be suggested once the transcript is done (it is queued)"),
        ({"status": "failed"}, "Chapters can be suggested once the transcript is done (it is failed)"),
        ({"audio_sha256": "0" * 64}, "The transcript is of an earlier version of the audio file"),
        (None, "Chapters can be suggested once the transcript is done (it is not started)"),
    ],
    ids=["queued", "failed", "stale", "none"],
)
def test_without_a_finished_transcript_the_editor_is_sent_back_with_the_reason(
    admin_client, episode, transcript, change, message
):
    if change is None:
        transcript.delete()
    else:
        Transcript.objects.filter(pk=transcript.pk).update(**change)

    for shown, send in enumerate((admin_client.get, admin_client.post), start=1):
        response = send(url(episode), {})
        assert response.status_code == 302
        assert response.url == reverse("wagtailadmin_pages:edit", args=[episode.pk])
        # Messages wait in the cookie until a page shows them: one more each time.
        assert [m[: len(message)] for m in messages_of(response)] == [message] * shown
    assert draft_chapters(episode) == []


@pytest.mark.django_db
def test_an_episode_without_audio_is_sent_back_with_the_reason(admin_client, home_page):
    episode = EpisodePageFactory(parent=ShowPageFactory(parent=home_page))

    response = admin_client.get(url(episode))

    assert response.status_code == 302
    assert messages_of(response) == [
        "Chapters are suggested from the transcript: choose the episode's audio and save first."
    ]


@pytest.mark.django_db
def test_a_page_locked_by_someone_else_gets_no_chapters(
    admin_client, episode, suggestions, django_user_model
):
    other = django_user_model.objects.create_superuser("other", password="x")
    EpisodePage.objects.filter(pk=episode.pk).update(locked=True, locked_by=other)

    response = admin_client.post(
        url(episode), form_data([(s.start_ms, s.title) for s in suggestions], {1: "M"})
    )

    assert response.status_code == 302
    assert messages_of(response)[0].startswith("Chapters cannot be added now:")
    assert draft_chapters(episode) == []


@pytest.mark.django_db
def test_a_page_that_is_not_an_episode_is_not_found(admin_client, home_page):
    assert admin_client.get(reverse(URL_NAME, args=[home_page.pk])).status_code == 404
