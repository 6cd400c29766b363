from django_tasks import task

from .transcribing import requeue_stale, run_transcription


@task(queue_name="transcription")
def transcribe_audio(transcript_id: int) -> str:
    requeue_stale()  # every run also looks for work a dead worker left behind
    transcript = run_transcription(transcript_id)
    return transcript.status if transcript else "skipped"
