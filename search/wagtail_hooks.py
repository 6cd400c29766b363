from django.db import transaction
from wagtail import hooks

from transcripts.transcribing import TRANSCRIPT_CHANGED_HOOK


@hooks.register(TRANSCRIPT_CHANGED_HOOK)
def index_changed_transcript(transcript):
    from .tasks import index_transcript_task

    transaction.on_commit(lambda: index_transcript_task.enqueue(transcript.pk))
