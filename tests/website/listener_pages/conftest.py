"""The show (with a host) and the interview index that the listener-page tests put their pages under."""

import pytest

from episodes.factories import InterviewIndexPageFactory, PersonFactory, ShowPageFactory
from episodes.models import ShowHost


@pytest.fixture
def show(home_page):
    show = ShowPageFactory(parent=home_page, title="The Power of Coproduction", slug="coproduction")
    host = PersonFactory(name="Amara Okafor")
    ShowHost.objects.create(page=show, person=host)
    return show


@pytest.fixture
def interview_index(home_page):
    return InterviewIndexPageFactory(parent=home_page, title="Interviews", slug="interviews")
