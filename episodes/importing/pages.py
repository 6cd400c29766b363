"""Writing a show or an episode page as the admin's edit view does: to its latest revision, with a new
revision only when something changed."""

from __future__ import annotations

from wagtail.models import Page

from .outcomes import PUBLISHED, UNCHANGED, UPDATED


def apply(page: Page, values: dict) -> bool:
    """Set ``values`` on ``page``; True when any differed."""
    changed = False
    for name, value in values.items():
        if name == "artwork":
            if page.artwork_id != (value.pk if value else None):
                page.artwork, changed = value, True
        elif getattr(page, name) != value:
            setattr(page, name, value)
            changed = True
    return changed


def set_children(page: Page, relation: str, rows: list, fields: tuple[str, ...]) -> bool:
    """Replace a child relation (chapters, people…) when its rows differ, in order, from ``rows``."""
    current = [tuple(getattr(row, f) for f in fields) for row in getattr(page, relation).all()]
    wanted = [tuple(getattr(row, f) for f in fields) for row in rows]
    if current == wanted:
        return False
    setattr(page, relation, rows)
    return True


def save(existing: Page, page: Page, changed: bool, *, publish: bool, user) -> str:
    """Save a new revision when something changed, as the admin's edit view does, and publish it when
    asked. Unchanged pages get no revision, but ``publish`` still publishes a page that is not live yet
    (e.g. imported as a draft before) or whose latest revision is a draft."""
    if changed:
        revision = page.save_revision(user=user, log_action=True)
        if publish:
            revision.publish(user=user)
        return UPDATED
    if publish and (not existing.live or existing.has_unpublished_changes):
        revision = existing.get_latest_revision() or existing.save_revision(user=user, log_action=True)
        revision.publish(user=user)
        return PUBLISHED
    return UNCHANGED
