from urllib.parse import quote

from django.conf import settings
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from django.views.decorators.http import require_safe

from .feeds import CHAPTERS_MIME_TYPE, FEED_MIME_TYPE, chapters_json, get_feed, site_root
from .listening import audio_served
from .models import AudioFile, AudioRendition, EpisodePage
from .serving import FileRange, RangeNotSatisfiable, parse_range

WAVEFORM_CACHE = "public, max-age=31536000, immutable"


@require_safe
def serve_audio(request, pk, digest, extension):
    """Serve an audio file with HEAD, conditional GET and single byte-range support.

    Only files used by a live page the request may see are served; the URL's digest and extension must
    match the current file, so an old enclosure URL never serves different bytes. ``AUDIO_DELIVERY``
    decides who sends the bytes once the checks have passed (see docs/operators.md).
    """
    audio = get_object_or_404(AudioFile, pk=pk)
    if digest != audio.digest or extension != audio.extension:
        raise Http404("No such audio file")
    return _serve(request, audio, audio)


@require_safe
def serve_rendition(request, pk, digest, extension):
    """Serve a delivery rendition of an audio file, as ``serve_audio`` serves the master: same checks, same
    headers, same ranges. The URL's digest is the rendition's own, so it never serves other bytes; a
    replaced rendition is served for DELIVERY_GRACE_DAYS (apps mid-download), then it is gone."""
    rendition = (
        AudioRendition.objects.servable()
        .filter(audio_id=pk, format=extension, sha256__startswith=digest)
        .select_related("audio")
        .order_by("-pk")
        .first()
    )
    if rendition is None or len(digest) != 16:
        raise Http404("No such audio file")
    return _serve(request, rendition.audio, rendition)


@require_safe
def serve_waveform(request, pk, digest):
    """The waveform peaks of a rendition (JSON, episodes/delivery/waveform.py), for the episode page's
    player. Heard by the same requests as the rendition itself. The URL names the rendition's bytes and
    the peaks never change once it is made, so a public waveform may be cached for a year."""
    rendition = (
        AudioRendition.objects.servable()
        .filter(audio_id=pk, sha256__startswith=digest)
        .exclude(waveform="")
        .select_related("audio")
        .order_by("-pk")
        .first()
    )
    if rendition is None or len(digest) != 16 or not rendition.audio.is_visible_to(request):
        raise Http404("No such waveform")
    etag = quote_etag(f"{rendition.sha256[:32]}-waveform")
    headers = {
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        # Private until published, as the audio: a cache must not keep what an unpublished page showed.
        "Cache-Control": WAVEFORM_CACHE if rendition.audio.is_public() else "private, no-store",
    }
    response = get_conditional_response(request, etag=etag) or HttpResponse(
        rendition.waveform, content_type="application/json"
    )
    for name, value in headers.items():
        response[name] = value
    return response


def _serve(request, audio, served):
    """``served`` (the master or one of its renditions) once ``audio`` may be heard by this request."""
    if not audio.is_visible_to(request):
        raise Http404("No such audio file")

    public = audio.is_public()
    headers = {
        "Content-Disposition": f'inline; filename="{served.file.name.rsplit("/", 1)[-1]}"',
        "X-Content-Type-Options": "nosniff",
        # Private until published: a cache must not keep audio of a page that may be unpublished.
        "Cache-Control": "public, max-age=3600" if public else "private, no-store",
    }

    delivery = settings.AUDIO_DELIVERY
    if delivery == "redirect":
        # Object storage behind a CDN answers ranges itself; the storage URL may be signed and short-lived.
        response = HttpResponseRedirect(served.file.url)
        response["Cache-Control"] = "private, no-store"
        audio_served(request, audio, served, None)  # the storage answers the range: not seen here
        return response
    if delivery == "x-accel-redirect":
        response = HttpResponse(content_type=served.content_type, headers=headers)
        response["X-Accel-Redirect"] = settings.AUDIO_ACCEL_REDIRECT_PREFIX + quote(served.file.name)
        _accel_served(request, audio, served)
        return response
    return _stream(request, served, headers, master=audio)


def _accel_served(request, audio, served) -> None:
    """Tell the hooks which bytes nginx is about to send: the request's Range, as nginx reads it."""
    try:
        byte_range = parse_range(request.headers.get("Range"), served.size)
    except RangeNotSatisfiable:
        return  # nginx answers 416: nothing is sent
    audio_served(request, audio, served, byte_range or (0, served.size - 1))


def _stream(request, audio, headers, master=None):
    """``audio``: the master or a rendition (size, sha256, created_at, file, content_type)."""
    size = audio.size
    etag = quote_etag(audio.sha256)
    last_modified = http_date(audio.created_at.timestamp())
    headers = {**headers, "Accept-Ranges": "bytes", "ETag": etag, "Last-Modified": last_modified}

    not_modified = get_conditional_response(
        request, etag=etag, last_modified=int(audio.created_at.timestamp())
    )
    if not_modified is not None:
        for name, value in headers.items():
            not_modified.headers.setdefault(name, value)
        return not_modified

    range_header = request.headers.get("Range")
    if_range = request.headers.get("If-Range")
    if if_range and if_range.strip() not in (etag, last_modified):
        range_header = None  # the client's partial copy is stale (or weakly validated): send it all
    try:
        byte_range = parse_range(range_header, size)
    except RangeNotSatisfiable:
        response = HttpResponse(status=416, headers=headers)
        response["Content-Range"] = f"bytes */{size}"
        return response

    start, end = byte_range if byte_range else (0, size - 1)
    length = end - start + 1
    status = 206 if byte_range else 200

    if request.method == "HEAD":
        response = HttpResponse(status=status, content_type=audio.content_type, headers=headers)
    else:
        response = StreamingHttpResponse(
            FileRange(audio.file.open("rb"), start, length),
            status=status,
            content_type=audio.content_type,
            headers=headers,
        )
    response["Content-Length"] = str(length)
    if byte_range:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    audio_served(request, master or audio, audio, (start, end))
    return response


@require_safe
def show_feed(request, pk):
    """The show's podcast feed (RSS), cached, with ETag and Last-Modified for conditional GET."""
    feed = get_feed(pk)
    if feed is None:
        raise Http404("No such feed")
    not_modified = get_conditional_response(
        request, etag=feed.etag, last_modified=int(feed.last_modified.timestamp())
    )
    headers = {
        "ETag": feed.etag,
        "Last-Modified": http_date(feed.last_modified.timestamp()),
        "Cache-Control": "public, max-age=300",
    }
    if not_modified is not None:
        for name, value in headers.items():
            not_modified[name] = value
        return not_modified
    if request.method == "HEAD":
        response = HttpResponse(content_type=FEED_MIME_TYPE, headers=headers)
        response["Content-Length"] = str(len(feed.content))
        return response
    return HttpResponse(feed.content, content_type=FEED_MIME_TYPE, headers=headers)


@require_safe
def episode_chapters(request, pk):
    """The episode's chapters as Podcasting 2.0 JSON chapters (application/json+chapters).

    A public episode's are anyone's (the feed links them, and other sites' players fetch them). A private
    episode's (a sign-in, group or password restriction on it or above it) go only to a request its page
    would be shown to, marked private so that no shared cache keeps them; anybody else gets the 404 of a
    draft (drafts and unpublished episodes have no chapters here, for editors neither).
    """
    episode = get_object_or_404(EpisodePage.objects.released(), pk=pk)
    restrictions = list(episode.get_view_restrictions())
    if not all(restriction.accept_request(request) for restriction in restrictions):
        raise Http404("No such episode")
    data = chapters_json(episode, site_root(episode.show))
    response = JsonResponse(data, content_type=CHAPTERS_MIME_TYPE, json_dumps_params={"ensure_ascii": False})
    if restrictions:
        response["Cache-Control"] = "private, no-store"
    else:
        response["Access-Control-Allow-Origin"] = "*"  # web players on other sites fetch chapters too
        response["Cache-Control"] = "public, max-age=300"
    return response
