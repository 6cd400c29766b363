"""The admin view behind the move checklist's "Check the old feed now" button (see moving.py)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_POST

from .models import ShowPage
from .moving import record_check


@require_POST
def check_old_feed(request, page_id):
    """Fetch the show's old feed now (with a timeout) and say whether it sends podcast apps here. The
    button sits inside the page's edit form (``formaction``), so this ignores the form's other fields."""
    show = get_object_or_404(ShowPage, pk=page_id)
    if not show.permissions_for_user(request.user).can_edit():
        raise PermissionDenied
    edit_url = reverse("wagtailadmin_pages:edit", args=[show.pk])
    if not show.old_feed_url:
        messages.warning(request, "The show has no old feed address to check.")
        return HttpResponseRedirect(edit_url)
    result = record_check(show)
    if result.redirected:
        messages.success(request, result.message)
    elif result.redirected is None:
        messages.warning(request, result.message)
    else:
        messages.error(request, result.message)
    return HttpResponseRedirect(edit_url + "#tab-settings")
