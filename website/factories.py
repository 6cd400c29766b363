"""factory_boy factories for the website app (tests and benchmarks)."""

import factory
import wagtail_factories

from .models import FeedbackFormField, FeedbackFormPage

FEEDBACK_FIELDS = [("Your name", "singleline"), ("Email", "email"), ("Message", "multiline")]


class FeedbackFormPageFactory(wagtail_factories.PageFactory):
    """A published feedback form; ``fields=[(label, field_type), ...]`` (default: name, email and message),
    each required."""

    title = "We want to hear from you"
    slug = "feedback"

    class Meta:
        model = FeedbackFormPage
        skip_postgeneration_save = True  # the hook saves by publishing

    @factory.post_generation
    def fields(page, create, extracted, **kwargs):
        for label, field_type in FEEDBACK_FIELDS if extracted is None else extracted:
            FeedbackFormField.objects.create(page=page, label=label, field_type=field_type, required=True)
        if create:
            page.save_revision().publish()
