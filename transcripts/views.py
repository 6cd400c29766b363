import hashlib

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import get_conditional_response
from django.utils.http import quote_etag
from django.views.decorators.http import require_safe

from .formats import FORMATS
from .models import Transcript


@require_safe
def transcript_file(request, pk: int, extension: str):
    """A finished transcript in one of ``formats.FORMATS``, for podcast apps (linked from the feed) and the
    episode page's player.

    Served only while it is the audio's current transcript (``Transcript.objects.current``) and the audio
    is on a live page the request may see, like the audio itself: for anyone without admin access that is
    ``Transcript.objects.published``, with the view restrictions the request passes. Any origin
    may read it (web players fetch captions from other sites). The ETag is the hash of the body, so it
    changes with every correction however the segments were edited.
    """
    if extension not in FORMATS:
        raise Http404("No such transcript format")
    transcript = get_object_or_404(Transcript.objects.current().select_related("audio"), pk=pk)
    if not transcript.audio.is_visible_to(request):
        raise Http404("No such transcript")

    mime_type, writer = FORMATS[extension]
    body = writer(transcript.segments.all(), language=transcript.language).encode()
    etag = quote_etag(hashlib.sha256(body).hexdigest()[:32])
    headers = {
        "ETag": etag,
        "Access-Control-Allow-Origin": "*",
        "X-Content-Type-Options": "nosniff",
        # The HTML is a fragment to embed, not a page: opened on its own it may run nothing.
        "Content-Security-Policy": "default-src 'none'",
        # Private audio: only the browser may keep a copy, and it asks again each time (the page may have
        # been unpublished). Public: shared caches may keep it a while; corrections show up soon enough.
        "Cache-Control": "public, max-age=300" if transcript.audio.is_public() else "private, no-cache",
    }

    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        for name, value in headers.items():
            not_modified.headers.setdefault(name, value)
        return not_modified

    content_type = f"{mime_type}; charset=utf-8" if mime_type.startswith("text/") else mime_type
    return HttpResponse(body, content_type=content_type, headers=headers)
