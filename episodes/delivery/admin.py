"""What the editor sees of delivery: the status line of an audio file's rendition (the episode's edit page
and the Audio listing) and the *Try again* view of a failed one."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from wagtail.admin.utils import get_valid_next_url_from_request

from ..models import AudioFile, AudioRendition
from ..models.renditions import listed_without_rendition
from .preparing import enabled, request_delivery, try_again


def current_rendition(audio: AudioFile | None) -> AudioRendition | None:
    """The MP3 rendition of the master's present content, whatever its state, or None."""
    if audio is None or not audio.pk:
        return None
    return audio.renditions.active().filter(format=AudioRendition.MP3, master_sha256=audio.sha256).first()


def extra_renditions(audio: AudioFile | None) -> list[AudioRendition]:
    """The renditions of the master's present content in the formats besides the MP3 (M4A, Opus) that
    its shows ask for, whatever their state, in the order of ``AudioRendition.FORMATS``."""
    if audio is None or not audio.pk:
        return []
    found = {
        rendition.format: rendition
        for rendition in audio.renditions.active()
        .filter(master_sha256=audio.sha256)
        .exclude(format=AudioRendition.MP3)
    }
    return [found[fmt] for fmt, _ in AudioRendition.FORMATS if fmt in found]


def status_context(audio: AudioFile | None) -> dict:
    rendition, extra = current_rendition(audio), extra_renditions(audio)
    return {
        "audio": audio,
        "rendition": rendition,
        "extra_renditions": extra,
        "any_failed": any(r.status == AudioRendition.FAILED for r in [rendition, *extra] if r is not None),
        "delivery_enabled": enabled(),
        "listed_without_rendition": audio is not None and listed_without_rendition(audio.extension),
    }


def with_delivery_status(queryset):
    """``queryset`` of audio files annotated with their current rendition's status and progress, so that a
    listing shows them without a query per row."""
    current = AudioRendition.objects.active().filter(
        audio=OuterRef("pk"), format=AudioRendition.MP3, master_sha256=OuterRef("sha256")
    )
    return queryset.annotate(
        delivery_status=Subquery(current.values("status")[:1]),
        delivery_progress=Subquery(current.values("progress")[:1]),
        delivery_bitrate=Subquery(current.values("bitrate")[:1]),
    )


def status_label(status: str | None, progress: float | None = None, bitrate: int | None = None) -> str:
    if status is None:
        return "Not prepared" if enabled() else "Off"
    if status == AudioRendition.RUNNING:
        return f"Preparing, {round((progress or 0) * 100)}%"
    if status == AudioRendition.DONE:
        return f"Ready (MP3, {bitrate // 1000} kbit/s)" if bitrate else "Ready"
    return dict(AudioRendition.STATUSES)[status]


@require_http_methods(["GET", "POST"])
def retry(request, pk):
    """Ask for the audio file's rendition again (a failed one, usually): a confirmation, then the queue."""
    audio = get_object_or_404(AudioFile, pk=pk)
    if not request.user.has_perm("episodes.change_audiofile"):
        raise PermissionDenied
    next_url = get_valid_next_url_from_request(request)
    if request.method == "POST":
        if audio.renditions.active().filter(status=AudioRendition.FAILED).exists():
            try_again(audio)  # the ready ones stay in the feed meanwhile
        else:
            request_delivery(audio, force=True)
        return HttpResponseRedirect(
            next_url or reverse("wagtailsnippets_episodes_audiofile:edit", args=[audio.pk])
        )
    return TemplateResponse(
        request,
        "episodes/admin/delivery_retry.html",
        {**status_context(audio), "next": next_url, "page_title": f"Prepare “{audio}” again"},
    )
