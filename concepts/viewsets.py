from django.utils.text import Truncator
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from .models import Mention


class FoundByLinkingPolicy(ModelPermissionPolicy):
    """Mentions are found by linking, not typed in: editors may only hide or show one."""

    def user_has_permission(self, user, action):
        return action not in ("add", "copy", "delete") and super().user_has_permission(user, action)


class QuoteColumn(Column):
    def get_value(self, instance):
        return Truncator(instance.quote).chars(100)


class MentionViewSet(ModelViewSet):
    model = Mention
    icon = "tag"
    menu_label = "Concept mentions"
    menu_order = 280
    add_to_admin_menu = True
    list_display = ["concept", "page", "start_ms", QuoteColumn("quote", label="Quote"), "hidden"]
    list_filter = ["hidden", "concept"]
    search_fields = ["quote"]
    form_fields = ["hidden"]
