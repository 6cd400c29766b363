from wagtail.snippets.models import register_snippet

from .viewsets import AudioFileViewSet, PersonViewSet

register_snippet(AudioFileViewSet)
register_snippet(PersonViewSet)
