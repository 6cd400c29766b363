"""Every page type states where it may live; Wagtail enforces it in the admin and in code."""

from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase

from concepts.models import ConceptIndexPage
from episodes.models import EpisodePage, InterviewIndexPage, InterviewPage, ShowPage
from website.models import FeedbackFormPage, HomePage


class PageTreeRulesTests(WagtailPageTestCase):
    def test_home_page(self):
        self.assertCanCreateAt(Page, HomePage)
        self.assertAllowedParentPageTypes(HomePage, {Page})
        self.assertAllowedSubpageTypes(
            HomePage, {ShowPage, InterviewIndexPage, ConceptIndexPage, FeedbackFormPage}
        )

    def test_show_page(self):
        self.assertAllowedParentPageTypes(ShowPage, {HomePage})
        self.assertAllowedSubpageTypes(ShowPage, {EpisodePage})
        self.assertCanNotCreateAt(ShowPage, ShowPage)
        self.assertCanNotCreateAt(InterviewIndexPage, ShowPage)

    def test_episode_page(self):
        self.assertAllowedParentPageTypes(EpisodePage, {ShowPage})
        self.assertAllowedSubpageTypes(EpisodePage, set())
        self.assertCanNotCreateAt(HomePage, EpisodePage)
        self.assertCanNotCreateAt(InterviewIndexPage, EpisodePage)

    def test_interview_pages(self):
        self.assertAllowedParentPageTypes(InterviewIndexPage, {HomePage})
        self.assertAllowedSubpageTypes(InterviewIndexPage, {InterviewPage})
        self.assertAllowedParentPageTypes(InterviewPage, {InterviewIndexPage})
        self.assertAllowedSubpageTypes(InterviewPage, set())
        self.assertCanNotCreateAt(ShowPage, InterviewPage)
        self.assertCanNotCreateAt(HomePage, InterviewPage)

    def test_feedback_form_page(self):
        self.assertAllowedParentPageTypes(FeedbackFormPage, {HomePage})
        self.assertAllowedSubpageTypes(FeedbackFormPage, set())
        self.assertCanNotCreateAt(ShowPage, FeedbackFormPage)

    def test_one_home_page_and_one_interview_index_per_parent(self):
        home = HomePage.objects.get()  # created by website's migration
        self.assertFalse(HomePage.can_create_at(Page.get_first_root_node()))
        home.add_child(instance=InterviewIndexPage(title="Interviews", slug="interviews"))
        self.assertFalse(InterviewIndexPage.can_create_at(home))
