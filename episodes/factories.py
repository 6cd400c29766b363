"""factory_boy factories for the episodes app (tests and benchmarks)."""

import factory
import wagtail_factories
from django.utils import timezone
from factory.django import DjangoModelFactory

from .models import EpisodePage, InterviewIndexPage, InterviewPage, Person, ShowPage
from .uploads import create_audio_file


class PersonFactory(DjangoModelFactory):
    name = factory.Faker("name")
    role_description = "Patient leader"
    bio = factory.Faker("paragraph")

    class Meta:
        model = Person


class AudioFileFactory(factory.Factory):
    """Creates an AudioFile through the upload checks; ``path`` must point at a real audio file."""

    title = factory.Sequence(lambda n: f"Audio {n}")
    path = None

    class Meta:
        model = dict  # built by _create below

    @classmethod
    def _create(cls, model_class, *, path, title, user=None):
        return create_audio_file(path, title=title, user=user)


class ShowPageFactory(wagtail_factories.PageFactory):
    title = "The Power of Coproduction"
    slug = factory.Sequence(lambda n: f"show-{n}")
    description = "Conversations about making health together."
    author = "Coproduction Collective"
    owner_name = "Coproduction Collective"
    owner_email = "podcast@example.org"

    class Meta:
        model = ShowPage


class EpisodePageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Episode {n}")
    slug = factory.Sequence(lambda n: f"episode-{n}")
    summary = "Two people talk about deciding together."
    publication_date = factory.LazyFunction(timezone.now)

    class Meta:
        model = EpisodePage


class InterviewIndexPageFactory(wagtail_factories.PageFactory):
    title = "Interviews"
    slug = factory.Sequence(lambda n: f"interviews-{n}")

    class Meta:
        model = InterviewIndexPage


class InterviewPageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Interview {n}")
    slug = factory.Sequence(lambda n: f"interview-{n}")
    intro = "A written conversation."
    body = factory.LazyFunction(lambda: [("question", {"text": "What does coproduction mean to you?"})])

    class Meta:
        model = InterviewPage
