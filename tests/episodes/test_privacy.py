"""episodes/privacy.py: which pages are behind a view restriction, remembered beside the cached pages. Its
answers equal Wagtail's own (``PageQuerySet.public()``, ``Page.get_view_restrictions()``) for pages inside,
below and beside restricted sections; and with the page cache on, a restriction added to a show is obeyed at
the next render of its episode, though the restricted paths were remembered before it."""

import pytest
from django.core.cache import cache
from wagtail.models import Page, PageViewRestriction

from episodes import privacy
from episodes.factories import EpisodePageFactory, ShowPageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(home_page):
    open_show = ShowPageFactory(parent=home_page, slug="open")
    closed_show = ShowPageFactory(parent=home_page, slug="closed")
    closed_too = ShowPageFactory(parent=home_page, slug="closed-too")  # a slug that starts like another's
    pages = {
        "open_show": open_show,
        "open_episode": EpisodePageFactory(parent=open_show, slug="a"),
        "closed_show": closed_show,
        "closed_episode": EpisodePageFactory(parent=closed_show, slug="b"),
        "closed_too": closed_too,
        "sibling_episode": EpisodePageFactory(parent=closed_too, slug="c"),
    }
    PageViewRestriction.objects.create(
        page=closed_show, restriction_type=PageViewRestriction.PASSWORD, password="sesame"
    )
    return pages


@pytest.mark.parametrize("page_cache_seconds", [0, 300])
def test_the_same_answers_as_wagtail(tree, settings, page_cache_seconds):
    settings.PAGE_CACHE_SECONDS = page_cache_seconds
    everything = Page.objects.filter(pk__in=[page.pk for page in tree.values()])

    assert set(privacy.public(everything)) == set(everything.public())
    assert set(privacy.public(everything)) == {
        tree["open_show"].page_ptr,
        tree["open_episode"].page_ptr,
        tree["closed_too"].page_ptr,
        tree["sibling_episode"].page_ptr,
    }
    for name, page in tree.items():
        wagtail_says = Page.get_view_restrictions(page).exists()  # Wagtail's own method, not the override
        assert privacy.is_restricted(page) is wagtail_says, name
        assert page.get_view_restrictions().exists() is wagtail_says, name  # EpisodePage's, remembered


def test_a_restriction_added_later_is_obeyed_at_the_next_render(
    tree, client, settings, django_capture_on_commit_callbacks
):
    """The remembered paths are retired by the full purge a new restriction makes. Bad: the episode
    served to anyone after its show was given a password (a page-cache miss: a new query string)."""
    settings.PAGE_CACHE_SECONDS = 300
    cache.clear()
    episode = tree["open_episode"]
    page = client.get(f"{episode.url}?v=1")
    assert page.status_code == 200 and episode.title.encode() in page.content
    assert privacy.restricted_paths() == [tree["closed_show"].path]  # remembered

    with django_capture_on_commit_callbacks(execute=True):
        PageViewRestriction.objects.create(
            page=tree["open_show"], restriction_type=PageViewRestriction.PASSWORD, password="another"
        )

    page = client.get(f"{episode.url}?v=2")
    assert b"password" in page.content.lower()
    assert b"data-transcript" not in page.content and b"<audio" not in page.content
    assert sorted(privacy.restricted_paths()) == sorted([tree["closed_show"].path, tree["open_show"].path])
