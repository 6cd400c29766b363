from django.urls import path, register_converter

from . import views
from .formats import FORMATS


class TranscriptExtensionConverter:
    regex = "|".join(FORMATS)

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(TranscriptExtensionConverter, "transcriptext")

app_name = "transcripts"
urlpatterns = [
    path("transcripts/<int:pk>.<transcriptext:extension>", views.transcript_file, name="file"),
]
