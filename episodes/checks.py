from django.conf import settings
from django.core.checks import Error, register

AUDIO_DELIVERIES = ("django", "x-accel-redirect", "redirect")


@register()
def check_audio_delivery(app_configs, **kwargs):
    if settings.AUDIO_DELIVERY not in AUDIO_DELIVERIES:
        return [
            Error(
                f"AUDIO_DELIVERY is {settings.AUDIO_DELIVERY!r}.",
                hint=f"Use one of: {', '.join(AUDIO_DELIVERIES)} (see docs/operators.md).",
                id="episodes.E001",
            )
        ]
    return []
