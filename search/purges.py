"""What search adds to a change's purge (``pagecache.purging``): a change of an episode, interview,
transcript or concept mention (and so of their audio), a linking run (it writes mentions, which the
concept filter reads) or a search index update can change any search's results. So each purges every
cached results page (``/search/`` with any query string: one path) and the remembered scopes of public
transcripts (``search-scope``, ``search.query``)."""

from django.urls import reverse
from modelsearch.tasks import insert_or_update_object_task

from concepts.models import Mention
from concepts.tasks import link_concept_task, link_page_text_task, link_transcript_task
from episodes.models import EpisodePage, InterviewPage
from pagecache.purging import affects
from pagecache.signal_handlers import after_task
from transcripts.models import Transcript

from .tasks import index_transcript_task

SCOPE = "search-scope"


def search_urls(*args, **kwargs) -> list[str]:
    return [reverse("search:search"), SCOPE]


def register() -> None:
    for model in (EpisodePage, InterviewPage, Transcript, Mention):  # a concept filter reads mentions
        affects(model, search_urls)
    for task in (index_transcript_task, link_transcript_task, link_page_text_task, link_concept_task):
        after_task(task, search_urls)
    # Wagtail re-indexes a page on every save, drafts included: only search results can change by it.
    after_task(insert_or_update_object_task, search_urls)
