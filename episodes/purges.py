"""What a change of an episode, an interview or an audio file affects, for the page cache and the CDN
(``pagecache.purging``). The apps above add their own URLs for the same objects (transcript files, concept
pages, search, the home page). A show's own change purges every page (its name and artwork are on each of
its episodes' pages): rare, and left to the fallback.
"""

from __future__ import annotations

from django.urls import reverse

from pagecache.purging import affected_by, affects
from pagecache.signal_handlers import after_task, watch

from .models import AudioFile, AudioRendition, EpisodePage, InterviewPage, Person, ShowPage
from .tasks import check_tags_task, prepare_audio_task


def page_url(page) -> str | None:
    return page.get_full_url() if page is not None else None


def episode_urls(page: EpisodePage) -> list[str | None]:
    """The episode's page (JSON-LD is in it), its embed and chapters, its show's pages and feed."""
    show = ShowPage.objects.filter(pk=page.get_parent().pk).first() if page.depth > 1 else None
    urls = [
        page_url(page),
        reverse("episodes:embed", args=[page.pk]),
        reverse("episodes:chapters", args=[page.pk]),
    ]
    if show is not None:
        urls += [page_url(show), show.feed_url()]
    return urls


def interview_urls(page: InterviewPage) -> list[str | None]:
    """The interview's page and the list of interviews it is in."""
    parent = page.get_parent() if page.depth > 1 else None
    return [page_url(page), page_url(parent)]


def audio_urls(audio: AudioFile) -> set[str] | None:
    """Every page that plays it (the player, duration and file links), with all they affect."""
    pages = [*EpisodePage.objects.filter(audio=audio), *InterviewPage.objects.filter(audio=audio)]
    return affected_by(*pages) if pages else set()


def rendition_prepared(rendition_id: int) -> set[str] | None:
    rendition = AudioRendition.objects.filter(pk=rendition_id).select_related("audio").first()
    return audio_urls(rendition.audio) if rendition is not None else set()


def register() -> None:
    affects(EpisodePage, episode_urls)
    affects(InterviewPage, interview_urls)
    affects(AudioFile, audio_urls)
    after_task(prepare_audio_task, rendition_prepared)
    after_task(check_tags_task, lambda audio_ids: [])  # it only queues re-tags (prepare_audio_task)
    watch(Person)  # on any page that credits them; rare: every page
