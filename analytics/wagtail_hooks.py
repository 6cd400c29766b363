from wagtail import hooks

from episodes.listening import AUDIO_SERVED_HOOK

from .counting import count_download

hooks.register(AUDIO_SERVED_HOOK, count_download)
