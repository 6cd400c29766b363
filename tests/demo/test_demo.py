"""`manage.py load_demo`: the demo site, loaded as often as you like, never in production by accident."""

from dataclasses import replace
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from wagtail.images import get_image_model
from wagtail.models import Page, PageLogEntry, Revision, Site

from concepts.models import ConceptPage, Mention
from demo import concepts, content
from demo.synthesis import AUDIO_DIR, chapter_problems, speak_episode
from episodes.audioinfo import inspect_audio
from episodes.models import AudioFile, Chapter, InterviewPage, Person, ShowPage
from website.models import FeedbackFormField, FeedbackFormPage

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def login_file(tmp_path, monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    return tmp_path / ".demo-login"


def load_demo(login_file, *args, **options) -> str:
    out = StringIO()
    options.setdefault("force", True)  # the test settings have DEBUG off
    call_command("load_demo", *args, login_file=login_file, stdout=out, **options)
    return out.getvalue()


def media_files(settings) -> list[Path]:
    return sorted(path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file())


def snapshot() -> dict:
    """Everything the loader could create or change."""
    return {
        "pages": list(
            Page.objects.order_by("pk").values_list(
                "pk", "title", "slug", "live", "latest_revision_id", "last_published_at", "draft_title"
            )
        ),
        "revisions": Revision.objects.count(),
        "log entries": PageLogEntry.objects.count(),
        "people": list(Person.objects.order_by("pk").values_list("pk", "name", "role_description", "bio")),
        "audio": list(AudioFile.objects.order_by("pk").values_list("pk", "sha256", "file")),
        "images": list(
            get_image_model().objects.order_by("pk").values_list("pk", "title", "file", "file_hash")
        ),
        "chapters": Chapter.objects.count(),
        "form fields": FeedbackFormField.objects.count(),
        "users": list(User.objects.order_by("pk").values_list("pk", "username", "password", "is_superuser")),
        "sites": list(Site.objects.values_list("pk", "site_name", "root_page_id")),
    }


def test_a_second_run_creates_nothing_and_changes_nothing(home_page, login_file, settings):
    load_demo(login_file)
    first, files = snapshot(), media_files(settings)
    # root, home, show, episodes, interview index and interview, feedback form, concept index, concepts
    assert len(first["pages"]) == 3 + len(content.EPISODES) + 3 + 1 + len(concepts.CONCEPTS)
    assert len(first["people"]) == len(content.PEOPLE)
    assert len(first["audio"]) == len(content.EPISODES)
    assert len(first["images"]) == 1 + len(content.EPISODES)  # the show's artwork and each episode's
    assert len(files) == len(first["audio"]) + len(first["images"])
    assert len(first["users"]) == 1

    output = load_demo(login_file)

    assert snapshot() == first
    assert media_files(settings) == files
    assert "Created" not in output and "Stored" not in output


def test_the_demo_site_has_a_show_with_episodes_an_interview_and_a_feedback_form(
    client, home_page, login_file
):
    load_demo(login_file)

    show = ShowPage.objects.get(slug=content.SHOW["slug"])
    assert show.live
    assert [c.category for c in show.categories.all()] == list(content.SHOW["categories"])
    assert show.hosts.count() == 2
    episodes = list(show.episodes())
    assert len(episodes) >= 3
    assert sorted((e.season, e.episode_number) for e in episodes) == [(1, 1), (1, 2), (1, 3)]
    for episode in episodes:
        assert episode.audio.duration_ms > 0
        assert episode.audio.mime_type == "audio/mpeg"
        assert episode.people.exists()
        chapters = list(episode.chapters.all())
        assert 2 <= len(chapters) <= 3
        assert all(chapter.start_ms < episode.audio.duration_ms for chapter in chapters)
        assert episode.related

    interview = InterviewPage.objects.get(slug=content.INTERVIEW.slug)
    assert interview.live and interview.get_parent().live
    assert {block.block_type for block in interview.body} == {"question", "answer", "pull_quote"}
    feedback = FeedbackFormPage.objects.get(slug=content.FEEDBACK_FORM.slug)
    assert feedback.live
    dropdown = feedback.form_fields.get(field_type="dropdown")
    assert "A clinician" in dropdown.choices

    home_page.refresh_from_db()
    assert home_page.featured_show_id == show.pk
    assert home_page.title == content.HOME_TITLE
    site = Site.objects.get(is_default_site=True)
    assert site.site_name == content.SITE_NAME
    # The migration's placeholder localhost:80 now names the development server, so full URLs work.
    assert (site.hostname, site.port) == ("127.0.0.1", 8000)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert show.title in html
    assert all(episode.title in html for episode in episodes)
    for page in (show, episodes[0], interview, feedback):
        assert client.get(page.url).status_code == 200
    assert client.get(episodes[0].audio.url).status_code == 200


def test_the_demo_glossary_has_eight_related_concepts_linked_to_the_interview(
    client, home_page, login_file, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the linking tasks run after commit
        load_demo(login_file)

    glossary = ConceptPage.objects.live().order_by("title")
    assert glossary.count() >= 8
    for concept in glossary:
        assert concept.definition and concept.body and concept.related_concepts().exists(), concept
    coproduction = glossary.get(slug="coproduction")
    assert "Mutual respect" in [c.title for c in coproduction.related_concepts()]
    assert "Coproduction" in [c.title for c in glossary.get(slug="mutual-respect").related_concepts()]
    interview = InterviewPage.objects.get(slug=content.INTERVIEW.slug)
    safety = Mention.objects.get(page=interview, concept__slug="safety-culture")
    assert "safety culture" in safety.quote
    index_html = client.get(coproduction.get_parent().url).content.decode()
    assert all(concept.title in index_html for concept in glossary)
    assert interview.url in client.get(safety.concept.url).content.decode()


def test_a_failure_part_way_leaves_no_content_and_no_stored_audio(
    home_page, login_file, settings, monkeypatch
):
    # The feedback form comes after the episodes and their audio; a title too long fails validation.
    monkeypatch.setattr(content, "FEEDBACK_FORM", replace(content.FEEDBACK_FORM, title="x" * 300))
    pages = Page.objects.count()

    with pytest.raises(ValidationError, match="at most 255 characters"):
        load_demo(login_file)

    assert Page.objects.count() == pages
    assert not Person.objects.exists() and not AudioFile.objects.exists()
    assert media_files(settings) == []


def test_missing_demo_audio_is_explained(home_page, login_file, tmp_path, monkeypatch):
    monkeypatch.setattr("demo.loader.AUDIO_DIR", tmp_path / "no-audio")

    with pytest.raises(CommandError, match="make demo-audio"):
        load_demo(login_file)
    assert not ShowPage.objects.exists()


def test_login_only_ensures_the_admin_and_creates_no_content(home_page, login_file):
    pages = Page.objects.count()

    output = load_demo(login_file, login_only=True)

    assert Page.objects.count() == pages
    assert not Person.objects.exists() and not AudioFile.objects.exists()
    assert login_file.stat().st_mode & 0o777 == 0o600
    password = login_file.read_text().split("password:")[1].strip()
    user = User.objects.get(username="admin")
    assert user.is_superuser and user.is_staff and user.check_password(password)
    assert "http://127.0.0.1:8000/admin/" in output
    assert "Site:  http://127.0.0.1:8000/\n" in output
    assert f"admin / {password}" in output


def test_a_later_run_restores_the_password_from_the_login_file(home_page, login_file, monkeypatch):
    load_demo(login_file, login_only=True)
    password = login_file.read_text().split("password:")[1].strip()
    user = User.objects.get(username="admin")
    user.set_password("changed-elsewhere")
    user.save()
    monkeypatch.setenv("PORT", "8123")

    output = load_demo(login_file, login_only=True)

    user.refresh_from_db()
    assert user.check_password(password)
    assert User.objects.count() == 1
    assert "http://127.0.0.1:8123/admin/" in output


def test_it_refuses_to_run_without_debug_unless_forced(home_page, login_file, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        load_demo(login_file, force=False)
    assert not User.objects.exists()
    assert not login_file.exists()
    assert not ShowPage.objects.exists()

    settings.DEBUG = True
    load_demo(login_file, login_only=True, force=False)
    assert User.objects.filter(username="admin").exists()


def test_make_audio_only_says_what_to_install_when_a_tool_is_missing(monkeypatch, login_file):
    monkeypatch.setattr("demo.synthesis.shutil.which", lambda tool: None)
    with pytest.raises(CommandError, match="espeak-ng is not installed"):
        load_demo(login_file, make_audio_only=True)


@pytest.mark.parametrize("episode", content.EPISODES, ids=lambda episode: episode.slug)
def test_the_committed_audio_is_small_and_its_chapters_fit(episode):
    path = AUDIO_DIR / episode.audio_name
    size = path.stat().st_size
    assert size < 300_000
    with path.open("rb") as fh:
        info = inspect_audio(fh, size)
    assert info.format.extension == "mp3" and info.channels == 1
    assert chapter_problems(episode, info.duration_ms) == []


def test_a_script_is_spoken_into_an_mp3_with_known_line_starts(tmp_path):
    episode = min(content.EPISODES, key=lambda e: sum(len(line.text) for line in e.script))

    spoken = speak_episode(episode, tmp_path)

    assert spoken.path == tmp_path / episode.audio_name
    assert len(spoken.line_starts_ms) == len(episode.script)
    assert spoken.line_starts_ms[0] == 0
    assert list(spoken.line_starts_ms) == sorted(set(spoken.line_starts_ms))
    assert spoken.line_starts_ms[-1] < spoken.duration_ms
    assert chapter_problems(episode, spoken.duration_ms) == []
