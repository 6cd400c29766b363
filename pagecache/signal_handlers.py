"""Purging the page cache (``pagecache.caching``) whenever something a public page shows may have changed.

The rule is "purge when in doubt": a purge only costs re-rendering pages, a missed one shows visitors an
old page for up to PAGE_CACHE_SECONDS. Saves that change no public page are left out on purpose: a draft
(a new revision), task results, sessions, form submissions, search hit counts.

What a change purges is ``pagecache.purging``'s business: the pages an app's rules name for the object
(``purging.affects``), else every page. Pages, sites, images, view restrictions, search promotions and
settings are watched here (every page, as they show on any page). The apps above this one declare their
own models with ``purging.affects`` (just the pages they show on) or :func:`watch` (every page), as this
app imports none of them; and a task's results with :func:`after_task`.
"""

from django.apps import apps
from django.db.models.signals import post_delete, post_save
from django_tasks.signals import task_finished
from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting
from wagtail.images import get_image_model
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from .caching import purge
from .purging import affects, has_rules, purge_for, purge_urls

# What a draft save (``save_revision``) and locking write on the page row: none of it is public.
DRAFT_FIELDS = frozenset(
    {
        "wagtail_admin_comments",
        "latest_revision_created_at",
        "draft_title",
        "latest_revision",
        "has_unpublished_changes",
        "locked",
        "locked_by",
        "locked_at",
    }
)

# Background tasks that change nothing a page shows. Every other task purges when it finishes: concept
# linking and search indexing write in bulk (no model signals), and a new task is covered by default.
QUIET_TASKS = frozenset(
    {
        "episodes.tasks.ping_hubs_task",
        "wagtail.tasks.update_reference_index_task",
        "wagtail.tasks.delete_file_from_storage_task",
        "wagtail.contrib.frontend_cache.tasks.purge_urls_from_cache_task",
    }
)


def watched_models() -> tuple[type, ...]:
    """Models whose rows pages show (besides pages themselves, which have their own rule), other than
    those the apps above declare with ``watch``."""
    settings_models = [m for m in apps.get_models() if issubclass(m, BaseSiteSetting | BaseGenericSetting)]
    try:
        from wagtail.contrib.search_promotions.models import SearchPromotion
    except RuntimeError:  # the app is not installed
        promotions = []
    else:
        promotions = [SearchPromotion]
    return (
        PageViewRestriction,
        Site,
        get_image_model(),
        *promotions,
        *settings_models,
    )


def model_changed(sender, instance, **kwargs):
    if kwargs.get("raw"):
        # Rows loaded as they are (loaddata, a test database restored): what they refer to may not be
        # loaded yet, so no rule can be asked. Every page, once per commit.
        purge(using=kwargs.get("using"))
    elif isinstance(instance, Page):
        page_saved(instance, **kwargs)
    elif has_rules(instance):
        purge_for(instance, using=kwargs.get("using"))


def page_saved(page, signal=None, update_fields=None, using=None, **kwargs):
    """A live page saved (an import, a script, a publish) or any page deleted; not a draft or a lock."""
    draft_only = update_fields is not None and set(update_fields) <= DRAFT_FIELDS
    if signal is post_delete or (page.live and not draft_only):
        purge_for(page, using=using)


def page_changed(sender, instance, **kwargs):
    purge_for(instance)


def page_moved(sender, **kwargs):
    """A moved page or a new slug changes the URLs of the page and all below it: every page."""
    purge()


def task_done(sender, task_result, **kwargs):
    path = task_result.task.module_path
    if path in QUIET_TASKS:
        return
    rules = _task_rules.get(path)
    affected: set[str] | None = set() if rules else None
    for rule in rules or ():
        try:
            urls = rule(*task_result.args, **task_result.kwargs)
        except Exception:
            urls = None
        if urls is None:
            affected = None
            break
        affected.update(url for url in urls if url)
    if affected is None:
        purge()
    else:
        purge_urls(affected)


_task_rules: dict[str, list] = {}


def _everything(instance):
    return None


def watch(*models: type) -> None:
    """Purge the whole page cache whenever a row of one of these models is saved or deleted: for models
    whose rows public pages show, where those pages cannot be named (``purging.affects`` names them).
    Call it from the app's ``AppConfig.ready``."""
    for model in models:
        affects(model, _everything)


def after_task(task, rule) -> None:
    """When ``task`` finishes, purge what its rules name, ``rule(*args, **kwargs)`` (URLs and names, as
    ``purging.affects``; None: every page), instead of every page. A task without a rule purges every
    page. Several apps may add rules for one task."""
    rules = _task_rules.setdefault(task.module_path, [])
    if rule not in rules:
        rules.append(rule)


def register_signal_handlers():
    watch(*watched_models())
    # Without a sender: pages are many models, and the check is one isinstance.
    post_save.connect(model_changed, dispatch_uid="website-page-cache-save")
    post_delete.connect(model_changed, dispatch_uid="website-page-cache-delete")
    for signal in (page_published, page_unpublished):
        signal.connect(page_changed, dispatch_uid=f"website-page-cache-{id(signal)}")
    for signal in (post_page_move, page_slug_changed):
        signal.connect(page_moved, dispatch_uid=f"website-page-cache-{id(signal)}")
    task_finished.connect(task_done, dispatch_uid="website-page-cache-task")
