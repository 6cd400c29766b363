"""Keeping stored files and feeds in step with the database, and telling editors when a scheduled episode
has gone live (``episodes.notifications``).

Feeds: whenever something a feed shows changes, ``ShowPage.feed_changed_at`` moves forward (which retires
the cached feed, see ``episodes.feeds.get_feed``) and the configured WebSub hubs are told, after commit.
Changes to things many shows share (people, audio files, images, privacy, the site) touch every show:
they are rare, and a feed rebuild is cheap.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.images import get_image_model
from wagtail.models import PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from .models import AudioFile, AudioRendition, EpisodePage, Person, ShowPage
from .notifications import went_live
from .podcast2 import podcast_guid


def delete_audio_file(sender, instance, **kwargs):
    # Only once the deletion is committed: a rolled-back delete must not lose the file.
    storage, name = instance.file.storage, instance.file.name
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def audio_saved(sender, instance, created=False, raw=False, **kwargs):
    """A new or replaced master gets its delivery rendition made, once the upload is committed (a
    rolled-back upload queues nothing). Saving without a new file (a new title) queues nothing."""
    if raw:
        return
    from .delivery.preparing import request_delivery

    transaction.on_commit(lambda: request_delivery(instance))


def episode_published(sender, instance, **kwargs):
    """An episode of a show that asks for extra formats (M4A, Opus) goes out: its audio gets them, after
    commit. (The MP3 every audio file gets is requested when the file is saved.)"""
    show = ShowPage.objects.parent_of(instance).only("deliver_aac", "deliver_opus").first()
    if not instance.audio_id or show is None or not show.delivery_formats():
        return

    def request():
        from .delivery.preparing import request_delivery

        audio = AudioFile.objects.filter(pk=instance.audio_id).first()
        if audio is not None:
            request_delivery(audio)

    transaction.on_commit(request)


def show_published(sender, instance, **kwargs):
    """The show's extra formats may have changed: its episodes' audio gets (or retires) them, after
    commit."""
    from .delivery.preparing import request_for_show

    transaction.on_commit(lambda: request_for_show(instance))


def tags_may_have_changed(sender, instance, created=False, raw=False, **kwargs):
    """A published episode or show, or audio saved under a new title: the delivered files may need new
    tags (title, artwork, chapters). A worker checks, and re-tags only those whose tags differ."""
    from .delivery.retagging import request_tag_check

    if raw or created:
        return
    if isinstance(instance, AudioFile):
        request_tag_check([instance.pk])
    elif isinstance(instance, ShowPage):
        request_tag_check(EpisodePage.objects.child_of(instance).values_list("audio_id", flat=True))
    else:
        request_tag_check([instance.audio_id])


def touch_feeds(show_ids=None) -> None:
    """Mark the feeds of these shows (all shows when None) as changed, and tell the WebSub hubs."""
    from django.utils import timezone

    from .feeds import feed_url
    from .websub import hub_urls, notify_hubs

    shows = ShowPage.objects.all() if show_ids is None else ShowPage.objects.filter(pk__in=show_ids)
    shows.update(feed_changed_at=timezone.now())
    if hub_urls():
        for show in shows.live().public():
            notify_hubs(feed_url(show))


def episode_changed(sender, instance, **kwargs):
    parent = ShowPage.objects.parent_of(instance).values_list("pk", flat=True).first()
    if parent is not None:
        touch_feeds([parent])


def show_changed(sender, instance, **kwargs):
    if not instance.podcast_guid and instance.live:
        # podcast:guid is fixed from the feed URL at first publication and never changes afterwards.
        from .feeds import feed_url

        instance.podcast_guid = podcast_guid(feed_url(instance))
        ShowPage.objects.filter(pk=instance.pk, podcast_guid="").update(podcast_guid=instance.podcast_guid)
    touch_feeds([instance.pk])


def everything_changed(sender, **kwargs):
    touch_feeds()


def page_moved(sender, instance, **kwargs):
    if isinstance(instance.specific_deferred, EpisodePage | ShowPage):
        touch_feeds()


def register_signal_handlers():
    post_delete.connect(delete_audio_file, sender=AudioFile, dispatch_uid="episodes-delete-audio")
    post_delete.connect(delete_audio_file, sender=AudioRendition, dispatch_uid="episodes-delete-rendition")
    post_save.connect(audio_saved, sender=AudioFile, dispatch_uid="episodes-audio-delivery")
    post_save.connect(tags_may_have_changed, sender=AudioFile, dispatch_uid="episodes-audio-tags")
    for model in (EpisodePage, ShowPage):
        page_published.connect(
            tags_may_have_changed, sender=model, dispatch_uid=f"episodes-tags-{model.__name__}"
        )
    # What a change of them purges from the page cache and the CDN: the pages they show on.
    from .purges import register

    register()

    for signal in (page_published, page_unpublished, post_delete):
        signal.connect(episode_changed, sender=EpisodePage, dispatch_uid=f"episodes-feed-ep-{id(signal)}")
        signal.connect(show_changed, sender=ShowPage, dispatch_uid=f"episodes-feed-show-{id(signal)}")
    post_page_move.connect(page_moved, dispatch_uid="episodes-feed-move")
    page_published.connect(episode_published, sender=EpisodePage, dispatch_uid="episodes-delivery-episode")
    page_published.connect(show_published, sender=ShowPage, dispatch_uid="episodes-delivery-show")
    page_published.connect(went_live, sender=EpisodePage, dispatch_uid="episodes-went-live-notice")
    for model in (AudioFile, Person, PageViewRestriction, Site, get_image_model()):
        for signal in (post_save, post_delete):
            signal.connect(
                everything_changed, sender=model, dispatch_uid=f"episodes-feed-{model.__name__}-{id(signal)}"
            )
