"""Headers that keep files uploaded by editors from acting as part of the site.

An uploaded file is served from the site's own origin: an HTML or SVG file in disguise, opened directly,
could run script there. So every response of a view that serves user files says
``Content-Security-Policy: default-src 'none'`` (nothing in it may load or run) and
``X-Content-Type-Options: nosniff`` (the browser keeps to the declared type), whatever the view set.
Pages get the site's policy from django-csp instead (``CONTENT_SECURITY_POLICY`` in settings/base.py).
"""

USER_FILES_POLICY = "default-src 'none'"

# URL names (or view paths, for unnamed routes) of the views that send user files' bytes, or redirect to
# them: audio, transcripts, Wagtail documents and images, and media in development.
USER_FILE_VIEWS = frozenset(
    {
        "episodes:audio",
        "transcripts:file",
        "wagtaildocs_serve",
        "wagtailimages_serve",
        "django.views.static.serve",
    }
)


def serves_user_file(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and match.view_name in USER_FILE_VIEWS


class UserFileHeadersMiddleware:
    """Adds the user-file headers. Place it after ``csp.middleware.CSPMiddleware``, which then keeps them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if serves_user_file(request):
            response["Content-Security-Policy"] = USER_FILES_POLICY
            response["X-Content-Type-Options"] = "nosniff"
        return response
