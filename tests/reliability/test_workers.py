"""The transcription queue survives what production does to it, with real processes: `db_worker`s running
faster-whisper (tiny.en) on espeak-ng speech against the test database, one of them killed with SIGKILL in
the middle of a file, two racing for the same jobs, and the scheduler that finds what dead workers left."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from episodes.uploads import create_audio_file
from transcripts.engines import get_engine
from transcripts.lines import split_lines
from transcripts.models import Transcript
from transcripts.tasks import transcribe_audio
from transcripts.transcribing import MAX_ATTEMPTS, glossary_prompt

from .conftest import QUEUES, task_results

# Committed transactions, which other processes see; the migrations' rows (site, root page) put back for each.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LEASE = 3  # seconds without a heartbeat before a RUNNING transcript is presumed dead (600 in production)
WORKER_LOST = "transcripts.recovery.WorkerLost"
FINISHED = ("SUCCESSFUL", "FAILED")  # a task result's final states


def transcription_tasks(transcript_id=None):
    """The django-tasks-db results of transcription tasks, oldest first."""
    results = DBTaskResult.objects.filter(task_path=transcribe_audio.module_path).order_by("enqueued_at")
    return [r for r in results if transcript_id is None or r.args_kwargs["args"] == [transcript_id]]


def texts(transcript) -> list[str]:
    return list(transcript.segments.order_by("index").values_list("text", flat=True))


def assert_segments_numbered_once(transcript):
    indexes = list(transcript.segments.order_by("index").values_list("index", flat=True))
    assert indexes == list(range(len(indexes))), indexes
    lines = texts(transcript)
    assert len(set(lines)) == len(lines), f"a segment stored twice: {lines}"


def results_of(cluster, transcript_id):
    """The transcription tasks of ``transcript_id`` on the cluster's queue (database or RQ), oldest first."""
    return [r for r in task_results(transcribe_audio, cluster) if r.args == [transcript_id]]


@pytest.mark.parametrize("cluster", QUEUES, indirect=True)
def test_a_worker_killed_mid_file_is_replaced_and_the_file_transcribed_once(cluster, long_speech):
    # The worker holds still once it has reported progress part-way through the file: polling for that
    # state instead could miss it on a machine or engine fast enough to finish the file between two polls.
    halfway = cluster.pause("progress")
    killed = cluster.start_worker("killed-worker", lease=LEASE, env=halfway.env)
    audio = create_audio_file(long_speech, title="Coproduction in health care")  # queued on commit
    transcript = Transcript.objects.get(audio=audio)

    cluster.wait_until(halfway.reached, timeout=180, what="the first worker to report progress")
    killed.kill()
    transcript.refresh_from_db()
    assert (transcript.status, transcript.attempts) == (Transcript.RUNNING, 1)
    assert 0 < transcript.progress < 1

    fresh = cluster.start_worker("fresh-worker", lease=LEASE)
    # While the lease runs out: the same audio transcribed here, start to end, as a clean run would.
    _, results = get_engine().transcribe(audio.file.path, prompt=glossary_prompt())
    clean = [line.text.strip() for line in split_lines(results)]  # cut into lines, as a run does
    assert len(clean) > 1

    cluster.wait_until(
        lambda: Transcript.objects.filter(
            pk=transcript.pk, heartbeat_at__lt=timezone.now() - timedelta(seconds=LEASE)
        ).exists(),
        timeout=LEASE * 5,
        what="the heartbeat to stop",
    )
    # A live worker alone does not take the work up: the dead worker's task is RUNNING, nothing is READY.
    transcript.refresh_from_db()
    assert (transcript.status, transcript.attempts) == (Transcript.RUNNING, 1)

    scheduler = cluster.run("scheduler", "--once", lease=LEASE)
    assert scheduler.returncode == 0, scheduler.stdout
    assert f"Queued again transcripts whose worker stopped: [{transcript.pk}]" in scheduler.stdout
    assert "Marked failed the task results whose worker stopped" in scheduler.stdout

    cluster.wait_until(
        # Not ``all`` of a possibly empty listing (RQ's job moving between its queue and a registry).
        lambda: (found := results_of(cluster, transcript.pk)) and all(t.status in FINISHED for t in found),
        timeout=180,
        what="the fresh worker to finish the transcription task",
    )
    assert Transcript.objects.count() == 1
    transcript.refresh_from_db()
    assert (transcript.status, transcript.attempts, transcript.progress) == (Transcript.DONE, 2, 1)
    assert_segments_numbered_once(transcript)
    assert texts(transcript) == clean
    dead_task, new_task = results_of(cluster, transcript.pk)
    assert (dead_task.status, dead_task.worker_ids) == ("FAILED", ["killed-worker"])
    assert dead_task.exception_class_path == WORKER_LOST
    assert (new_task.status, new_task.worker_ids, new_task.return_value) == (
        "SUCCESSFUL",
        ["fresh-worker"],
        Transcript.DONE,
    )
    assert fresh.alive


def test_two_workers_share_ten_jobs_and_each_job_runs_once(cluster, clips):
    # Each worker holds its first file until both have one: then each has taken a share, however unevenly
    # the machine schedules them (a worker left waiting could otherwise see the other run all ten).
    both_busy = cluster.pause("start")
    cluster.start_worker("worker-1", env=both_busy.env)
    cluster.start_worker("worker-2", env=both_busy.env)
    transcript_ids = {}
    for word, path in clips.items():
        audio = create_audio_file(path, title=word)  # queued on commit
        transcript_ids[word] = Transcript.objects.get(audio=audio).pk
        # Queued twice, as when a re-queue races a slow worker: both workers may take a copy at once.
        transcribe_audio.enqueue(transcript_ids[word])

    def all_finished():
        tasks = transcription_tasks()
        return len(tasks) == 2 * len(clips) and all(t.status in FINISHED for t in tasks)

    cluster.wait_until(lambda: both_busy.reached() == 2, timeout=120, what="each worker to take a file")
    both_busy.release()
    cluster.wait_until(all_finished, timeout=300, what="the workers to run all twenty tasks")

    for word, pk in transcript_ids.items():
        transcript = Transcript.objects.get(pk=pk)
        assert (transcript.status, transcript.attempts) == (Transcript.DONE, 1), (word, transcript.error)
        assert_segments_numbered_once(transcript)
        assert word in " ".join(texts(transcript)).lower(), (word, texts(transcript))
        tasks = transcription_tasks(pk)
        assert [(t.status, len(t.worker_ids)) for t in tasks] == [("SUCCESSFUL", 1)] * 2, word
        assert sorted(t.return_value for t in tasks) == [Transcript.DONE, "skipped"], word
    workers = {worker for task in transcription_tasks() for worker in task.worker_ids}
    assert workers == {"worker-1", "worker-2"}


def running(audio, *, started_ago: timedelta, beat_ago: timedelta | None = None, attempts=1) -> Transcript:
    """Make ``audio``'s transcript RUNNING as a worker leaves it: started ``started_ago``, its heartbeat last
    beating ``beat_ago`` (default: when it started), its queued task claimed when it started."""
    now = timezone.now()
    transcript = Transcript.objects.get(audio=audio)
    Transcript.objects.filter(pk=transcript.pk).update(
        status=Transcript.RUNNING,
        started_at=now - started_ago,
        heartbeat_at=now - (started_ago if beat_ago is None else beat_ago),
        attempts=attempts,
    )
    claim(transcription_tasks(transcript.pk)[-1], worker="worker-of-" + audio.title, at=now - started_ago)
    return transcript


def claim(task: DBTaskResult, *, worker: str, at) -> None:
    task.claim(worker)
    DBTaskResult.objects.filter(pk=task.pk).update(started_at=at)


def test_the_scheduler_queues_again_only_the_work_of_dead_workers(cluster, clips):
    path = clips["garden"]
    hour = timedelta(hours=1)
    stale = running(create_audio_file(path, title="stale"), started_ago=hour)
    hopeless = running(create_audio_file(path, title="hopeless"), started_ago=hour, attempts=MAX_ATTEMPTS)
    # Transcribing for an hour (a long episode on a slow machine), beating all along.
    live = running(create_audio_file(path, title="live"), started_ago=hour, beat_ago=timedelta(0))
    # Its worker died an hour ago, and another worker has just taken the work up again.
    taken_over = running(create_audio_file(path, title="taken-over"), started_ago=hour)
    claim(transcribe_audio.enqueue(taken_over.pk).db_result, worker="new-worker", at=timezone.now())
    Transcript.objects.filter(pk=taken_over.pk).update(started_at=timezone.now(), heartbeat_at=timezone.now())
    # Finished results: two older than the retention (14 days), one recent.
    old, old_failure, recent = (transcribe_audio.enqueue(0).db_result for _ in range(3))
    for result, status, days in (
        (old, "SUCCESSFUL", 30),
        (old_failure, "FAILED", 30),
        (recent, "SUCCESSFUL", 1),
    ):
        DBTaskResult.objects.filter(pk=result.pk).update(
            status=status, finished_at=timezone.now() - timedelta(days=days)
        )

    scheduler = cluster.run("scheduler", "--once")  # the production lease: 600 seconds

    assert scheduler.returncode == 0, scheduler.stdout
    assert f"Queued again transcripts whose worker stopped: [{stale.pk}]" in scheduler.stdout
    assert "Deleted 2 task result(s)" in scheduler.stdout
    status = dict(Transcript.objects.values_list("pk", "status"))
    assert status == {
        stale.pk: Transcript.QUEUED,
        hopeless.pk: Transcript.FAILED,
        live.pk: Transcript.RUNNING,
        taken_over.pk: Transcript.RUNNING,
    }
    tasks = {pk: [(t.status, t.exception_class_path) for t in transcription_tasks(pk)] for pk in status}
    assert tasks == {
        stale.pk: [("FAILED", WORKER_LOST), ("READY", "")],  # the dead worker's, and the new one
        hopeless.pk: [("FAILED", WORKER_LOST)],
        live.pk: [("RUNNING", "")],
        taken_over.pk: [("FAILED", WORKER_LOST), ("RUNNING", "")],
    }
    assert set(DBTaskResult.objects.filter(pk__in=[old.pk, old_failure.pk, recent.pk])) == {recent}


@contextmanager
def table_missing(table: str):
    """A real database error for whoever queries ``table`` meanwhile."""
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table}_away RENAME TO {table}")


def test_the_scheduler_survives_a_database_error_and_stops_on_sigterm(cluster, clips):
    transcript = running(create_audio_file(clips["music"], title="music"), started_ago=timedelta(0))
    scheduler = cluster.start("scheduler", "scheduler", "--interval", "0.2", lease=LEASE)
    cluster.wait_for_output(scheduler, "Scheduler started", timeout=60)

    with table_missing(Transcript._meta.db_table):
        cluster.wait_for_output(scheduler, "Periodic job requeue_stale failed; it runs again next round")
        once = cluster.run("scheduler", "--once")  # from cron: a failed job is a failed command
        assert once.returncode == 1 and "Failed: requeue_stale" in once.stdout, once.stdout

    # The next rounds work again: the transcript's heartbeat stops, and it is queued again.
    Transcript.objects.filter(pk=transcript.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    cluster.wait_until(
        lambda: Transcript.objects.filter(pk=transcript.pk, status=Transcript.QUEUED).exists(),
        timeout=30,
        what="the scheduler to queue the transcript again after the error",
    )
    assert scheduler.terminate() == 0, scheduler.output()
    assert "Scheduler stopped (SIGTERM)" in scheduler.output()
