"""The rules applied off the request: pending download events become listener days and daily downloads.

The audio view only appends a ``DownloadEvent`` (``analytics.counting``); the scheduler runs ``aggregate``
every round (``SCHEDULED_JOBS``), so a download shows in the figures within a round of being made. Per
batch of events, in one transaction:

1. claim the oldest pending events (``select_for_update(skip_locked=True)`` on PostgreSQL, so that a
   second scheduler takes other events; SQLite has one writer at a time anyway);
2. lock the listener days they touch, made if missing, in key order (two batches with events of one
   listener wait for each other instead of both counting it);
3. apply the rules in the order the requests came: merged ranges until a minute of audio, once per
   listener, episode and UTC day (the event's own day, however late it is aggregated);
4. add the new downloads to the daily aggregates and to the pages' totals (``analytics.totals``) with
   atomic increments, and delete the events.

After the batches, the totals of pages whose first publication moved are recomputed (``totals.reconcile``).

A crash anywhere rolls the batch back: its events stay pending and the next round takes them again, so a
count is neither lost nor made twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F

from . import totals
from .models import DailyDownloads, DownloadEvent, ListenerDay
from .ranges import heard, merge

logger = logging.getLogger(__name__)

# Events per transaction: few enough that SQLite's write lock, which the audio views' inserts wait for, is
# held for a few tens of milliseconds at a time (500 events took 50 to 110 ms on a loaded 2-core machine;
# PostgreSQL's inserts never wait for it).
BATCH = 200
# At most this many batches a call, so that one scheduler round ends even while requests keep coming;
# what is left waits for the next round.
MAX_BATCHES = 100

Key = tuple  # (day, listener, page id)


def aggregate(batch: int = BATCH) -> int:
    """Apply the rules to every pending event, a batch per transaction; how many events were aggregated.
    Safe to run in several processes at once, and again after a crash."""
    total = 0
    for _ in range(MAX_BATCHES):
        done = _aggregate_batch(batch)
        total += done
        if done < batch:
            break
    totals.reconcile()
    if total:
        logger.info("Download counting: aggregated %d events", total)
    return total


def pending_since() -> datetime | None:
    """When the oldest event not yet aggregated was made (None when there is none): the figures are
    complete up to then."""
    return DownloadEvent.objects.order_by("pk").values_list("at", flat=True).first()


def _aggregate_batch(size: int) -> int:
    with transaction.atomic():
        events = list(DownloadEvent.objects.select_for_update(skip_locked=True).order_by("pk")[:size])
        if not events:
            return 0
        by_key: dict[Key, list[DownloadEvent]] = defaultdict(list)
        for event in events:
            by_key[(event.day, event.listener, event.page_id)].append(event)
        states = _lock_listener_days(sorted(by_key))
        counted: dict[tuple, int] = defaultdict(int)
        changed = []
        for key, key_events in by_key.items():
            state = states[key]
            if state.counted:
                continue
            for event in key_events:  # in the order the requests came
                if _apply(state, event):
                    counted[(event.day, event.page_id, event.app, event.show_id)] += 1
                    break
            changed.append(state)
        _save_listener_days(changed)
        _add_downloads(counted)
        _delete_events([event.pk for event in events])
    return len(events)


def _lock_listener_days(keys: list[Key]) -> dict[Key, ListenerDay]:
    """The listener days of ``keys``, made if missing and locked (PostgreSQL: FOR UPDATE, in key order).
    Found by day and listener, a cheap query however many keys: a listener's days for other episodes come
    along (and are locked a moment too), which is harmless."""
    ListenerDay.objects.bulk_create(
        [ListenerDay(day=day, listener=who, page_id=page) for day, who, page in keys],
        ignore_conflicts=True,
        batch_size=200,
    )
    wanted = set(keys)
    states = {}
    for chunk in _chunks(keys, 200):
        rows = ListenerDay.objects.select_for_update().filter(
            day__in={day for day, _, _ in chunk}, listener__in={who for _, who, _ in chunk}
        )
        for row in rows.order_by("day", "listener", "page_id"):
            if (row.day, row.listener, row.page_id) in wanted:
                states[(row.day, row.listener, row.page_id)] = row
    return states


def _save_listener_days(changed: list[ListenerDay]) -> None:
    """One UPDATE per listener day, sent as one batch (``bulk_update``'s CASE expressions cost more to
    build than the statements cost to run)."""
    if not changed:
        return
    field, table = (
        ListenerDay._meta.get_field("ranges"),
        connection.ops.quote_name(ListenerDay._meta.db_table),
    )
    sql = f"UPDATE {table} SET ranges = %s, counted = %s WHERE id = %s"  # noqa: S608 (the model's table)
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                (field.get_db_prep_save(state.ranges, connection), state.counted, state.pk)
                for state in changed
            ],
        )


def _delete_events(ids: list[int]) -> None:
    table = connection.ops.quote_name(DownloadEvent._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id IN ({marks})", ids)  # noqa: S608 (the model's table)


def _apply(state: ListenerDay, event: DownloadEvent) -> bool:
    """Add the event's bytes to the listener's day; True when this event makes it a download. An event
    whose bytes are not known (redirect mode) counts at once."""
    if event.first_byte is None or event.end_byte is None:
        state.counted = True
        return True
    files = state.ranges
    entry = files.setdefault(event.file, {"minute": event.minute, "sent": []})
    entry["sent"] = merge(entry["sent"], event.first_byte, event.end_byte)
    sent = {key: value["sent"] for key, value in files.items()}
    state.counted = heard(sent, {key: value["minute"] for key, value in files.items()}) >= 1
    return state.counted


def _add_downloads(counted: dict[tuple, int]) -> None:
    """Add each (day, page, app)'s new downloads to its aggregate row, made if missing, in key order; then
    to the shows' days and the pages' totals (after every daily row: all aggregators lock the tables in the
    same order)."""
    if not counted:
        return
    DailyDownloads.objects.bulk_create(
        [DailyDownloads(day=day, page_id=page, app=app, show_id=show) for day, page, app, show in counted],
        ignore_conflicts=True,
    )
    for (day, page, app, _show), number in sorted(counted.items(), key=lambda item: item[0][:3]):
        DailyDownloads.objects.filter(day=day, page_id=page, app=app).update(count=F("count") + number)
    # A daily row keeps the show of the download that made it (an interview whose show changed that day
    # has later downloads under the earlier show): the totals take the rows' shows, to stay their sums.
    keys = {(day, page, app) for day, page, app, _show in counted}
    shows = {
        (day, page, app): show
        for day, page, app, show in DailyDownloads.objects.filter(
            day__in={key[0] for key in keys}, page_id__in={key[1] for key in keys}
        ).values_list("day", "page_id", "app", "show_id")
        if (day, page, app) in keys
    }
    counted = {
        (day, page, app, shows[(day, page, app)]): number for (day, page, app, _), number in counted.items()
    }
    totals.add_show_days(counted)
    totals.add(counted)


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
