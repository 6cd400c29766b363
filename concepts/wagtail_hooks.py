from django.db import transaction
from wagtail import hooks

from transcripts.transcribing import TRANSCRIPT_CHANGED_HOOK, VOCABULARY_HOOK


@hooks.register(TRANSCRIPT_CHANGED_HOOK)
def link_changed_transcript(transcript):
    from .tasks import link_transcript_task

    transaction.on_commit(lambda: link_transcript_task.enqueue(transcript.pk))


@hooks.register(VOCABULARY_HOOK)
def concept_vocabulary():
    """Concept terms and aliases for the transcription glossary prompt, so that new concepts are spelled
    right in later transcriptions (the prompt keeps its end when too long: these come last)."""
    from .models import ConceptPage

    for concept in ConceptPage.objects.live().only("title", "other_names").order_by("title"):
        yield from concept.names


@hooks.register("register_admin_viewset")
def register_mention_viewset():
    from wagtail.permissions import register_permission_policy

    from .models import Mention
    from .viewsets import FoundByLinkingPolicy, MentionViewSet

    register_permission_policy(Mention, FoundByLinkingPolicy(Mention))
    return MentionViewSet("mentions")
