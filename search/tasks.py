from django_tasks import task

from .indexing import index_transcript


@task()
def index_transcript_task(transcript_id: int) -> int:
    return index_transcript(transcript_id)
