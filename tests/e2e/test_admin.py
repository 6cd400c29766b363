"""The editor's journey in the Wagtail admin, in Chromium: a new episode with uploaded audio, transcribed
by Whisper (the test settings run tasks in the request that queues them), published, and read by a
listener."""

import re

import pytest
from playwright.sync_api import expect

from episodes.factories import ShowPageFactory
from episodes.models import EpisodePage
from tests.e2e.browser import new_context

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct horse battery staple"


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_superuser("editor", "editor@example.org", PASSWORD)


@pytest.fixture
def _no_autosave(settings):
    """Wagtail 8 autosaves the form in the background; an autosave still under way when the editor
    presses Save draft makes the page first, and the press is then refused (the web address is taken).
    The journey is about our pages, not Wagtail's autosave, so it saves by hand only."""
    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0


@pytest.mark.usefixtures("_no_autosave")
def test_an_editor_publishes_an_episode_and_a_listener_reads_its_transcript(
    page, browser, live_server, home_page, editor, audio_dir
):
    """Sign in, Add child page under the show, upload speech in the audio chooser, save a draft, wait for
    the transcript panel to say it is done, publish; then, signed out, the episode page shows the
    transcript Whisper made, line for line. A wrong password, a refused upload or a failed transcription
    stops the journey at that step (a failed one with the panel's message)."""
    show = ShowPageFactory(parent=home_page, title="The Power of Coproduction", slug="coproduction")

    page.goto("/admin/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))

    page.goto(f"/admin/pages/{show.pk}/")
    page.get_by_role("link", name="Add child page").first.click()
    # A show takes only episodes, so Wagtail goes straight to the episode form.
    expect(page).to_have_url(re.compile(rf"/admin/pages/add/episodes/episodepage/{show.pk}/$"))
    form = page.locator("form#page-edit-form")
    form.get_by_role("textbox", name=re.compile("^Title")).fill("Deciding together")
    form.get_by_role("textbox", name=re.compile("^Summary")).fill(
        "Two people choose a treatment side by side."
    )

    form.get_by_role("button", name="Choose audio file").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("tab", name="Upload").click()
    dialog.get_by_label("File").set_input_files(audio_dir / "speech.mp3")
    dialog.get_by_role("button", name="Upload").click()
    # The upload is checked, stored and (immediate task backend) transcribed before the chooser closes.
    expect(dialog).to_be_hidden(timeout=60_000)
    expect(form.locator("#id_audio-title")).to_have_text("speech")

    form.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(re.compile(r"/admin/pages/\d+/edit/$"))
    status = page.locator("[data-transcript-status]")
    for _ in range(30):
        if "Transcript: done" in status.inner_text():
            break
        assert "failed" not in status.inner_text(), status.inner_text()
        page.wait_for_timeout(1000)
        page.reload()
    expect(status).to_contain_text(re.compile(r"Transcript: done,\s+\d+ segments? \(en\)"))

    page.locator("footer .w-dropdown__toggle").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".messages")).to_contain_text("published")

    episode = EpisodePage.objects.get()
    assert episode.live and not episode.has_unpublished_changes
    spoken = [segment.text for segment in episode.audio.transcript.segments.all()]
    assert spoken and "together" in " ".join(spoken).lower(), spoken

    listener = new_context(browser, live_server)
    try:
        public = listener.new_page()
        response = public.goto("/coproduction/deciding-together/")
        assert response.status == 200
        transcript = public.locator(".transcript-section [data-start-ms]")
        expect(transcript).to_have_count(len(spoken))
        for line, text in zip(transcript.all(), spoken, strict=True):
            expect(line).to_contain_text(text)
    finally:
        listener.close()
