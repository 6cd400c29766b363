import os

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.text import slugify
from wagtail.admin.panels import FieldPanel
from wagtail.models import Page
from wagtail.search import index

from ..audioinfo import MIME_TYPES, AudioInfo
from ..forms import AudioFileForm


def audio_upload_to(instance: "AudioFile", filename: str) -> str:
    stem = slugify(os.path.splitext(os.path.basename(filename))[0])[:60] or "audio"
    return f"audio/{instance.sha256[:2]}/{stem}-{instance.sha256[:12]}.{instance.extension}"


def _shown(page) -> bool:
    """Whether visitors may see ``page`` now: live, and an episode only from its publication date."""
    released = getattr(page, "released", None)  # EpisodePage's; other pages have no date to wait for
    return page.live if released is None else released


class AudioFileQuerySet(models.QuerySet):
    def public(self):
        """The files a live page without view restrictions uses, whatever the page type (each page model
        that points at AudioFile: episodes, interviews; an episode from its publication date):
        ``is_public`` for a whole queryset."""
        from .episodes import released_pages  # episodes' models come after this module's

        private = Page.objects.all().private_q()
        used = models.Q()
        for relation in self.model._meta.related_objects:
            if issubclass(relation.related_model, Page):
                pages = released_pages(relation.related_model.objects.all()).exclude(private)
                used |= models.Q(pk__in=pages.values(relation.field.attname))
        return self.filter(used) if used else self.none()


class AudioFile(index.Indexed, models.Model):
    """An uploaded audio file and what mutagen read from it.

    The file is validated before it is saved (see ``episodes.audioinfo.inspect_audio``); the metadata fields
    are filled from that inspection and are not editable by hand. The public URL contains part of the
    content hash, so replacing the file gives a new URL and an enclosure URL never serves other bytes.
    """

    title = models.CharField(max_length=255, blank=True, help_text="Leave blank to use the file's name.")
    file = models.FileField(upload_to=audio_upload_to, max_length=255)
    extension = models.CharField(max_length=8, editable=False)
    mime_type = models.CharField(max_length=64, editable=False)
    duration_ms = models.PositiveBigIntegerField("duration (ms)", editable=False)
    bitrate = models.PositiveIntegerField("bitrate (bit/s)", editable=False)
    sample_rate = models.PositiveIntegerField("sample rate (Hz)", null=True, editable=False)
    channels = models.PositiveSmallIntegerField(null=True, editable=False)
    size = models.PositiveBigIntegerField("size (bytes)", editable=False)
    sha256 = models.CharField("SHA-256", max_length=64, editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = AudioFileQuerySet.as_manager()

    base_form_class = AudioFileForm
    panels = [FieldPanel("title"), FieldPanel("file")]
    search_fields = [index.SearchField("title"), index.AutocompleteField("title")]

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "audio file"

    def __str__(self):
        return self.title

    def apply_info(self, info: AudioInfo) -> None:
        self.extension = info.format.extension
        self.mime_type = info.format.mime_type
        self.duration_ms = info.duration_ms
        self.bitrate = info.bitrate
        self.sample_rate = info.sample_rate
        self.channels = info.channels
        self.size = info.size
        self.sha256 = info.sha256

    @property
    def duration_seconds(self) -> int:
        return round(self.duration_ms / 1000)

    @property
    def digest(self) -> str:
        return self.sha256[:16]

    @property
    def content_type(self) -> str:
        return MIME_TYPES.get(self.extension, self.mime_type)

    @property
    def url(self) -> str:
        """The public path, ending in the file's extension (podcast apps look at it)."""
        return self.path_for(self.pk, self.sha256, self.extension)

    @staticmethod
    def path_for(pk: int, sha256: str, extension: str) -> str:
        """``url`` from plain values, for listings that read rows rather than objects (the feed)."""
        return reverse("episodes:audio", kwargs={"pk": pk, "digest": sha256[:16], "extension": extension})

    def pages(self):
        """Every page that uses this file, across all page types that point at AudioFile."""
        for relation in self._meta.related_objects:
            if issubclass(relation.related_model, Page):
                yield from relation.related_model.objects.filter(**{relation.field.name: self})

    def is_public(self) -> bool:
        """True when a live page without view restrictions uses the file (an episode from its publication
        date, as ``public()``)."""
        return any(_shown(page) and not page.get_view_restrictions() for page in self.pages())

    def is_visible_to(self, request) -> bool:
        """True when a live page using the file may be seen by this request.

        Editors (anyone with admin access) hear everything, so previews play. Everybody else needs a
        live page whose view restrictions (login, password, groups) the request passes.
        """
        user = getattr(request, "user", None)
        if user is not None and user.has_perm("wagtailadmin.access_admin"):
            return True
        return any(
            _shown(page) and all(r.accept_request(request) for r in page.get_view_restrictions())
            for page in self.pages()
        )
