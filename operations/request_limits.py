"""A cap on the body of every request, checked from its declared length before a byte of it is read.

Django reads a body only when something asks for it (the CSRF check, a form), but then it reads all of it:
fields are held to ``DATA_UPLOAD_MAX_MEMORY_SIZE``, while a file part of any size is streamed to a
temporary file (``TemporaryFileUploadHandler``), whatever the view, even one whose form has no file field.
A 2 GB post to the document uploader or to the feedback form would hold a web worker for minutes and fill
the temporary folder before any form could look at a size. So the middleware compares each request's
``Content-Length`` with ``MAX_REQUEST_BODY_BYTES`` before the view runs (and before the CSRF check, which
reads the body) and answers 413 at once when it is larger; the server then closes the connection without
reading the rest.

A body without a ``Content-Length`` (chunked) is never read: under WSGI, Django takes its length for 0
and parses nothing. nginx, in front, reads such a body up to its own ``client_max_body_size`` and passes it
on with a length, which is then checked here. (Under ASGI, Django would read every body before any
middleware runs; the site is served by gunicorn over WSGI.)

The audio upload views refuse an oversized body themselves (``episodes.upload_limits``), after Wagtail's
access check and in words about audio; they are marked with :func:`limits_own_request_body` and hold the
body to this cap as well.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.template.defaultfilters import filesizeformat
from django.urls import reverse


def max_request_body_bytes() -> int:
    return settings.MAX_REQUEST_BODY_BYTES


def declared_length(request) -> int:
    """The body's length as the request declares it; 0 without a valid one, as Django then reads nothing."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def too_large_message(request, length: int) -> str:
    """What the sender reads: the sizes in words, and, for an editor, who can change the limit."""
    message = (
        f"The upload is {filesizeformat(length)}, larger than this site's limit of "
        f"{filesizeformat(max_request_body_bytes())}. Nothing was saved."
    )
    if request.path.startswith(reverse("wagtailadmin_home")):
        return f"{message} Choose a smaller file, or ask an administrator to raise MAX_REQUEST_BODY_BYTES."
    return f"{message} Please try again with smaller files."


def too_large_response(message: str) -> HttpResponse:
    return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


def limits_own_request_body(view):
    """Mark a view that refuses a body larger than ``MAX_REQUEST_BODY_BYTES`` itself, so that the middleware
    leaves it to the view. Wagtail's URL decorators copy the mark onto the views that wrap it."""
    view.limits_own_request_body = True
    return view


class RequestBodyLimitMiddleware:
    """Answers 413 to a request whose declared body exceeds ``MAX_REQUEST_BODY_BYTES``.

    It looks in ``process_view``, where the view and its mark are known (no middleware reads a body before
    then); so place it before ``CsrfViewMiddleware``, whose ``process_view`` reads the body.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "limits_own_request_body", False):
            return None
        length = declared_length(request)
        if length > max_request_body_bytes():
            return too_large_response(too_large_message(request, length))
        return None
