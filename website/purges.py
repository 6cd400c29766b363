"""What the site's own pages add to a change's purge (``pagecache.purging``): the home page (it lists the
latest episodes and interviews) and the sitemap."""

from django.urls import reverse
from wagtail.models import Site

from episodes.models import EpisodePage, InterviewPage
from pagecache.purging import affects


def home_urls(page) -> list[str]:
    return [*(site.root_url + "/" for site in Site.objects.all()), reverse("sitemap")]


def register() -> None:
    for model in (EpisodePage, InterviewPage):
        affects(model, home_urls)
