"""Purging the page cache (``pagecache.caching``) whenever something a public page shows may have changed.

The rule is "purge when in doubt": a purge only costs re-rendering pages, a missed one shows visitors an
old page for up to PAGE_CACHE_SECONDS. Saves that change no public page are left out on purpose: a draft
(a new revision), task results, sessions, form submissions, search hit counts.

Pages, sites, images, view restrictions, search promotions and settings are watched here. The apps above
this one declare their own models that pages show with :func:`watch` (episodes: people and audio files;
transcripts: transcripts; concepts: mentions), as this app imports none of them.
"""

from django.apps import apps
from django.db.models.signals import post_delete, post_save
from django_tasks.signals import task_finished
from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting
from wagtail.images import get_image_model
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from .caching import purge

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
    if isinstance(instance, Page):
        page_saved(instance, **kwargs)
    elif isinstance(instance, _watched):
        purge(kwargs.get("using"))


def page_saved(page, signal=None, update_fields=None, using=None, **kwargs):
    """A live page saved (an import, a script, a publish) or any page deleted; not a draft or a lock."""
    draft_only = update_fields is not None and set(update_fields) <= DRAFT_FIELDS
    if signal is post_delete or (page.live and not draft_only):
        purge(using)


def page_changed(sender, **kwargs):
    purge()


def task_done(sender, task_result, **kwargs):
    if task_result.task.module_path not in QUIET_TASKS:
        purge()


_watched: tuple[type, ...] = ()


def watch(*models: type) -> None:
    """Purge the page cache whenever a row of one of these models is saved or deleted: for an app whose
    models public pages show. Call it from the app's ``AppConfig.ready``."""
    global _watched
    _watched = (*_watched, *(model for model in models if model not in _watched))


def register_signal_handlers():
    watch(*watched_models())
    # Without a sender: pages are many models, and the check is one isinstance.
    post_save.connect(model_changed, dispatch_uid="website-page-cache-save")
    post_delete.connect(model_changed, dispatch_uid="website-page-cache-delete")
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(page_changed, dispatch_uid=f"website-page-cache-{id(signal)}")
    task_finished.connect(task_done, dispatch_uid="website-page-cache-task")
