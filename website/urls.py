from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from accounts import urls as accounts_urls
from episodes import urls as episodes_urls
from operations.health import health
from search import urls as search_urls
from transcripts import urls as transcripts_urls

from . import routing
from .views import robots_txt

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    # Before Wagtail's URLs: the password form of protected pages, throttled (accounts/throttling.py).
    path("", include(accounts_urls)),
    path("", include(episodes_urls)),
    path("", include(transcripts_urls)),
    path("", include(search_urls)),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("health/", health, name="health"),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    # Only images: audio is served by episodes' view, which checks that its page is published.
    for folder in ("images", "original_images"):
        urlpatterns += static(f"{settings.MEDIA_URL}{folder}/", document_root=settings.MEDIA_ROOT / folder)

# Wagtail's URLs, its catch-all page view found in fewer queries (website/routing.py; the same answer).
urlpatterns += [
    re_path(wagtail_urls.serve_pattern, routing.serve, name="wagtail_serve"),
    path("", include(wagtail_urls)),
]
