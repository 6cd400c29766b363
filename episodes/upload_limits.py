"""Refusing an oversized audio upload from its declared length, before a byte of it is read.

Django spills a file upload to a temporary file as it arrives (``FILE_UPLOAD_MAX_MEMORY_SIZE``), so memory
stays small, but it reads the whole body before a view sees it: a 2 GB upload would hold a web worker for
minutes and fill the temporary folder before the form's size check (``episodes.audioinfo.check_size``)
could say it is too large. The audio upload views therefore look at the request's ``Content-Length``
first and answer 413 at once when it exceeds ``AUDIO_MAX_UPLOAD_BYTES`` plus room for the other form
fields; the server then closes the connection without reading the rest. An upload just over the limit
(within that room) is still read and refused by the form, with the same message.

A request without a ``Content-Length`` (chunked) is not read at all: Django parses no body without one.

These views are left out of the site-wide cap on any request's body (``operations.request_limits``), which
would refuse the upload before Wagtail's access check and without the audio limit in its words; they hold
the body to that cap themselves.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from operations.request_limits import (
    limits_own_request_body,
    max_request_body_bytes,
    too_large_message,
    too_large_response,
)

from .audioinfo import AudioError, check_size, max_upload_bytes


def _room_for_other_fields() -> int:
    # Fields that are not files are held to DATA_UPLOAD_MAX_MEMORY_SIZE by Django itself.
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0


class DeclaredSizeLimit(FileUploadHandler):
    """An upload handler that parses nothing when the body announces more than an audio upload may hold.

    It answers the parse itself, with no fields and no files, so the body is never read; ``refusal`` then
    holds the message for the editor.
    """

    def __init__(self, request=None):
        super().__init__(request)
        self.refusal = ""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length <= min(max_upload_bytes() + _room_for_other_fields(), max_request_body_bytes()):
            return None  # read it: the form checks the file's own size
        try:
            check_size(content_length)
        except AudioError as error:
            self.refusal = str(error)
        else:  # within the audio limit, but MAX_REQUEST_BODY_BYTES is set lower
            self.refusal = too_large_message(self.request, content_length)
        return QueryDict(encoding=encoding), MultiValueDict()

    def receive_data_chunk(self, raw_data, start):
        return raw_data  # within the limit: the next handlers store it

    def file_complete(self, file_size):
        return None


def refuse_oversized_uploads(view):
    """Wrap an admin view that receives audio files with the ``DeclaredSizeLimit`` check.

    The check must come before Django's CSRF check, which reads the body to find the token; so the view
    is exempt from the middleware's check and makes the same check itself once the size is known to be
    acceptable. A refused request changes nothing, so it needs no token.
    """
    protected = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def limited(request, *args, **kwargs):
        if request.method == "POST":
            limit = DeclaredSizeLimit(request)
            request.upload_handlers.insert(0, limit)
            request.POST  # noqa: B018 (parse the body now, under the limit)
            if limit.refusal:
                # The server closes the connection after this answer, as the body was not read.
                return too_large_response(limit.refusal)
        return protected(request, *args, **kwargs)

    return limits_own_request_body(limited)
