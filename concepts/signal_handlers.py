"""Queue linking when what it reads changes: a concept's names, an interview's text, an episode's audio.

(A finished or corrected transcript arrives through the ``transcript_changed`` hook, in wagtail_hooks.)
"""

from django.db import transaction
from wagtail.signals import page_published


def page_was_published(sender, instance, **kwargs):
    from episodes.models import EpisodePage, InterviewPage

    from .models import ConceptPage
    from .tasks import link_concept_task, link_page_text_task, link_transcript_task

    if isinstance(instance, ConceptPage):
        transaction.on_commit(lambda: link_concept_task.enqueue(instance.pk))
        return
    if isinstance(instance, InterviewPage):
        transaction.on_commit(lambda: link_page_text_task.enqueue(instance.pk))
    if isinstance(instance, EpisodePage | InterviewPage) and instance.audio_id:
        # The audio may be new to this page: its transcript's mentions must name the page too.
        transcript_id = getattr(getattr(instance.audio, "transcript", None), "pk", None)
        if transcript_id is not None:
            transaction.on_commit(lambda: link_transcript_task.enqueue(transcript_id))


def register_signal_handlers():
    from .purges import register

    page_published.connect(page_was_published, dispatch_uid="concepts-page-published")
    register()  # concept and episode pages list mentions: a change purges them from the page cache
