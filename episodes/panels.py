from wagtail.admin.panels import Panel

from .directory_checks import episode_problems, show_problems


class DirectoryChecksPanel(Panel):
    """Lists what Apple Podcasts would reject about the page being edited (see directory_checks)."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "episodes/panels/directory_checks.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            page = self.instance
            from .models import ShowPage

            check = show_problems if isinstance(page, ShowPage) else episode_problems
            context["problems"] = check(page) if page.pk else []
            return context


class TranscriptStatusPanel(Panel):
    """The transcript of the episode's audio, as the transcription app reports it (read through the
    audio's reverse relation, so this app need not import that one)."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "episodes/panels/transcript_status.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            audio = getattr(self.instance, "audio", None)
            context["audio"] = audio
            context["transcript"] = getattr(audio, "transcript", None) if audio else None
            return context
