"""The outbox (operations/outbox.py): a task RQ refuses because Redis is down is kept as a ``PendingTask``
row, and the scheduler's ``send_pending`` sends it when Redis answers, through RQ itself. Against the real
database, a Redis server of the test's own (tests/reliability/private_redis.py) and, for "Redis down", a
port nothing listens on. The end to end twin, with a real worker and a concept's mentions, is in
tests/reliability/test_redis.py."""

import threading
from datetime import timedelta

import django_rq
import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_rq import Job

from concepts.tasks import link_concept_task, link_transcript_task
from operations import health, outbox
from operations.models import PendingTask
from tests.reliability import private_redis
from tests.reliability.conftest import DATABASE_QUEUE, use_rq

from .test_health import closed_port

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(private_redis.BINARY is None, reason="redis-server is needed (make system-deps)"),
]


@pytest.fixture
def redis_down(settings):
    """RQ on a port where nothing listens: every enqueue is refused at once (connection refused)."""
    use_rq(settings, f"redis://127.0.0.1:{closed_port()}/0")


@pytest.fixture
def redis_server():
    server = private_redis.PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.destroy()


@pytest.fixture
def redis_up(settings, redis_server):
    use_rq(settings, redis_server.url)
    return redis_server


def jobs_in_redis(queue_name="default") -> list[tuple[str, list]]:
    queue = django_rq.get_queue(queue_name, job_class=Job)
    return [(job.func_name, list(job.args)) for job in Job.fetch_many(queue.get_job_ids(), queue.connection)]


def test_a_task_redis_refuses_is_kept_with_what_it_needs_to_be_sent_again(redis_down, caplog):
    """Bad: the row missing (the task lost, as before the outbox), or the enqueue raising (a saved page
    turned into an error page)."""
    result = link_concept_task.using(priority=0).enqueue(42)

    assert result.status == "READY"
    [row] = PendingTask.objects.all()
    assert (row.task_path, row.backend, row.queue_name, row.priority, row.run_after) == (
        "concepts.tasks.link_concept_task",
        "default",
        "default",
        0,
        None,
    )
    assert (row.args, row.kwargs, row.attempts) == ([42], {}, 1)
    assert row.last_error.startswith("ConnectionError: ")
    assert row.next_try_at <= timezone.now()
    assert f"pending task {row.pk}" in caplog.text


def test_a_deferred_task_keeps_its_time_and_queue(redis_down):
    """A transcription retry held back until later (transcribing.py) keeps its queue and its time."""
    from transcripts.tasks import transcribe_audio

    later = timezone.now() + timedelta(minutes=10)
    transcribe_audio.using(run_after=later).enqueue(7)

    row = PendingTask.objects.get()
    assert (row.task_path, row.queue_name, row.run_after, row.args) == (
        "transcripts.tasks.transcribe_audio",
        "transcription",
        later,
        [7],
    )


def test_a_hostile_error_text_is_cut_and_loses_its_nul_bytes():
    """An error's message is the remote side's text: a megabyte with NUL bytes (which PostgreSQL's text
    columns refuse) is stored cut to MAX_ERROR_LENGTH, without them. Bad: a DataError on PostgreSQL, or
    the whole megabyte stored."""
    error = ConnectionError("\x00evil" * 200_000)

    row = outbox.keep(link_concept_task, [1], {}, error)

    row.refresh_from_db()
    assert len(row.last_error) == outbox.MAX_ERROR_LENGTH
    assert "\x00" not in row.last_error
    assert row.last_error.startswith("ConnectionError: evilevil")


def test_arguments_that_are_not_json_are_not_kept_and_nothing_raises(caplog):
    """django-tasks refuses such arguments before Redis is asked; keep() refuses them too, logged, rather
    than storing something the scheduler could not send."""
    assert outbox.keep(link_concept_task, [object()], {}, ConnectionError("down")) is None
    assert not PendingTask.objects.exists()
    assert "its arguments are not JSON" in caplog.text


def test_a_round_with_redis_still_down_keeps_the_row_counts_the_attempt_and_writes_no_duplicate(redis_down):
    """Bad: a second row (the resend went through the catching enqueue), the row deleted, or tried again
    at once next round."""
    link_concept_task.enqueue(42)
    before = timezone.now()

    assert outbox.send_pending() == {"sent": 0, "refused": 1, "pending": 1}

    [row] = PendingTask.objects.all()
    assert row.attempts == 2
    assert row.last_error.startswith("ConnectionError: ")
    assert row.next_try_at >= before + outbox.FIRST_DELAY * 2 - timedelta(seconds=1)
    # Not due yet: the next round leaves it alone.
    assert outbox.send_pending() == {"sent": 0, "refused": 0, "pending": 1}
    assert PendingTask.objects.get().attempts == 2


def test_the_back_off_doubles_up_to_its_ceiling():
    delays = [outbox._delay(n).total_seconds() for n in (1, 2, 3, 4, 5, 6, 20)]
    assert delays == [30, 60, 120, 240, 300, 300, 300]


def test_a_round_stops_at_the_first_refusal_when_redis_does_not_answer(redis_down):
    """Three tasks kept; one round asks Redis once, not three times (each would wait for the same
    time-out)."""
    for pk in (1, 2, 3):
        link_concept_task.enqueue(pk)

    assert outbox.send_pending()["refused"] == 1
    assert sorted(PendingTask.objects.values_list("args", "attempts")) == [([1], 2), ([2], 1), ([3], 1)]


def test_when_redis_answers_a_round_sends_the_rows_oldest_first_and_deletes_them(redis_up):
    """Kept while Redis was down, sent once it answers. Bad: a job missing
    in Redis, sent out of order, or a row left behind."""
    for pk in (3, 1, 2):
        outbox.keep(link_concept_task, [pk], {}, ConnectionError("down"))
    outbox.keep(link_transcript_task, [9], {}, ConnectionError("down"))

    assert outbox.send_pending() == {"sent": 4, "refused": 0, "pending": 0}

    assert jobs_in_redis() == [
        ("concepts.tasks.link_concept_task", [3]),
        ("concepts.tasks.link_concept_task", [1]),
        ("concepts.tasks.link_concept_task", [2]),
        ("concepts.tasks.link_transcript_task", [9]),
    ]
    assert not PendingTask.objects.exists()


def test_a_round_is_bounded(redis_up):
    for pk in range(5):
        outbox.keep(link_concept_task, [pk], {}, ConnectionError("down"))

    assert outbox.send_pending(limit=2) == {"sent": 2, "refused": 0, "pending": 3}
    assert [args for _, args in jobs_in_redis()] == [[0], [1]]


def test_a_deferred_task_is_sent_as_scheduled_on_its_queue(redis_up):
    from rq.registry import ScheduledJobRegistry

    from transcripts.tasks import transcribe_audio

    later = timezone.now() + timedelta(minutes=10)
    outbox.keep(transcribe_audio.using(run_after=later), [7], {}, ConnectionError("down"))

    assert outbox.send_pending()["sent"] == 1
    queue = django_rq.get_queue("transcription", job_class=Job)
    assert ScheduledJobRegistry(queue=queue).get_job_ids() != []
    assert jobs_in_redis("transcription") == []  # not runnable before its time


def test_a_row_whose_task_no_longer_exists_stays_and_the_others_are_sent(redis_up):
    """A task removed from the code: its row is refused (kept, for an operator to see in health and the
    log), and does not hold up the rows behind it, since Redis answers."""
    outbox.keep(link_concept_task, [1], {}, ConnectionError("down"))
    PendingTask.objects.filter(args=[1]).update(task_path="concepts.tasks.gone_task")
    outbox.keep(link_concept_task, [2], {}, ConnectionError("down"))

    assert outbox.send_pending() == {"sent": 1, "refused": 1, "pending": 1}
    row = PendingTask.objects.get()
    assert (row.task_path, row.attempts) == ("concepts.tasks.gone_task", 2)
    assert "gone_task" in row.last_error


def test_rows_kept_under_rq_are_sent_through_the_database_queue_if_the_site_moved_back(settings):
    """TASKS_BACKEND switched back to the database queue while rows waited: they go to its table."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": DATABASE_QUEUE}
    outbox.keep(link_concept_task, [5], {}, ConnectionError("down"))

    assert outbox.send_pending()["sent"] == 1
    assert list(DBTaskResult.objects.values_list("task_path", "args_kwargs")) == [
        ("concepts.tasks.link_concept_task", {"args": [5], "kwargs": {}})
    ]


def test_the_database_queue_never_writes_rows(settings):
    """The default backend is the site's own database: it takes every task, and no row is written."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": DATABASE_QUEUE}
    link_concept_task.enqueue(42)

    assert DBTaskResult.objects.count() == 1
    assert not PendingTask.objects.exists()
    assert outbox.send_pending() == {"sent": 0, "refused": 0, "pending": 0}


def test_health_reports_the_pending_tasks_and_the_oldest_ones_age(client, redis_down):
    """/health/ while Redis is down: the queue is unreachable, and the outbox says how much work waits."""
    link_concept_task.enqueue(1)
    link_concept_task.enqueue(2)
    PendingTask.objects.filter(args=[1]).update(created_at=timezone.now() - timedelta(minutes=5))

    report = client.get("/health/").json()

    assert report["queue"] == "unreachable"
    assert report["outbox"]["pending"] == 2
    assert 299 <= report["outbox"]["oldest_pending_seconds"] <= 302
    assert health.outbox_report()["pending"] == 2


def test_the_worker_healthcheck_names_the_pending_tasks_when_redis_is_down(redis_down):
    from django.core.management import CommandError, call_command

    link_concept_task.enqueue(1)

    with pytest.raises(CommandError, match='"outbox": {"pending": 1, "oldest_pending_seconds": 0}'):
        call_command("healthcheck", "--worker")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_enqueue_inside_a_transaction_that_rolls_back_keeps_nothing(redis_down):
    """A task asked for inside a transaction waits for its commit (below): rolled back, it is neither sent
    nor kept. Committed with Redis down, it is kept."""
    with pytest.raises(RuntimeError), transaction.atomic():
        link_concept_task.enqueue(1)
        raise RuntimeError("the request failed")
    assert not PendingTask.objects.exists()

    with transaction.atomic():
        link_concept_task.enqueue(2)
        assert not PendingTask.objects.exists()  # nothing asked of Redis before the commit
    assert PendingTask.objects.get().args == [2]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_schedulers_at_once_send_each_row_once(redis_up):
    """Two rounds running side by side, as two scheduler processes would, over 30 rows in rounds of 4.
    PostgreSQL: each skips the rows the other has locked; SQLite: the second waits for the first's write
    lock. Bad: a job in Redis twice, or one missing."""
    for pk in range(30):
        outbox.keep(link_concept_task, [pk], {}, ConnectionError("down"))
    start = threading.Barrier(2)
    sent, errors = [], []

    def scheduler():
        try:
            start.wait()
            while counts := outbox.send_pending(limit=4):
                sent.append(counts["sent"])
                if not counts["pending"]:
                    break
        except Exception as error:  # pragma: no cover (shown in the assertion)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(sent) == 30
    assert sorted(args[0] for _, args in jobs_in_redis()) == list(range(30))
    assert not PendingTask.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL (SQLite locks the file)")
def test_a_row_another_scheduler_holds_is_skipped_not_waited_for(redis_up):
    """Another scheduler holds the oldest row (mid-send): this round sends the next one and leaves it."""
    first = outbox.keep(link_concept_task, [1], {}, ConnectionError("down"))
    outbox.keep(link_concept_task, [2], {}, ConnectionError("down"))
    locked, done = threading.Event(), threading.Event()

    def other_scheduler():
        try:
            with transaction.atomic():
                PendingTask.objects.select_for_update().get(pk=first.pk)
                locked.set()
                done.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=other_scheduler)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        assert outbox.send_pending() == {"sent": 1, "refused": 0, "pending": 1}
    finally:
        done.set()
        holder.join(timeout=10)
    assert jobs_in_redis() == [("concepts.tasks.link_concept_task", [2])]
    assert list(PendingTask.objects.values_list("pk", flat=True)) == [first.pk]


def test_the_scheduler_sends_the_outbox_before_it_looks_for_lost_jobs(settings):
    """Sent first, a kept transcription is in Redis when requeue_lost asks what Redis holds: it is not
    queued a second time. Bad: the outbox job missing, or listed after the lost-job checks."""
    jobs = [path for path, _ in settings.SCHEDULED_JOBS]
    assert jobs.index("operations.outbox.send_pending") < min(
        jobs.index("transcripts.recovery.requeue_lost_transcriptions"),
        jobs.index("episodes.delivery.preparing.requeue_lost"),
    )
    assert dict(settings.SCHEDULED_JOBS)["operations.outbox.send_pending"] == 0  # every round


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_task_queued_inside_a_transaction_reaches_redis_only_after_the_commit(redis_up):
    """Wagtail queues its index updates from signal handlers inside the save's transaction: on RQ a worker
    waiting on Redis would take the job before the rows are committed and fail with DoesNotExist (seen in
    bench/capacity.py, 4 to 6 jobs per episode). Bad: a job in Redis while the transaction is open, or a
    job queued by a save that rolled back."""
    with transaction.atomic():
        link_concept_task.enqueue(1)
        assert jobs_in_redis() == []  # not yet: nothing it reads is committed
    assert jobs_in_redis() == [("concepts.tasks.link_concept_task", [1])]

    with pytest.raises(RuntimeError), transaction.atomic():
        link_concept_task.enqueue(2)
        raise RuntimeError("the save fails")
    assert jobs_in_redis() == [("concepts.tasks.link_concept_task", [1])]  # the rolled-back one: never
