"""The Redis of the RQ queue goes away: restarted under a waiting worker and under a working one (the
worker waits for it, every job runs once and its result is recorded), and down while an editor uploads
(the upload succeeds, health says so, and the scheduler queues the transcription again when Redis is back:
the transcript row is the truth). Real `rqworker` processes and a Redis server of the test's own.

The database twin of the restarts is test_database_restart.py (PostgreSQL)."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from episodes.models import AudioFile
from episodes.wagtail_hooks import PROCESSING_DELAYED
from transcripts.models import Transcript
from transcripts.tasks import transcribe_audio

from .conftest import QUEUES, task_results
from .tasks import record_run, runs

RQ = [q for q in QUEUES if getattr(q, "values", None) == ("rq",)]
pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.parametrize("cluster", RQ, indirect=True),
]


def finished(cluster, count: int):
    def condition():
        statuses = [r.status for r in task_results(record_run, cluster)]
        return len(statuses) == count and all(s in ("SUCCESSFUL", "FAILED") for s in statuses)

    return condition


def test_a_worker_outlives_redis_restarts_and_loses_nothing(cluster, tmp_path):
    log = tmp_path / "runs.log"
    worker = cluster.start_worker("worker")

    # Idle: Redis goes away while the worker waits for work on it.
    cluster.redis.restart(down=2)
    record_run.enqueue(str(log), 0)
    cluster.wait_until(finished(cluster, 1), timeout=60, what="the job queued after the restart")
    assert "could not connect to Redis" in worker.output()

    # Busy: job 1 takes 3 s; it ends, and its result must be written, while Redis is down. Jobs 2 to 5
    # wait in Redis meanwhile: its append-only file keeps them through the restart.
    record_run.enqueue(str(log), 1, 3)
    for job in range(2, 6):
        record_run.enqueue(str(log), job)
    cluster.wait_until(lambda: 1 in runs(log), timeout=30, what="the worker to start job 1")
    cluster.redis.restart(down=4)
    cluster.wait_until(finished(cluster, 6), timeout=60, what="the jobs to be recorded after the restart")
    assert "Redis did not answer while recording the result of job" in worker.output()

    ran = Counter(runs(log))
    assert sorted(ran) == list(range(6)), f"missing: {set(range(6)) - set(ran)}"
    assert [job for job, times in ran.items() if times > 1] == [], "a job ran twice"
    results = task_results(record_run, cluster)
    assert sorted(r.return_value for r in results) == list(range(6))
    assert {(r.status, tuple(r.worker_ids)) for r in results} == {("SUCCESSFUL", ("worker",))}
    assert worker.alive, cluster.report()


def test_an_upload_while_redis_is_down_is_transcribed_when_it_is_back(cluster, clips, client, admin_user):
    cluster.redis.stop()

    # The upload through the admin's Audio > Add form succeeds and says that processing is delayed: the
    # transcript is committed as QUEUED, the job could not be queued (logged).
    client.force_login(admin_user)
    upload = SimpleUploadedFile("garden.mp3", clips["garden"].read_bytes())
    response = client.post(
        reverse("wagtailsnippets_episodes_audiofile:add"), {"title": "garden", "file": upload}, follow=True
    )
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"] if m.level_tag == "warning"] == [PROCESSING_DELAYED]
    audio = AudioFile.objects.get(title="garden")
    transcript = Transcript.objects.get(audio=audio)
    assert transcript.status == Transcript.QUEUED
    client.logout()

    # The site keeps serving and says where the trouble is; a worker's health check fails.
    health = client.get("/health/")
    assert health.status_code == 200, health.content
    assert health.json()["queue"] == "unreachable"
    with pytest.raises(CommandError, match="the task queue \\(Redis\\) does not answer"):
        call_command("healthcheck", "--worker")

    cluster.redis.start()
    worker = cluster.start_worker("worker")
    # Nothing brings the job back by itself: Redis never had it.
    assert task_results(transcribe_audio, cluster) == []
    # The scheduler does, once the row has waited past the time its job may still be on its way.
    Transcript.objects.filter(pk=transcript.pk).update(queued_at=timezone.now() - timedelta(minutes=2))
    scheduler = cluster.run("scheduler", "--once")
    assert scheduler.returncode == 0, scheduler.stdout
    assert f"Queued again transcripts the task queue did not hold: [{transcript.pk}]" in scheduler.stdout

    cluster.wait_until(
        lambda: (
            Transcript.objects.filter(pk=transcript.pk, status=Transcript.DONE).exists()
            # The job's result is recorded in Redis just after the transcript is stored.
            and [r.status for r in task_results(transcribe_audio, cluster)] == ["SUCCESSFUL"]
        ),
        timeout=120,
        what="the worker to transcribe the upload",
    )
    assert "garden" in " ".join(transcript.segments.values_list("text", flat=True)).lower()
    [result] = task_results(transcribe_audio, cluster)
    assert (result.status, result.worker_ids) == ("SUCCESSFUL", ["worker"])
    # A second round finds nothing lost.
    again = cluster.run("scheduler", "--once")
    assert "the task queue did not hold" not in again.stdout
    assert worker.alive
