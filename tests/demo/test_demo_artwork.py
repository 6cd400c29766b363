"""The demo's artwork: original, drawn by the loader, and good enough for every directory check."""

from io import StringIO

import pytest
from django.core.management import call_command
from lxml import etree
from PIL import Image as PILImage

from demo import content
from demo.artwork import cover_art
from episodes.directory_checks import episode_problems, show_problems
from episodes.feeds import build_feed
from episodes.models import EpisodePage, ShowPage

pytestmark = pytest.mark.django_db
ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"


@pytest.fixture
def demo_show(home_page, tmp_path, monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    load(tmp_path)
    return ShowPage.objects.get(slug=content.SHOW["slug"])


def load(tmp_path) -> str:
    out = StringIO()
    call_command("load_demo", login_file=tmp_path / ".demo-login", force=True, stdout=out)
    return out.getvalue()


def episodes(show):
    return list(
        EpisodePage.objects.child_of(show).select_related("artwork", "audio").order_by("episode_number")
    )


def test_show_and_episodes_have_square_rgb_artwork_apple_accepts(demo_show):
    images = [demo_show.artwork] + [episode.artwork for episode in episodes(demo_show)]
    assert len({image.pk for image in images}) == 1 + len(content.EPISODES)
    corners = set()
    for image in images:
        with image.open_file() as fh, PILImage.open(fh) as opened:
            assert (opened.format, opened.mode, opened.size) == ("PNG", "RGB", (1400, 1400))
            corners.add(opened.getpixel((5, 5)))
        assert image.description.startswith("Two overlapping circles")  # the alt text
    assert len(corners) == len(images)  # each its own colour


def test_the_demo_show_passes_every_directory_check(demo_show):
    assert show_problems(demo_show) == []
    for episode in episodes(demo_show):
        assert episode_problems(episode) == [], episode.title


def test_the_demo_feed_has_the_artwork(demo_show):
    channel = etree.fromstring(build_feed(demo_show)).find("channel")
    assert channel.find(f"{ITUNES}image").get("href").endswith(".png")
    assert all(item.find(f"{ITUNES}image") is not None for item in channel.findall("item"))


def test_drawing_is_repeatable():
    assert cover_art("A title", label="Label", number=2) == cover_art("A title", label="Label", number=2)
    assert cover_art("A title", number=1) != cover_art("A title", number=2)


def test_a_demo_page_without_artwork_gets_it_on_the_next_run(demo_show, tmp_path):
    first, second = episodes(demo_show)[:2]
    for page in (demo_show, first, second):
        page.artwork = None
        page.save_revision().publish()
    second.title = "A draft in progress"
    second.save_revision()  # unpublished changes: left alone

    output = load(tmp_path)

    assert ShowPage.objects.get(pk=demo_show.pk).artwork is not None
    assert EpisodePage.objects.get(pk=first.pk).artwork is not None
    assert EpisodePage.objects.get(pk=second.pk).artwork is None
    assert "Drew artwork" not in output  # the images were found again, not drawn twice
    assert "left as it is: it has unpublished changes" in output


def test_show_and_episode_pages_show_the_artwork_responsively(client, demo_show):
    html = client.get(demo_show.url).content.decode()
    assert 'class="artwork"' in html and "srcset=" in html and 'sizes="240px"' in html
    assert 'alt="Two overlapping circles above the words The Power of Coproduction"' in html

    episode = episodes(demo_show)[0]
    html = client.get(episode.url).content.decode()
    assert 'class="artwork episode-artwork"' in html and 'sizes="(max-width: 40rem) 88px, 160px"' in html
    words = f"The Power of Coproduction · Episode 1: {episode.title}"
    assert f'alt="Two overlapping circles above the words {words}"' in html
