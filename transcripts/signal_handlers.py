from django.db import transaction
from django.db.models.signals import post_save


def audio_saved(sender, instance, **kwargs):
    # After commit: the transcript is requested only for audio that was really stored.
    from .transcribing import request_transcription

    transaction.on_commit(lambda: request_transcription(instance))


def register_signal_handlers():
    from episodes.models import AudioFile

    from .purges import register

    post_save.connect(audio_saved, sender=AudioFile, dispatch_uid="transcripts-audio-saved")
    register()  # episode pages show its status and segments: a change purges them
