"""Linking runs in the background: a transcript or a concept changed, its mentions follow shortly."""

from django_tasks import task

from . import linking


@task()
def link_transcript_task(transcript_id: int) -> int:
    return linking.link_transcript(transcript_id)


@task()
def link_page_text_task(page_id: int) -> int:
    return linking.link_page_text(page_id)


@task()
def link_concept_task(concept_id: int) -> int:
    return linking.link_concept(concept_id)
