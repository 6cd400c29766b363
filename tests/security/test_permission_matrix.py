"""Who may reach what: every role against every public and admin endpoint, one test per cell.

The roles are those of docs/editors.md ("Who can do what"): an anonymous visitor (there are no listener
accounts), an editor (in the Editors group), a moderator (in Moderators) and an administrator (a
superuser). The groups' permissions are those the migrations give (website/0003_editor_roles).

One site is built once for the module: a live episode, and episodes that nobody outside the admin may
see: a draft, one that was published and then unpublished, one waiting in moderation, one for signed-in
visitors only and one behind a password; the live episode also has an unpublished revision. Each of those
carries its own marker words (title, summary, chapter, transcript line), and its audio and transcript URLs
are markers too. One more live episode's audio file was replaced after an editor corrected its transcript:
the page is public, but the transcript is of the old audio, so its line and its URL are markers too (issue
13). A public response "contains" when any marker is in it, else it is "absent".

Each cell's outcome is one of: a status code; ``login`` (a redirect to a sign-in page); ``denied``
(the Wagtail admin's redirect to its dashboard, which is how it refuses a signed-in user); ``contains`` or
``absent``; ``published`` or ``not published`` after an action that would publish; ``in moderation`` or
``not in moderation`` after submitting; ``rescheduled`` or ``not rescheduled`` after the calendar's
reschedule of a scheduled episode. A cell fails with role, endpoint, expected and got.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from wagtail.models import Revision

from episodes.models import EpisodePage
from tests.episodes.admin_forms import episode_form_data
from tests.security.permission_world import (
    DRAFT,
    HIDDEN_WORD,
    LIVE,
    MEMBERS,
    PASSWORD,
    PENDING,
    REPLACED,
    UNPUBLISHED,
    World,
    build_world,
)

ROLES = ("anonymous", "editor", "moderator", "administrator")

LOGIN, DENIED = "login", "denied"
CONTAINS, ABSENT = "contains", "absent"
PUBLISHED, NOT_PUBLISHED = "published", "not published"
IN_MODERATION, NOT_IN_MODERATION = "in moderation", "not in moderation"
RESCHEDULED, NOT_RESCHEDULED = "rescheduled", "not rescheduled"
# Where the calendar cells move a scheduled episode to (the draft, scheduled for the cell).
NEW_GO_LIVE = "2031-03-03T09:30"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, audio_dir, tmp_path_factory):
    """The site, built once for every cell and rolled back after the module. (Its pages are indexed with
    the search backend that tests/conftest.py's ``_search_backend_chosen_afresh`` left to pick afresh.)"""
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        yield build_world(audio_dir, Client())
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _media_root():
    """Replaces the suite's per-test MEDIA_ROOT: the world's audio lives in the module's folder."""


# ------------------------------------------------------------------------------------------ outcomes


def redirect_outcome(response) -> str | None:
    if response.status_code not in (301, 302):
        return None
    path = urlsplit(response["Location"]).path
    if path.endswith("/login/"):
        return LOGIN
    if path == reverse("wagtailadmin_home"):
        return DENIED
    return f"redirect to {path}"


def body(response) -> bytes:
    """The whole body; reading a stream to its end also closes its file (audio is streamed)."""
    return b"".join(response.streaming_content) if response.streaming else response.content


def status(response, world, role) -> object:
    body(response)
    return redirect_outcome(response) or response.status_code


def secrets(response, world, role) -> object:
    """``contains`` or ``absent`` for a 200; the status (or redirect) otherwise."""
    if response.status_code != 200:
        return status(response, world, role)
    text = body(response).decode()
    found = [marker for marker in world.markers if marker in text]
    return CONTAINS if found else ABSENT


def published(key):
    def check(response, world, role):
        page = EpisodePage.objects.get(pk=world.hidden[key].pk)
        return PUBLISHED if page.live else NOT_PUBLISHED

    return check


def moderation(key):
    def check(response, world, role):
        page = EpisodePage.objects.get(pk=world.hidden[key].pk)
        task = page.current_workflow_task
        if task is None or not task.specific.groups.filter(name="Moderators").exists():
            return NOT_IN_MODERATION
        return IN_MODERATION

    return check


# ------------------------------------------------------------------------------------------ requests


def get(url: Callable[[World], str], **params):
    def request(client, world):
        return client.get(url(world), params)

    return request


def page_url(key):
    return lambda w: w.hidden[key].url


def audio_url(key):
    return lambda w: (w.live if key == "live" else w.hidden[key]).audio.url


def rendition_url(key):
    """The unpublished (FLAC) episode's file for listeners: prepared while it was live (issue 14)."""
    return lambda w: w.hidden[key].audio.renditions.get().url


def waveform_url(key):
    """The same rendition's waveform, which the episode page's player draws."""

    def url(w):
        rendition = w.hidden[key].audio.renditions.get()
        return rendition.waveform_path_for(rendition.audio_id, rendition.sha256)

    return url


def transcript_url(key, extension="vtt"):
    return lambda w: reverse("transcripts:file", args=[w.transcripts[key].pk, extension])


def chapters_url(key):
    return lambda w: reverse("episodes:chapters", args=[(w.live if key == "live" else w.hidden[key]).pk])


def embed_url(key):
    return lambda w: reverse("episodes:embed", args=[(w.live if key == "live" else w.hidden[key]).pk])


def oembed_url(key):
    def url(w):
        page = w.live if key == "live" else w.hidden[key]
        return reverse("episodes:oembed") + "?" + urlencode({"url": page.get_full_url(), "format": "json"})

    return url


def edit_post(key, action):
    def request(client, world):
        page = world.hidden[key]
        data = episode_form_data(title=page.title, slug=page.slug, audio=page.audio_id)
        data[action] = action
        return client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)

    return request


def approve(key):
    def request(client, world):
        page = world.hidden[key]
        state = page.current_workflow_state.current_task_state
        url = reverse("wagtailadmin_pages:workflow_action", args=[page.pk, "approve", state.pk])
        return client.post(url, {"comment": ""})

    return request


def reschedule(key):
    """Schedule the hidden episode (a publish with a go-live date, as its edit page does), then ask the
    calendar to move it to NEW_GO_LIVE."""

    def request(client, world):
        page = EpisodePage.objects.get(pk=world.hidden[key].pk)
        page.go_live_at = page.publication_date = timezone.now() + timedelta(days=30)
        page.save_revision().publish()
        url = reverse("episodes_calendar_reschedule", args=[page.pk])
        return client.post(url, {"go_live_at": NEW_GO_LIVE, "next": reverse("episodes_calendar")})

    return request


def rescheduled(key):
    def check(response, world, role):
        moved = timezone.make_aware(parse_datetime(NEW_GO_LIVE))
        revisions = Revision.objects.filter(object_id=str(world.hidden[key].pk), approved_go_live_at=moved)
        return RESCHEDULED if revisions.exists() else NOT_RESCHEDULED

    return check


def admin(name, *args):
    return get(lambda w: reverse(name, args=[arg(w) if callable(arg) else arg for arg in args]))


# ------------------------------------------------------------------------------------------ the matrix

SEARCH = "/search/"

# What each endpoint asks, and how its answer is read (``status`` unless given).
ENDPOINTS: dict[str, tuple[Callable, Callable]] = {
    "home page": (get(lambda w: w.home.url), secrets),
    "show page": (get(lambda w: w.show.url), secrets),
    "live episode page": (get(lambda w: w.live.url), secrets),
    "concept page": (get(lambda w: w.concept.url), secrets),
    "draft episode page": (get(page_url(DRAFT)), status),
    "unpublished episode page": (get(page_url(UNPUBLISHED)), status),
    "episode in moderation page": (get(page_url(PENDING)), status),
    "members-only episode page": (get(page_url(MEMBERS)), secrets),
    "password episode page": (get(page_url(PASSWORD)), secrets),
    "replaced-audio episode page": (get(lambda w: w.replaced.url), secrets),
    **{
        f"{key} episode audio": (get(audio_url(key)), status)
        for key in (LIVE, DRAFT, UNPUBLISHED, MEMBERS, PASSWORD)
    },
    "unpublished episode rendition": (get(rendition_url(UNPUBLISHED)), status),
    "unpublished episode waveform": (get(waveform_url(UNPUBLISHED)), status),
    **{
        f"{key} transcript (vtt)": (get(transcript_url(key)), status)
        for key in (LIVE, DRAFT, UNPUBLISHED, MEMBERS, PASSWORD, REPLACED)
    },
    **{f"{key} transcript (json)": (get(transcript_url(key, "json")), status) for key in (LIVE, REPLACED)},
    **{
        f"{key} chapters JSON": (get(chapters_url(key)), status)
        for key in (LIVE, DRAFT, UNPUBLISHED, MEMBERS, PASSWORD)
    },
    **{
        f"{key} embed": (get(embed_url(key)), status) for key in (LIVE, DRAFT, UNPUBLISHED, MEMBERS, PASSWORD)
    },
    **{
        f"{key} oEmbed": (get(oembed_url(key)), status)
        for key in (LIVE, DRAFT, UNPUBLISHED, MEMBERS, PASSWORD)
    },
    "feed": (get(lambda w: reverse("episodes:feed", args=[w.show.pk])), secrets),
    "search (HTML)": (get(lambda w: SEARCH, q=HIDDEN_WORD), secrets),
    "search (JSON)": (get(lambda w: SEARCH, q=HIDDEN_WORD, format="json"), secrets),
    "search moments (JSON)": (get(lambda w: SEARCH, q=HIDDEN_WORD, type="moments", format="json"), secrets),
    "sitemap": (get(lambda w: reverse("sitemap")), secrets),
    "robots.txt": (get(lambda w: reverse("robots_txt")), secrets),
    # The Wagtail admin
    "admin dashboard": (admin("wagtailadmin_home"), status),
    "page explorer": (admin("wagtailadmin_explore", lambda w: w.home.pk), status),
    "edit home page": (admin("wagtailadmin_pages:edit", lambda w: w.home.pk), status),
    "edit live episode": (admin("wagtailadmin_pages:edit", lambda w: w.live.pk), status),
    "add episode": (admin("wagtailadmin_pages:add", "episodes", "episodepage", lambda w: w.show.pk), status),
    "view draft": (admin("wagtailadmin_pages:view_draft", lambda w: w.hidden[DRAFT].pk), secrets),
    "view password draft": (admin("wagtailadmin_pages:view_draft", lambda w: w.hidden[PASSWORD].pk), secrets),
    "publish draft": (edit_post(DRAFT, "action-publish"), published(DRAFT)),
    "submit draft": (edit_post(DRAFT, "action-submit"), moderation(DRAFT)),
    "approve pending": (approve(PENDING), published(PENDING)),
    "unpublish live": (admin("wagtailadmin_pages:unpublish", lambda w: w.live.pk), status),
    "delete draft": (admin("wagtailadmin_pages:delete", lambda w: w.hidden[DRAFT].pk), status),
    "delete live": (admin("wagtailadmin_pages:delete", lambda w: w.live.pk), status),
    "audio listing": (admin("wagtailsnippets_episodes_audiofile:list"), status),
    "audio upload": (admin("wagtailsnippets_episodes_audiofile:add"), status),
    "audio edit": (admin("wagtailsnippets_episodes_audiofile:edit", lambda w: w.live.audio_id), status),
    "audio delete": (admin("wagtailsnippets_episodes_audiofile:delete", lambda w: w.spare_audio.pk), status),
    "audio chooser": (admin("wagtailsnippetchoosers_episodes_audiofile:choose"), status),
    "delivery try again": (admin("episodes_delivery_retry", lambda w: w.hidden[DRAFT].audio_id), status),
    "calendar": (admin("episodes_calendar"), status),
    "calendar reschedule": (reschedule(DRAFT), rescheduled(DRAFT)),
    "people listing": (admin("wagtailsnippets_episodes_person:list"), status),
    "person add": (admin("wagtailsnippets_episodes_person:add"), status),
    "transcripts listing": (admin("transcripts_admin:index"), status),
    "segment editor": (admin("transcripts_admin:segments", lambda w: w.transcripts[DRAFT].pk), status),
    "name speakers": (admin("transcripts_admin:speakers", lambda w: w.transcripts[DRAFT].pk), status),
    "transcript revisions": (admin("transcripts_admin:revisions", lambda w: w.transcripts[DRAFT].pk), status),
    "import captions": (admin("transcripts_admin:import", lambda w: w.hidden[DRAFT].audio_id), status),
    "failed transcriptions": (admin("transcripts_reports:failed"), status),
    "concept mentions": (admin("mentions:index"), status),
    "downloads report": (admin("analytics_reports:downloads"), status),
    "downloads report CSV": (get(lambda w: reverse("analytics_reports:downloads"), export="csv"), status),
    "users": (admin("wagtailusers_users:index"), status),
    "groups": (admin("wagtailusers_groups:index"), status),
    "sites": (admin("wagtailsites:index"), status),
    "workflows": (admin("wagtailadmin_workflows:index"), status),
    "redirects": (admin("wagtailredirects:index"), status),
    "promoted search results": (admin("wagtailsearchpromotions:index"), status),
    "Django admin": (get(lambda w: "/django-admin/"), status),
    # Sign-in (accounts/)
    "two-factor setup": (admin("accounts_two_factor_setup"), status),
    "sign-in lock-outs": (admin("accounts_lockouts"), status),
    "sign-ins report": (admin("accounts_reports:signins"), status),
    "sign-ins report CSV": (get(lambda w: reverse("accounts_reports:signins"), export="csv"), status),
}

A, C, OK, NO = ABSENT, CONTAINS, 200, DENIED
PUB, NOPUB, MOD, NOMOD = PUBLISHED, NOT_PUBLISHED, IN_MODERATION, NOT_IN_MODERATION
RES, NORES = RESCHEDULED, NOT_RESCHEDULED

# fmt: off
MATRIX = {
    # endpoint                       anonymous  editor     moderator  administrator
    "home page":                     (A,        A,         A,         A),
    "show page":                     (A,        A,         A,         A),
    "live episode page":             (A,        A,         A,         A),
    "concept page":                  (A,        A,         A,         A),
    "draft episode page":            (404,      404,       404,       404),
    "unpublished episode page":      (404,      404,       404,       404),
    "episode in moderation page":    (404,      404,       404,       404),
    "members-only episode page":     (LOGIN,    C,         C,         C),
    "password episode page":         (A,        A,         A,         A),
    "replaced-audio episode page":   (A,        A,         A,         A),
    "live episode audio":            (OK,       OK,        OK,        OK),
    "draft episode audio":           (404,      OK,        OK,        OK),
    "unpublished episode audio":     (404,      OK,        OK,        OK),
    "members episode audio":         (404,      OK,        OK,        OK),
    "password episode audio":        (404,      OK,        OK,        OK),
    "unpublished episode rendition": (404,      OK,        OK,        OK),
    "unpublished episode waveform":  (404,      OK,        OK,        OK),
    "live transcript (vtt)":         (OK,       OK,        OK,        OK),
    "draft transcript (vtt)":        (404,      OK,        OK,        OK),
    "unpublished transcript (vtt)":  (404,      OK,        OK,        OK),
    "members transcript (vtt)":      (404,      OK,        OK,        OK),
    "password transcript (vtt)":     (404,      OK,        OK,        OK),
    # Of audio the file no longer has: nobody gets it, editors neither (the admin has it for review).
    "replaced transcript (vtt)":     (404,      404,       404,       404),
    "live transcript (json)":        (OK,       OK,        OK,        OK),
    "replaced transcript (json)":    (404,      404,       404,       404),
    "live chapters JSON":            (OK,       OK,        OK,        OK),
    "draft chapters JSON":           (404,      404,       404,       404),
    "unpublished chapters JSON":     (404,      404,       404,       404),
    # Like the members-only page itself: whoever is signed in passes its sign-in restriction.
    "members chapters JSON":         (404,      OK,        OK,        OK),
    "password chapters JSON":        (404,      404,       404,       404),
    "live embed":                    (OK,       OK,        OK,        OK),
    "draft embed":                   (404,      404,       404,       404),
    "unpublished embed":             (404,      404,       404,       404),
    "members embed":                 (404,      404,       404,       404),
    "password embed":                (404,      404,       404,       404),
    "live oEmbed":                   (OK,       OK,        OK,        OK),
    "draft oEmbed":                  (404,      404,       404,       404),
    "unpublished oEmbed":            (404,      404,       404,       404),
    "members oEmbed":                (404,      404,       404,       404),
    "password oEmbed":               (404,      404,       404,       404),
    "feed":                          (A,        A,         A,         A),
    "search (HTML)":                 (A,        A,         A,         A),
    "search (JSON)":                 (A,        A,         A,         A),
    "search moments (JSON)":         (A,        A,         A,         A),
    "sitemap":                       (A,        A,         A,         A),
    "robots.txt":                    (A,        A,         A,         A),
    # The Wagtail admin
    "admin dashboard":               (LOGIN,    OK,        OK,        OK),
    "page explorer":                 (LOGIN,    OK,        OK,        OK),
    "edit home page":                (LOGIN,    OK,        OK,        OK),
    "edit live episode":             (LOGIN,    OK,        OK,        OK),
    "add episode":                   (LOGIN,    OK,        OK,        OK),
    "view draft":                    (LOGIN,    C,         C,         C),
    "view password draft":           (LOGIN,    C,         C,         C),
    "publish draft":                 (NOPUB,    NOPUB,     PUB,       PUB),
    "submit draft":                  (NOMOD,    MOD,       MOD,       MOD),
    "approve pending":               (NOPUB,    NOPUB,     PUB,       PUB),
    "unpublish live":                (LOGIN,    NO,        OK,        OK),
    "delete draft":                  (LOGIN,    OK,        OK,        OK),
    "delete live":                   (LOGIN,    NO,        OK,        OK),
    "audio listing":                 (LOGIN,    OK,        OK,        OK),
    "audio upload":                  (LOGIN,    OK,        OK,        OK),
    "audio edit":                    (LOGIN,    OK,        OK,        OK),
    "audio delete":                  (LOGIN,    NO,        OK,        OK),
    "audio chooser":                 (LOGIN,    OK,        OK,        OK),
    "delivery try again":            (LOGIN,    OK,        OK,        OK),
    "calendar":                      (LOGIN,    OK,        OK,        OK),
    # Scheduling is publishing: editors, who submit for moderation, may not move a go-live date.
    "calendar reschedule":           (NORES,    NORES,     RES,       RES),
    "people listing":                (LOGIN,    OK,        OK,        OK),
    "person add":                    (LOGIN,    OK,        OK,        OK),
    "transcripts listing":           (LOGIN,    OK,        OK,        OK),
    "segment editor":                (LOGIN,    OK,        OK,        OK),
    "name speakers":                 (LOGIN,    OK,        OK,        OK),
    "transcript revisions":          (LOGIN,    OK,        OK,        OK),
    "import captions":               (LOGIN,    OK,        OK,        OK),
    "failed transcriptions":         (LOGIN,    OK,        OK,        OK),
    "concept mentions":              (LOGIN,    OK,        OK,        OK),
    "downloads report":              (LOGIN,    OK,        OK,        OK),
    "downloads report CSV":          (LOGIN,    OK,        OK,        OK),
    "users":                         (LOGIN,    NO,        NO,        OK),
    "groups":                        (LOGIN,    NO,        NO,        OK),
    "sites":                         (LOGIN,    NO,        NO,        OK),
    "workflows":                     (LOGIN,    NO,        NO,        OK),
    "redirects":                     (LOGIN,    NO,        NO,        OK),
    "promoted search results":       (LOGIN,    NO,        NO,        OK),
    "Django admin":                  (LOGIN,    LOGIN,     LOGIN,     OK),
    "two-factor setup":              (LOGIN,    OK,        OK,        OK),
    "sign-in lock-outs":             (LOGIN,    NO,        NO,        OK),
    "sign-ins report":               (LOGIN,    NO,        NO,        OK),
    "sign-ins report CSV":           (LOGIN,    NO,        NO,        OK),
}
# fmt: on

CELLS = [
    pytest.param(endpoint, role, expected, id=f"{endpoint} | {role}")
    for endpoint, row in MATRIX.items()
    for role, expected in zip(ROLES, row, strict=True)
]


@pytest.mark.django_db
@pytest.mark.parametrize(("endpoint", "role", "expected"), CELLS)
def test_permission_matrix(world, client, endpoint, role, expected):
    """Each role against each endpoint gives the outcome in its cell; a leak of hidden content into a
    public response reads ``contains`` where ``absent`` is expected, a refused action ``not published``."""
    request, observe = ENDPOINTS[endpoint]
    user = world.users[role]
    if user is not None:
        client.force_login(user)

    got = observe(request(client, world), world, role)

    assert got == expected, f"{role} at {endpoint}: expected {expected!r}, got {got!r}"


def test_every_endpoint_has_a_row_of_cells():
    """The request table and the expectation table name the same endpoints, each with a cell per role."""
    assert set(ENDPOINTS) == set(MATRIX)
    assert all(len(row) == len(ROLES) for row in MATRIX.values())
