from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils.http import http_date, quote_etag
from django.views.decorators.http import require_safe

from .models import AudioFile
from .serving import FileRange, RangeNotSatisfiable, parse_range


@require_safe
def serve_audio(request, pk, digest, extension):
    """Serve an audio file with HEAD and single byte-range support.

    Only files used by a live page the request may see are served; the URL's digest and extension must
    match the current file, so an old enclosure URL never serves different bytes.
    """
    audio = get_object_or_404(AudioFile, pk=pk)
    if digest != audio.digest or extension != audio.extension:
        raise Http404("No such audio file")
    if not audio.is_visible_to(request):
        raise Http404("No such audio file")

    size = audio.size
    etag = quote_etag(audio.sha256)
    last_modified = http_date(audio.created_at.timestamp())
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Last-Modified": last_modified,
        "Content-Disposition": f'inline; filename="{audio.file.name.rsplit("/", 1)[-1]}"',
        "X-Content-Type-Options": "nosniff",
        # Private until published: a cache must not keep audio of a page that may be unpublished.
        "Cache-Control": "public, max-age=3600" if audio.is_public() else "private, no-store",
    }

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
    return response
