from django_tasks import task

from .transcribing import run_transcription


@task(queue_name="transcription")
def transcribe_audio(transcript_id: int) -> str:
    transcript = run_transcription(transcript_id)
    return transcript.status if transcript else "skipped"
