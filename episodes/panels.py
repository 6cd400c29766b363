from wagtail import hooks
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


class MoveChecklistPanel(Panel):
    """Where a show's move from another host stands (moving.checklist), with a button that checks the old
    feed now. Counting only: the old feed is fetched when the editor asks, never on a page view."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "episodes/panels/move_checklist.html"

        def is_shown(self):
            return (
                bool(self.instance and self.instance.pk and self.instance.old_feed_url) and super().is_shown()
            )

        def get_context_data(self, parent_context=None):
            from .moving import checklist

            context = super().get_context_data(parent_context)
            context["steps"] = checklist(self.instance)
            context["show"] = self.instance
            return context


class TranscriptStatusPanel(Panel):
    """The place of the transcript on the episode's edit form, next to its audio. What it shows (status,
    review links, chapter suggestions) is the transcripts app's: its template renders that app's
    ``transcript_status_panel`` tag, so that this app need not import that one."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "episodes/panels/transcript_status.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["audio"] = getattr(self.instance, "audio", None)
            return context


class DeliveryStatusPanel(Panel):
    """The status of the file listeners get, made from the episode's audio (``episodes.delivery``)."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "episodes/panels/delivery_status.html"

        def get_context_data(self, parent_context=None):
            from .delivery.admin import status_context

            context = super().get_context_data(parent_context)
            context.update(status_context(getattr(self.instance, "audio", None)))
            context["can_retry"] = self.request.user.has_perm("episodes.change_audiofile")
            return context


DOWNLOADS_PANEL_HOOK = "episode_downloads_panel"


class HookPanel(Panel):
    """A place on the edit form that another app fills through a Wagtail hook, so that this app need not
    import it: the analytics app's downloads chart registers under ``DOWNLOADS_PANEL_HOOK``. Each function
    registered gets the page and the request and returns HTML, or None to add nothing; the panel is left
    out when nothing is added (a page not saved yet, a user who may not see the figures, no such app)."""

    def __init__(self, hook_name: str, *args, **kwargs):
        self.hook_name = hook_name
        super().__init__(*args, **kwargs)

    def clone_kwargs(self):
        return {**super().clone_kwargs(), "hook_name": self.hook_name}

    class BoundPanel(Panel.BoundPanel):
        template_name = "episodes/panels/hooked.html"

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.parts = []
            if self.instance is not None and self.instance.pk and self.request is not None:
                for hook in hooks.get_hooks(self.panel.hook_name):
                    html = hook(self.instance, self.request)
                    if html:
                        self.parts.append(html)

        def is_shown(self):
            return bool(self.parts) and super().is_shown()
