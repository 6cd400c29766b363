"""Each page model states what machines read about it (episodes.seo.SeoMixin); the site's tag only asks."""

from wagtail.models import Page, get_page_models

from episodes.models import EpisodePage, InterviewPage, ShowPage
from episodes.seo import SeoMixin


def test_every_page_model_of_the_site_describes_itself():
    ours = [model for model in get_page_models() if model is not Page]
    assert ours
    assert [model.__name__ for model in ours if not issubclass(model, SeoMixin)] == []


def test_page_types_state_their_own_schema_org_data():
    for model in (ShowPage, EpisodePage, InterviewPage):
        assert model.json_ld is not SeoMixin.json_ld, model
