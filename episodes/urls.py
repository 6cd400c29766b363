from django.urls import path, register_converter

from . import embed, views
from .audioinfo import EXTENSIONS


class AudioExtensionConverter:
    regex = "|".join(EXTENSIONS)

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class RenditionExtensionConverter(AudioExtensionConverter):
    regex = "mp3|m4a|opus"


register_converter(AudioExtensionConverter, "audioext")
register_converter(RenditionExtensionConverter, "renditionext")

app_name = "episodes"
urlpatterns = [
    path("audio/<int:pk>/<str:digest>.<audioext:extension>", views.serve_audio, name="audio"),
    path("audio/<int:pk>/r/<str:digest>.<renditionext:extension>", views.serve_rendition, name="rendition"),
    path("audio/<int:pk>/r/<str:digest>.waveform.json", views.serve_waveform, name="waveform"),
    path("feeds/<int:pk>.xml", views.show_feed, name="feed"),
    path("chapters/<int:pk>.json", views.episode_chapters, name="chapters"),
    path("embed/episodes/<int:pk>/", embed.embed_player, name="embed"),
    path("oembed/", embed.oembed, name="oembed"),
]
