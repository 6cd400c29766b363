"""The page cache (pagecache/caching.py): anonymous visitors get stored pages; nobody gets a draft, a preview,
a private page or someone else's page; whatever changes a page purges it.

Purges run after the transaction commits, and pytest-django's ``db`` keeps each test in one transaction:
changes that should purge run inside ``django_capture_on_commit_callbacks(execute=True)``, as a real
commit would.
"""

import pytest
from django.core.cache import cache
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory
from wagtail.contrib.search_promotions.models import Query, SearchPromotion
from wagtail.models import PageViewRestriction, Site

from concepts.factories import ConceptIndexPageFactory, ConceptPageFactory
from concepts.models import Mention
from concepts.tasks import link_transcript_task
from episodes.factories import AudioFileFactory, EpisodePageFactory, PersonFactory, ShowPageFactory
from episodes.models import EpisodePerson
from pagecache import caching, purging
from tests.audio import tone
from transcripts.editing import correct_segments
from transcripts.models import Segment, Transcript
from transcripts.transcribing import transcript_changed
from website.models import FeedbackFormField, FeedbackFormPage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache(settings):
    """The page cache on (tests run with it off), empty before and after each test."""
    settings.PAGE_CACHE_SECONDS = 300
    settings.PAGE_CACHE_MAX_AGE = 60
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="module")
def tone_file(tmp_path_factory):
    return tone(tmp_path_factory.mktemp("audio") / "tone.mp3", 2)


@pytest.fixture
def audio(tone_file):
    return AudioFileFactory(path=tone_file)


@pytest.fixture
def episode(home_page, audio):
    show = ShowPageFactory(parent=home_page)
    page = EpisodePageFactory(parent=show, title="Deciding together", audio=audio)
    transcript = Transcript.objects.create(
        audio=audio, status=Transcript.DONE, audio_sha256=audio.sha256, language="en"
    )
    Segment.objects.create(transcript=transcript, index=0, start_ms=0, end_ms=1500, text="We talk first.")
    return page


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_superuser("editor", "editor@example.org", "pw")


def cached(client, url, **extra):
    """GET ``url`` twice; the second answer."""
    client.get(url, **extra)
    return client.get(url, **extra)


def test_the_second_anonymous_get_is_a_hit_without_queries(client, episode, django_assert_num_queries):
    first = client.get(episode.url)
    with django_assert_num_queries(0):
        second = client.get(episode.url)

    assert (first.status_code, first["X-Cache"]) == (200, "miss")
    assert (second.status_code, second["X-Cache"]) == (200, "hit")
    assert second.content == first.content
    assert "We talk first." in second.content.decode()
    assert first["Cache-Control"] == second["Cache-Control"] == "public, max-age=60"
    assert "Age" not in second


def test_head_is_served_from_and_stored_in_the_cache(client, episode):
    head = client.head(episode.url)
    get = client.get(episode.url)
    head_again = client.head(episode.url)

    assert (head.status_code, head["X-Cache"], head.content) == (200, "miss", b"")
    assert get["X-Cache"] == "hit" and b"We talk first." in get.content
    assert (head_again["X-Cache"], head_again.content) == ("hit", b"")
    assert head_again["Content-Length"] == str(len(get.content))


def test_each_query_string_is_its_own_entry(client, episode):
    """?t=90 and ?t=30 (a moment to start at) are different pages."""
    assert client.get(f"{episode.url}?t=90")["X-Cache"] == "miss"
    assert client.get(f"{episode.url}?t=30")["X-Cache"] == "miss"
    assert client.get(f"{episode.url}?t=90")["X-Cache"] == "hit"
    assert client.get(episode.url)["X-Cache"] == "miss"


def test_an_editor_never_gets_a_cached_page_nor_fills_the_cache(client, episode, editor):
    """Signed in, the page has the user bar: it must not reach visitors, nor theirs reach the editor."""
    client.force_login(editor)
    for _ in range(2):
        response = client.get(episode.url)
        assert response.status_code == 200
        assert "X-Cache" not in response
        assert "private" in response["Cache-Control"]
        assert b"wagtail-userbar" in response.content

    client.logout()
    client.cookies.clear()
    anonymous = client.get(episode.url)
    assert anonymous["X-Cache"] == "miss"
    assert b"wagtail-userbar" not in anonymous.content

    client.force_login(editor)
    assert "X-Cache" not in client.get(episode.url)


def test_a_preview_is_never_served_from_nor_stored_in_the_cache(client, episode):
    """Wagtail renders previews through the middleware with a cookie-less dummy request for the page's
    own URL: it must get the draft, not the cached live page, and leave the live page in the cache."""
    assert client.get(episode.url)["X-Cache"] == "miss"
    episode.title = "A draft title"
    episode.save_revision()

    preview = episode.get_latest_revision_as_object().make_preview_request()

    assert b"A draft title" in preview.content
    assert "X-Cache" not in preview
    live = client.get(episode.url)
    assert b"A draft title" not in live.content and b"Deciding together" in live.content


def test_a_draft_leaves_the_public_page_and_publishing_purges_it(
    client, episode, django_capture_on_commit_callbacks
):
    client.get(episode.url)
    episode.title = "Deciding together, again"
    with django_capture_on_commit_callbacks(execute=True):
        revision = episode.save_revision()
    draft = client.get(episode.url)
    assert b"Deciding together, again" not in draft.content and b"Deciding together" in draft.content

    with django_capture_on_commit_callbacks(execute=True):
        revision.publish()
    published = client.get(episode.url)

    assert published["X-Cache"] == "miss"
    assert b"Deciding together, again" in published.content


def test_a_draft_save_does_not_purge_by_itself(episode, settings, django_capture_on_commit_callbacks):
    """Only the page row's draft fields change. (Wagtail re-indexes the row on every save, and that task
    purges when it finishes, like every task that may change what pages show: held back here.)"""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    episode.title = "Only a draft"
    with django_capture_on_commit_callbacks() as callbacks:
        episode.save_revision()
    assert not purges(callbacks)

    with django_capture_on_commit_callbacks() as callbacks:
        episode.save_revision().publish()
    assert any(episode.full_url in purge.affected for purge in purges(callbacks))


def test_unpublishing_purges(client, episode, django_capture_on_commit_callbacks):
    cached(client, episode.url)
    with django_capture_on_commit_callbacks(execute=True):
        episode.unpublish()
    assert client.get(episode.url).status_code == 404


def test_a_private_page_is_never_cached_not_even_once_unlocked(client, episode, settings):
    """A password restriction: the form (which sets the CSRF cookie) is not stored, the unlocked page is
    passed through with the session, and a stranger still gets the form."""
    restriction = PageViewRestriction.objects.create(
        page=episode, restriction_type=PageViewRestriction.PASSWORD, password="open sesame"
    )
    for _ in range(2):
        form = client.get(episode.url)
        assert form["X-Cache"] == "pass"
        assert b"We talk first." not in form.content

    unlock = client.post(
        f"/_util/authenticate_with_password/{restriction.pk}/{episode.pk}/",
        {"password": "open sesame", "return_url": episode.url},
    )
    assert unlock.status_code == 302
    assert settings.SESSION_COOKIE_NAME in client.cookies
    for _ in range(2):
        unlocked = client.get(episode.url)
        assert b"We talk first." in unlocked.content
        assert "X-Cache" not in unlocked
        assert "private" in unlocked["Cache-Control"]
    # Second line of defence: Wagtail marks restricted pages private, so even without the session check
    # the unlocked page would not be stored.
    assert not caching.storable(unlocked.wsgi_request, unlocked)

    client.cookies.clear()
    stranger = client.get(episode.url)
    assert b"We talk first." not in stranger.content and stranger["X-Cache"] != "hit"


def test_correcting_the_transcript_purges(client, episode, editor, django_capture_on_commit_callbacks):
    cached(client, episode.url)
    segment = Segment.objects.get(transcript__audio=episode.audio)
    values = {"start_ms": 0, "end_ms": 1500, "speaker": "", "text": "We listen first."}

    with django_capture_on_commit_callbacks(execute=True):
        correct_segments(segment.transcript, {segment.pk: values}, [], editor)
    response = client.get(episode.url)

    assert response["X-Cache"] == "miss"
    assert b"We listen first." in response.content and b"We talk first." not in response.content


def test_the_transcript_changed_hook_purges_by_itself(episode, django_capture_on_commit_callbacks):
    """Not only through the tasks it starts (linking, indexing): their purges are not run here."""
    with django_capture_on_commit_callbacks() as callbacks:
        transcript_changed(Transcript.objects.get(audio=episode.audio))
    assert any(episode.full_url in purge.affected for purge in purges(callbacks))


def purges(callbacks):
    return [callback for callback in callbacks if isinstance(callback, purging.Purge)]


def _nothing(episode):
    return None


def _guest(episode):
    person = PersonFactory(name="Ada Guest")
    EpisodePerson.objects.create(page=episode, person=person, role="guest")
    return person


def _rename(person):
    person.name = "Ada Host"
    person.save()


def _concept(episode):
    index = ConceptIndexPageFactory(parent=Site.objects.get(is_default_site=True).root_page)
    return ConceptPageFactory(parent=index, title="Talking"), episode


def _mention(concept_and_episode):
    concept, episode = concept_and_episode
    segment = Segment.objects.get(transcript__audio=episode.audio)
    Mention.objects.create(concept=concept, page=episode, segment=segment, start_ms=0, quote=segment.text)


def _concept_said(episode):
    index = ConceptIndexPageFactory(parent=Site.objects.get(is_default_site=True).root_page)
    return ConceptPageFactory(parent=index, title="Talk"), episode


def _linking_task(concept_and_episode):
    """Linking finds "talk" in the transcript: the episode page now lists the concept."""
    _concept, episode = concept_and_episode
    link_transcript_task.enqueue(Transcript.objects.get(audio=episode.audio).pk)
    assert Mention.objects.filter(page=episode).exists()


def _restriction(episode):
    PageViewRestriction.objects.create(page=episode, restriction_type=PageViewRestriction.LOGIN)


def _site(episode):
    site = Site.objects.get(is_default_site=True)
    site.site_name = "Coproduction"
    site.save()


def _promotion(episode):
    SearchPromotion.objects.create(query=Query.get("talk"), page=episode, sort_order=0)


def _other_show(episode):
    return ShowPageFactory(parent=Site.objects.get(is_default_site=True).root_page), episode


def _move(show_and_episode):
    show, episode = show_and_episode
    episode.move(show, pos="last-child")


def _delete(episode):
    episode.delete()


@pytest.mark.parametrize(
    ("setup", "change"),
    [
        (_guest, _rename),
        (_concept, _mention),
        (_concept_said, _linking_task),
        (_nothing, _restriction),
        (_nothing, _site),
        (_nothing, _promotion),
        (_other_show, _move),
        (_nothing, _delete),
    ],
)
def test_changes_that_pages_show_purge(client, episode, setup, change, django_capture_on_commit_callbacks):
    """Each change, committed, purges the page: the next request renders it again. (The setup's own
    purges are not run: pytest-django never commits it.)"""
    made = setup(episode) or episode
    url = episode.url
    assert cached(client, url)["X-Cache"] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        change(made)

    assert client.get(url)["X-Cache"] != "hit"


def test_a_response_that_sets_a_cookie_is_not_stored(client, home_page):
    """The feedback form has a CSRF token, so its answer sets the CSRF cookie: never stored, or every
    visitor would get the same token."""
    page = FeedbackFormPage(title="We want to hear from you", slug="feedback")
    home_page.add_child(instance=page)
    FeedbackFormField.objects.create(page=page, label="Message", field_type="multiline", required=True)
    page.save_revision().publish()

    for _ in range(2):
        response = client.get(page.url)
        assert response.status_code == 200
        assert "csrftoken" in response.cookies
        assert response["X-Cache"] == "pass"


def test_post_is_neither_served_nor_stored(client, episode):
    """Wagtail pages answer POST too (forms): always rendered, never stored."""
    assert "X-Cache" not in client.post(episode.url)
    assert client.get(episode.url)["X-Cache"] == "miss"
    post = client.post(episode.url)
    assert post.status_code == 200 and "X-Cache" not in post


def test_the_admins_are_not_cached(client, episode):
    for url in ("/admin/login/", "/django-admin/login/"):
        for _ in range(2):
            assert "X-Cache" not in client.get(url)


@pytest.mark.parametrize(
    ("path", "headers", "cacheable"),
    [
        ("/shows/episode/", {}, True),
        ("/admin/pages/", {}, False),
        ("/django-admin/", {}, False),
        ("/administration-guide/", {}, True),
        ("/shows/episode/", {"HTTP_COOKIE": "sessionid=abc"}, False),
        ("/shows/episode/", {"HTTP_COOKIE": "messages=abc"}, False),
        ("/shows/episode/", {"HTTP_COOKIE": "csrftoken=abc"}, True),
        ("/shows/episode/", {"HTTP_AUTHORIZATION": "Basic ZWQ6cHc="}, False),
    ],
)
def test_which_requests_may_be_served_from_the_cache(path, headers, cacheable):
    """Input: a GET with these cookies or headers; a wrong answer either leaks (True for a session) or
    wastes the cache (False for a stranger's CSRF cookie)."""
    assert caching.cacheable_request(RequestFactory().get(path, **headers)) is cacheable


def _html(**headers):
    response = HttpResponse("<p>Hello</p>")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


@pytest.mark.parametrize(
    ("make_response", "stored"),
    [
        (lambda: _html(), True),
        (lambda: _html(Vary="Cookie"), True),
        (lambda: _html(Vary="Cookie, Accept-Language"), False),
        (lambda: _html(Vary="*"), False),
        (lambda: _html(Cache_Control="private"), False),
        (lambda: _html(Cache_Control="no-store"), False),
        (lambda: _html(Cache_Control="max-age=0"), False),
        (lambda: HttpResponse("<p>Oops</p>", status=500), False),
        (lambda: HttpResponse("<p>Gone</p>", status=404), False),
        (lambda: HttpResponse(status=301, headers={"Location": "/elsewhere/"}), False),
        (lambda: HttpResponse('{"a": 1}', content_type="application/json"), False),
        (lambda: StreamingHttpResponse(iter([b"<p>a</p>"])), False),
    ],
)
def test_which_responses_are_stored(make_response, stored):
    """Input: what a view answers to an anonymous GET; a response that varies on what the key does not
    hold, says private, failed or streams must be rendered again for the next visitor."""
    calls = []

    def view(request):
        calls.append(request)
        return make_response()

    middleware = caching.PageCacheMiddleware(view)
    first = middleware(RequestFactory().get("/somewhere/"))
    second = middleware(RequestFactory().get("/somewhere/"))

    assert len(calls) == (1 if stored else 2)
    assert first["X-Cache"] == ("miss" if stored else "pass")
    assert second["X-Cache"] == ("hit" if stored else "pass")


def test_a_purge_outside_a_transaction_is_immediate_and_survives_a_lost_generation(client, episode):
    cached(client, episode.url)
    cache.delete(caching.GENERATION_KEY)  # evicted by the cache server, say
    assert client.get(episode.url)["X-Cache"] == "miss"
    assert client.get(episode.url)["X-Cache"] == "hit"

    caching._bump()
    assert client.get(episode.url)["X-Cache"] == "miss"


def test_the_page_cache_off_stores_nothing(client, episode, settings):
    settings.PAGE_CACHE_SECONDS = 0
    for _ in range(2):
        response = client.get(episode.url)
        assert "X-Cache" not in response and "Cache-Control" not in response


def test_rows_loaded_as_they_are_purge_everything_without_asking_rules(django_capture_on_commit_callbacks):
    """A raw save (loaddata, or a test database restored from its serialized copy, where pages may come
    before their content types): no rule can be asked. Bad: ContentType.DoesNotExist while the rule looks
    for the page's type (seen restoring the test database after a transactional test), or no purge."""
    from django.db.models.signals import post_save
    from wagtail.models import Page

    loaded = Page(pk=987654, title="Loaded", slug="loaded", path="00019999", depth=2, content_type_id=987654)
    with django_capture_on_commit_callbacks() as callbacks:
        post_save.send(
            sender=Page, instance=loaded, raw=True, created=True, update_fields=None, using="default"
        )
    [purge] = purges(callbacks)
    assert purge.full
