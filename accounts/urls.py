"""Site URLs of the accounts app: the throttled form of a password-protected page. Included by the
project before Wagtail's own URLs, under Wagtail's path and URL name, so that every page's form uses it."""

from django.urls import path

from .throttling import authenticate_with_password

urlpatterns = [
    path(
        "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/",
        authenticate_with_password,
        name="wagtailcore_authenticate_with_password",
    ),
]
