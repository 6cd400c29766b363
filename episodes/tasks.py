"""Background tasks of the episodes app. They stay thin: the work lives in the modules they call."""

from __future__ import annotations

from django_tasks import task

from .websub import ping_hub_with_retries


@task()
def ping_hubs_task(hub_url: str, feed_url: str) -> int:
    """Tell one WebSub hub that ``feed_url`` changed, retrying a few times (``WEBSUB_RETRY_DELAYS``).

    Returns the number of attempts; raises WebSubError after the last one, so the result is FAILED.
    """
    return ping_hub_with_retries(hub_url, feed_url)
