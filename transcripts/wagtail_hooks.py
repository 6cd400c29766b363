from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from episodes.feeds import TRANSCRIPT_LINKS_HOOK
from episodes.importing.transcripts import TRANSCRIPT_IMPORT_HOOK, TRANSCRIPT_WANTED_HOOK
from episodes.seo import AUDIO_OBJECT_HOOK
from operations.health import WORKER_REPORT_HOOK

from . import importing
from .formats import FORMATS
from .models import Transcript
from .seo import add_transcript

# What the feed offers, in podcast:transcript order: captions first (apps prefer timed formats), then the
# Podcasting 2.0 JSON and HTML. Plain text is served but not listed: it carries nothing the others lack.
FEED_FORMATS = (("vtt", "captions"), ("srt", "captions"), ("json", None), ("html", None))


@hooks.register(TRANSCRIPT_LINKS_HOOK)
def transcript_links(page_ids: list[int], root_url: str) -> dict[int, list[tuple]]:
    """Transcript links for the feed's episodes, in one query whatever their number.

    Only published transcripts (``Transcript.objects.published``): a replaced file's old transcript would
    be out of step with the enclosure.
    """
    if not page_ids:
        return {}
    rows = (
        Transcript.objects.published()
        .filter(audio__episodes__pk__in=page_ids)
        .values_list("pk", "language", "audio__episodes__pk")
    )
    # One reverse() per format, not per episode: "/transcripts/0.vtt" -> "/transcripts/".
    prefixes = {
        ext: root_url
        + reverse("transcripts:file", kwargs={"pk": 0, "extension": ext}).removesuffix(f"0.{ext}")
        for ext, _ in FEED_FORMATS
    }
    links: dict[int, list[tuple]] = {}
    for pk, language, page_id in rows:
        links[page_id] = [
            (f"{prefixes[ext]}{pk}.{ext}", FORMATS[ext][0], language or None, rel)
            for ext, rel in FEED_FORMATS
        ]
    return links


@hooks.register(WORKER_REPORT_HOOK)
def transcription_health() -> dict[str, int]:
    """For /health/ and ``healthcheck``: transcriptions whose worker stopped beating (see recovery.py)."""
    from .recovery import stalled_transcriptions

    return {"stalled_transcriptions": stalled_transcriptions()}


@hooks.register("register_admin_viewset")
def register_transcript_viewset():
    from wagtail.permissions import register_permission_policy

    from .viewsets import MadeByTranscriptionPolicy, TranscriptViewSet

    register_permission_policy(Transcript, MadeByTranscriptionPolicy(Transcript))
    return TranscriptViewSet("transcripts_admin")


@hooks.register("register_admin_urls")
def register_chapter_suggestions_url():
    from .chapter_suggestions import SuggestChaptersView

    return [
        path(
            "episodes/<int:page_id>/suggest-chapters/",
            SuggestChaptersView.as_view(),
            name="transcripts_suggest_chapters",
        )
    ]


@hooks.register("register_admin_urls")
def register_report_urls():
    from .admin_views import FailedTranscriptionsReport

    report = FailedTranscriptionsReport.as_view()
    results = FailedTranscriptionsReport.as_view(results_only=True)
    return [
        path(
            "reports/failed-transcriptions/",
            include(
                (
                    [path("", report, name="failed"), path("results/", results, name="failed_results")],
                    "transcripts_reports",
                ),
                namespace="transcripts_reports",
            ),
        )
    ]


class ReviewMenuItem(MenuItem):
    def is_shown(self, request):
        from .admin_views import can_review

        return can_review(request.user)


@hooks.register("register_reports_menu_item")
def register_failed_report_menu_item():
    return ReviewMenuItem(
        "Failed transcriptions",
        reverse("transcripts_reports:failed"),
        name="failed-transcriptions",
        icon_name="warning",
        order=1300,
    )


hooks.register(AUDIO_OBJECT_HOOK, add_transcript)


@hooks.register("after_create_page")
@hooks.register("after_edit_page")
def warn_about_speakers(request, page):
    """On saving an episode or interview: where its people (``podcast:person``) and its transcript's
    speakers disagree (``speaker_checks``)."""
    from django.contrib import messages

    from .speaker_checks import speaker_problems

    problems = speaker_problems(page.specific)
    if problems:
        messages.warning(request, "Speakers and people do not agree: " + " ".join(problems))


# Transcripts that come with episodes imported from another host's feed (manage.py import_feed).
hooks.register(TRANSCRIPT_WANTED_HOOK, importing.wanted)
hooks.register(TRANSCRIPT_IMPORT_HOOK, importing.import_from_feed)
