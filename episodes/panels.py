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
