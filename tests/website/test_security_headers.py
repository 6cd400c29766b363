"""The Content Security Policy of the site's pages, the stricter headers of user files, and the production
settings' own checks (``check --deploy``).

Every page kind is rendered from the demo content (plus a learning path and a password-protected page),
and its HTML is held to the policy: a page that needed 'unsafe-inline' (an inline script, a ``style``
attribute, an ``on*`` handler, a ``javascript:`` link) would be broken in browsers by the header it sends.
"""

import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.models import Page, PageViewRestriction

from concepts.models import ConceptIndexPage, LearningPathPage, LearningPathStep
from episodes.models import EpisodePage
from tests.e2e.content import demo_site
from transcripts.models import Transcript

pytestmark = pytest.mark.django_db

USER_FILES_POLICY = "default-src 'none'"


def directives(header: str) -> dict[str, list[str]]:
    """``"a x y; b z"`` as ``{"a": ["x", "y"], "b": ["z"]}``."""
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


class InlineCode(HTMLParser):
    """What in a page would need 'unsafe-inline' (or is script in a link): one line per finding."""

    DATA_SCRIPTS = {"application/ld+json", "application/json"}  # data, never run

    def __init__(self):
        super().__init__()
        self.findings: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" not in attrs and attrs.get("type") not in self.DATA_SCRIPTS:
            self.findings.append(f"inline <script> {attrs}")
        if tag == "style":
            self.findings.append("<style> element")
        for name, value in attrs.items():
            if name == "style":
                self.findings.append(f"style attribute on <{tag}>: {value}")
            if name.startswith("on"):
                self.findings.append(f"event handler {name} on <{tag}>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.findings.append(f"javascript: URL in {name} on <{tag}>")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.findings


@pytest.fixture
def site_urls(home_page) -> dict[str, str]:
    """One URL per page kind: the demo's pages, a learning path, a password-protected page, the search,
    the embed player, and a 404."""
    urls = demo_site()
    concept_index = ConceptIndexPage.objects.get()
    episode = EpisodePage.objects.live().exclude(audio=None).first()
    path = LearningPathPage(title="Deciding together: a seminar", slug="seminar", audience="nurses")
    concept_index.add_child(instance=path)
    LearningPathStep.objects.create(page=path, sort_order=0, target=episode, start_ms=0, end_ms=5000)
    locked = EpisodePage.objects.live().exclude(pk=episode.pk).first()
    PageViewRestriction.objects.create(
        page=locked, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    for page in Page.objects.live().specific():
        if page.url:
            urls.setdefault(type(page).__name__, page.url)
    urls["learning path"] = path.url
    urls["password form"] = locked.url
    urls["embed"] = reverse("episodes:embed", kwargs={"pk": episode.pk})
    urls["search without results"] = "/search/?q=qqqzzz"
    urls["not found"] = "/no-such-page/"
    return urls


def test_every_page_kind_gets_the_site_policy_and_needs_no_inline_code(client, site_urls):
    """Bad input: a template with ``<script>`` code, ``style="..."`` or ``onclick=``; the error names the
    page and what was found."""
    expected = directives(_site_policy())
    checked = 0
    for kind, url in site_urls.items():
        response = client.get(url)
        assert response.status_code in (200, 404), (kind, url, response.status_code)
        # The embed player is the site's policy but for frame-ancestors (see the embed test below).
        wanted = {**expected, "frame-ancestors": ["*"]} if kind == "embed" else expected
        assert directives(response["Content-Security-Policy"]) == wanted, (kind, url)
        assert inline_code(response.content.decode()) == [], (kind, url)
        checked += 1
    # The demo's home, show, episodes, interview index and pages, concepts, feedback form, and the extras.
    assert checked >= 10, site_urls


def _site_policy() -> str:
    from csp.utils import build_policy

    return build_policy()


def test_the_site_policy_allows_only_what_the_site_uses():
    """The policy itself: same-origin code, no plugins, no framing, no <base> or off-site form posts."""
    policy = directives(_site_policy())
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"][:2] == ["'self'", "data:"]
    assert policy["media-src"][0] == "'self'"
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert not any("unsafe" in value for values in policy.values() for value in values)


def test_editors_see_pages_with_the_userbar_under_the_same_policy(client, admin_user, site_urls):
    """The Wagtail userbar that editors see on pages must not need inline code either."""
    client.force_login(admin_user)
    for kind in ("home", "episode"):
        response = client.get(site_urls[kind])
        assert "wagtail-userbar" in response.content.decode()
        assert response.has_header("Content-Security-Policy")
        assert inline_code(response.content.decode()) == [], kind


def test_the_embed_player_may_be_framed_anywhere_and_other_pages_nowhere(client, site_urls):
    embed = client.get(site_urls["embed"])
    assert embed.status_code == 200
    assert directives(embed["Content-Security-Policy"]) == {
        **directives(_site_policy()),
        "frame-ancestors": ["*"],
    }
    assert not embed.has_header("X-Frame-Options")
    assert inline_code(embed.content.decode()) == []

    page = client.get(site_urls["episode"])
    assert directives(page["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]
    assert page["X-Frame-Options"] == "DENY"


def test_cached_pages_keep_their_policy(client, settings, site_urls):
    """The page cache stores the header with the page: a hit must not lose the policy, nor give the embed
    page the site's frame-ancestors 'none'."""
    settings.PAGE_CACHE_SECONDS = 300
    site_policy = directives(_site_policy())
    embed_policy = {**site_policy, "frame-ancestors": ["*"]}
    for url, policy in ((site_urls["episode"], site_policy), (site_urls["embed"], embed_policy)):
        client.get(url)
        hit = client.get(url)
        assert hit["X-Cache"] == "hit"
        assert directives(hit["Content-Security-Policy"]) == policy


def test_the_admins_are_left_to_their_own_inline_code(client, admin_user):
    client.force_login(admin_user)
    for url in (reverse("wagtailadmin_home"), reverse("admin:index")):
        response = client.get(url)
        assert response.status_code == 200
        assert not response.has_header("Content-Security-Policy"), url


def assert_user_file_headers(response):
    assert response["Content-Security-Policy"] == USER_FILES_POLICY
    assert response["X-Content-Type-Options"] == "nosniff"


def test_audio_transcripts_and_documents_may_run_nothing(client, settings, site_urls):
    """User files, opened on their own, load and run nothing (bad: a document that is HTML in disguise
    running script on the site's origin)."""
    episode = EpisodePage.objects.live().public().exclude(audio=None).first()
    audio = episode.audio
    response = client.get(audio.url)
    assert response.status_code == 200
    assert_user_file_headers(response)
    b"".join(response.streaming_content)  # the test client closes the file when the body is read

    settings.AUDIO_DELIVERY = "redirect"
    redirect = client.get(audio.url)
    assert redirect.status_code == 302
    assert_user_file_headers(redirect)

    transcript = Transcript.objects.filter(audio=audio, status=Transcript.DONE).first()
    for extension in ("vtt", "html", "json"):
        response = client.get(
            reverse("transcripts:file", kwargs={"pk": transcript.pk, "extension": extension})
        )
        assert response.status_code == 200
        assert_user_file_headers(response)

    document = get_document_model().objects.create(
        title="Handout", file=ContentFile(b"<html><script>alert(1)</script></html>", name="handout.txt")
    )
    response = client.get(document.url)
    assert response.status_code == 200
    assert_user_file_headers(response)
    assert b"".join(response.streaming_content).startswith(b"<html>")


def test_production_settings_pass_the_deploy_checks():
    """``manage.py check --deploy --fail-level WARNING`` with the production settings and the smallest
    environment, as CI runs it (bad: any warning, e.g. a missing HSTS or an insecure cookie)."""
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AWS_", "MEDIA_STORAGE"))},
        "DJANGO_SETTINGS_MODULE": "website.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "podcast.example.org",
        "WAGTAILADMIN_BASE_URL": "https://podcast.example.org",
    }
    for extra in ({}, {"AWS_STORAGE_BUCKET_NAME": "podcast-media", "CACHE_URL": "redis://127.0.0.1:6379/1"}):
        result = subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            env={**environment, **extra},
            cwd=django_settings.BASE_DIR,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "no issues" in result.stdout
