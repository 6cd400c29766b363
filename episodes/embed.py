"""Sharing an episode on other sites: the embeddable player page and the oEmbed endpoint.

The player page (``/embed/episodes/<pk>/``) is the only page other sites may put in a frame: it is exempt
from X-Frame-Options, and its Content Security Policy is the site's with ``frame-ancestors *`` in place of
``'none'`` (so its own script and styles stay held to the same rules); every other page keeps the
site-wide DENY.
oEmbed (https://oembed.com/) lets WordPress, Ghost and friends turn a pasted episode link into that
player: ``/oembed/?url=<episode page URL>&format=json``. Both answer only for live, public episodes
with audio, like the feed.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

from csp.decorators import csp_replace
from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.request import split_domain_port
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe
from wagtail.models import Site

from .models import EpisodePage
from .moments import parse_moment
from .seo import absolute, root_url_of, share_rendition

# The player page's natural size: two lines of title, the native audio controls and a link.
EMBED_WIDTH = 640
EMBED_HEIGHT = 200


def moment(value: str | None, duration_ms: int | None = None) -> str:
    """A ``?t=`` value worth passing on, as whole seconds (``"1:30"`` gives ``"90"``); ``""`` when absent,
    not a time, or past the end of the audio (see ``episodes.moments`` for the formats)."""
    ms = parse_moment((value or "").strip(), duration_ms)
    return str(ms // 1000) if ms and ms >= 1000 else ""


def embeddable_episodes():
    """The episodes other sites may embed: released, public, with audio."""
    return (
        EpisodePage.objects.released().public().filter(audio__isnull=False).select_related("audio", "artwork")
    )


def embed_url(episode: EpisodePage, request=None, *, t: str = "") -> str:
    url = absolute(root_url_of(episode, request), reverse("episodes:embed", kwargs={"pk": episode.pk}))
    return f"{url}?{urlencode({'t': t})}" if t else url


def oembed_url(page_url: str, root_url: str) -> str:
    """The discovery link an episode page puts in its head."""
    query = urlencode({"url": page_url, "format": "json"})
    return f"{absolute(root_url, reverse('episodes:oembed'))}?{query}"


def iframe_html(src: str, title: str, width: int, height: int) -> str:
    return format_html(
        '<iframe src="{}" title="{}" width="{}" height="{}" loading="lazy" '
        'style="border: 0; max-width: 100%;"></iframe>',
        src,
        title,
        width,
        height,
    )


@require_safe
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
def embed_player(request, pk):
    """The player alone, for other sites' iframes (404 for drafts, private episodes and missing audio)."""
    episode = get_object_or_404(embeddable_episodes(), pk=pk)
    t = moment(request.GET.get("t"), episode.audio.duration_ms)
    page_url = episode.get_full_url(request)
    return render(
        request,
        "episodes/embed.html",
        {
            "page": episode,
            "show": episode.show,
            "page_url": f"{page_url}?{urlencode({'t': t})}" if t else page_url,
        },
    )


def _site_for_url(request, host: str, port: int | None, scheme: str) -> Site | None:
    """The Wagtail site a pasted URL belongs to; None for a host this server does not answer for."""
    port = port or (443 if scheme == "https" else 80)
    for site in Site.objects.select_related("root_page").filter(hostname__iexact=host):
        # Behind a proxy that ends TLS the site says port 80 while its pages are shared as https.
        if site.port == port or (site.port in (80, 443) and port in (80, 443)):
            return site
    request_host, _ = split_domain_port(request.get_host())
    if host.lower() == request_host:
        return Site.find_for_request(request)
    return None


def _episode_for_url(request, url: str) -> tuple[EpisodePage, str]:
    """The live, public episode with audio that ``url`` points at, and the URL's ``?t=`` moment."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Http404("Not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Http404("Not a web page URL")
    site = _site_for_url(request, parts.hostname, port, parts.scheme)
    if site is None:
        raise Http404("Not a page of this site")
    components = [component for component in parts.path.split("/") if component]
    page = site.root_page.localized.specific.route(request, components)[0]  # Http404 when nothing is there
    episode = embeddable_episodes().filter(pk=page.pk).first()
    if episode is None:
        raise Http404("Not an episode that can be embedded")
    return episode, moment(parse_qs(parts.query).get("t", [""])[0], episode.audio.duration_ms)


def _dimension(value: str | None) -> int | None:
    """A positive ``maxwidth``/``maxheight``; ValueError for anything else."""
    if value in (None, ""):
        return None
    number = int(value)
    if number <= 0:
        raise ValueError(value)
    return number


@require_safe
def oembed(request):
    """oEmbed for episode pages: ``type`` rich, an iframe of the player. JSON only (XML answers 501)."""
    if request.GET.get("format", "json") != "json":
        return HttpResponse("Only format=json is supported.", status=501, content_type="text/plain")
    url = request.GET.get("url", "").strip()
    if not url:
        return HttpResponseBadRequest("The url parameter is required.", content_type="text/plain")
    try:
        maxwidth = _dimension(request.GET.get("maxwidth"))
        maxheight = _dimension(request.GET.get("maxheight"))
    except ValueError:
        return HttpResponseBadRequest("maxwidth and maxheight must be positive whole numbers.")
    episode, t = _episode_for_url(request, url)

    width = min(EMBED_WIDTH, maxwidth or EMBED_WIDTH)
    height = min(EMBED_HEIGHT, maxheight or EMBED_HEIGHT)
    show = episode.show
    root_url = root_url_of(episode, request)
    site = Site.find_for_request(request)
    title = f"{episode.title} · {show.title}" if show else episode.title
    data = {
        "version": "1.0",
        "type": "rich",
        "title": episode.title,
        "provider_name": (site.site_name if site else "") or settings.WAGTAIL_SITE_NAME,
        "provider_url": root_url + "/",
        "html": iframe_html(embed_url(episode, request, t=t), title, width, height),
        "width": width,
        "height": height,
        "cache_age": 3600,
    }
    if show:
        data["author_name"] = show.author or show.title
        data["author_url"] = show.get_full_url(request)
    rendition = share_rendition(episode.share_image())
    # The spec forbids a thumbnail larger than the consumer's maximum; then there is none.
    if (
        rendition is not None
        and rendition.width <= (maxwidth or rendition.width)
        and rendition.height <= (maxheight or rendition.height)
    ):
        data["thumbnail_url"] = absolute(root_url, rendition.url)
        data["thumbnail_width"] = rendition.width
        data["thumbnail_height"] = rendition.height
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"  # consumers may ask from the browser
    response["Cache-Control"] = "public, max-age=300"
    return response
