from django import forms
from django.db import models
from django.db.models import Q
from django.urls import reverse
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.forms.forms import FormBuilder
from wagtail.contrib.forms.models import AbstractEmailForm, AbstractFormField
from wagtail.contrib.forms.panels import FormSubmissionsPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from episodes.models import EpisodePage, InterviewPage, ShowPage
from episodes.seo import SeoMixin, absolute

from .navigation import site_sections


class HomePage(SeoMixin, Page):
    """The site's front page: the shows (the featured one first), the latest episodes and interviews."""

    intro = RichTextField(blank=True)
    featured_show = models.ForeignKey(
        "episodes.ShowPage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The show the home page presents; its latest episodes are listed.",
    )

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("featured_show")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = [
        "episodes.ShowPage",
        "episodes.InterviewIndexPage",
        "concepts.ConceptIndexPage",
        "website.FeedbackFormPage",
    ]
    max_count = 1

    LATEST_EPISODES = 6
    LATEST_INTERVIEWS = 3

    def share_image(self):
        """The featured show's artwork, while the show is live."""
        show = self.featured_show
        return show.artwork if show is not None and show.live else None

    def json_ld(self, meta, request, *, root: str, url: str) -> list[dict]:
        search_url = absolute(root, reverse("search:search"))
        target = {"@type": "EntryPoint", "urlTemplate": f"{search_url}?q={{search_term_string}}"}
        return [
            {
                "@context": "https://schema.org",
                "@type": "WebSite",
                "name": meta.site_name,
                "url": url or root + "/",
                "potentialAction": {
                    "@type": "SearchAction",
                    "target": target,
                    "query-input": "required name=search_term_string",
                },
            }
        ]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        sections = site_sections(self)
        # The featured show first, then the others in the editor's order.
        shows = sorted(
            ShowPage.objects.filter(pk__in=[page.pk for page in sections.shows]).select_related("artwork"),
            key=lambda show: (show.pk != self.featured_show_id, show.path),
        )
        context["shows"] = shows
        context["show"] = shows[0] if shows else None
        context["interview_index"] = sections.interviews
        context["concept_index"] = sections.concepts
        context["latest_episodes"] = self.latest_episodes(shows)
        context["latest_interviews"] = (
            InterviewPage.objects.child_of(sections.interviews)
            .live()
            .public()
            .order_by("-date", "-pk")[: self.LATEST_INTERVIEWS]
            if sections.interviews
            else []
        )
        return context

    def latest_episodes(self, shows) -> list:
        """The newest released, public episodes of the given (live, public) shows; with more than one show,
        each episode carries its show as ``listing_show``."""
        if not shows:
            return []
        by_path = {show.path: show for show in shows}
        in_shows = Q()
        for show in shows:
            in_shows |= Q(path__startswith=show.path, depth=show.depth + 1)
        episodes = list(
            EpisodePage.objects.released()
            .public()
            .filter(in_shows)
            .select_related("audio")
            .order_by("-publication_date", "-pk")[: self.LATEST_EPISODES]
        )
        if len(shows) > 1:
            for episode in episodes:
                episode.listing_show = by_path.get(episode.path[: -EpisodePage.steplen])
        return episodes


HONEYPOT_FIELD = "website_url"


class HoneypotFormBuilder(FormBuilder):
    """Adds a field that people never see and spam robots fill in."""

    def get_form_class(self):
        form_class = super().get_form_class()
        form_class.base_fields[HONEYPOT_FIELD] = forms.CharField(
            required=False,
            label="Leave this field empty",
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )
        return form_class


class FeedbackFormField(AbstractFormField):
    page = ParentalKey("FeedbackFormPage", on_delete=models.CASCADE, related_name="form_fields")


class FeedbackFormPage(SeoMixin, AbstractEmailForm):
    """'We want to hear from you': submissions are kept in the admin and never published."""

    form_builder = HoneypotFormBuilder
    intro = RichTextField(blank=True)
    thank_you_text = RichTextField(blank=True)

    content_panels = AbstractEmailForm.content_panels + [
        FormSubmissionsPanel(),
        FieldPanel("intro"),
        InlinePanel("form_fields", label="Form fields"),
        FieldPanel("thank_you_text"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("from_address"), FieldPanel("to_address")]),
                FieldPanel("subject"),
            ],
            heading="Email a copy of each submission (optional)",
        ),
    ]
    parent_page_types = ["website.HomePage"]
    subpage_types = []

    class Meta:
        verbose_name = "feedback form page"

    def get_form_fields(self):
        return self.form_fields.all()

    def is_spam(self, form) -> bool:
        return bool(form.data.get(HONEYPOT_FIELD))

    def process_form_submission(self, form):
        # The honeypot is not a question the editor asked: never store it.
        form.cleaned_data.pop(HONEYPOT_FIELD, None)
        return super().process_form_submission(form)

    def serve(self, request, *args, **kwargs):
        if request.method == "POST":
            form = self.get_form(request.POST, request.FILES, page=self, user=request.user)
            if self.is_spam(form):
                # Answer as if it worked, so the robot learns nothing; keep nothing.
                return self.render_landing_page(request, None, *args, **kwargs)
        return super().serve(request, *args, **kwargs)
