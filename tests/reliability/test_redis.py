"""The Redis of the RQ queue goes away: restarted under a waiting worker and under a working one (the
worker waits for it, every job runs once and its result is recorded), and down while an editor uploads
(the upload succeeds, health says so, and the scheduler queues the transcription again when Redis is back:
the transcript row is the truth), and any other work asked for meanwhile (a concept's linking) waits in
the database's outbox until the scheduler sends it. Real `rqworker` processes and a Redis server of the
test's own.

The database twin of the restarts is test_database_restart.py (PostgreSQL)."""

from collections import Counter
from datetime import timedelta

import django_rq
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from concepts.factories import ConceptIndexPageFactory, ConceptPageFactory
from concepts.models import ConceptPage, Mention
from episodes.factories import AudioFileFactory, EpisodePageFactory, ShowPageFactory
from episodes.models import AudioFile
from episodes.wagtail_hooks import PROCESSING_DELAYED
from operations.models import PendingTask
from operations.outbox import send_pending
from tests.concepts.conftest import transcribe
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

    # The refused job is kept in the database's outbox (so are the renditions' and Wagtail's own).
    assert (
        PendingTask.objects.filter(task_path=transcribe_audio.module_path, args=[transcript.pk]).count() == 1
    )

    cluster.redis.start()
    worker = cluster.start_worker("worker")
    # Nothing brings the job back by itself: Redis never had it.
    assert task_results(transcribe_audio, cluster) == []
    # The scheduler does. The row has waited past the time its job may still be on its way, so the lost-job
    # check (requeue_lost) would queue it too: but the outbox is sent first in the round, and the check then
    # finds the job held. (Had both queued it, the second job would find the transcript claimed and skip:
    # test_workers.py's two workers and ten jobs queued twice.)
    Transcript.objects.filter(pk=transcript.pk).update(queued_at=timezone.now() - timedelta(minutes=2))
    scheduler = cluster.run("scheduler", "--once")
    assert scheduler.returncode == 0, scheduler.stdout
    assert "Sent " in scheduler.stdout and "; 0 refused, 0 pending" in scheduler.stdout, scheduler.stdout
    assert "the task queue did not hold" not in scheduler.stdout
    assert not PendingTask.objects.exists()

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


def test_a_concept_published_while_redis_is_down_is_linked_when_it_is_back(cluster, home_page, audio_dir):
    """Linking a newly published concept across the catalogue (concepts.tasks.link_concept_task) has no
    row of its own to recover it from: before the outbox, Redis refusing its job lost it for good."""
    audio = AudioFileFactory(path=audio_dir / "tone.mp3")
    episode = EpisodePageFactory(parent=ShowPageFactory(parent=home_page), audio=audio)
    transcribe(audio, ["Welcome.", "Today we talk about coproduction in the clinic."])
    concept = ConceptPageFactory(
        parent=ConceptIndexPageFactory(parent=home_page), title="Coproduction", live=False
    )
    # The jobs the set-up queued (its pages' search and reference index, the tone's transcription) are
    # dropped: what follows is found by the outbox's jobs alone.
    django_rq.get_connection("default").flushall()
    cluster.redis.stop()

    # The editor publishes: the page goes live, the linking job is kept in the outbox.
    concept.save_revision().publish()
    concept.refresh_from_db()
    assert concept.live
    linking = PendingTask.objects.filter(task_path="concepts.tasks.link_concept_task", args=[concept.pk])
    assert linking.count() == 1
    assert not Mention.objects.exists()
    assert list(ConceptPage.objects.live().search("coproduction")) == []  # not indexed yet either

    # Wagtail's own jobs for the page (search index, reference index) are kept too, before it.
    kept = PendingTask.objects.count()
    assert kept > 1

    # A scheduler round with Redis still down: it tries the oldest row, which stays with one more attempt
    # and a later try, and stops there; no row is added.
    assert send_pending() == {"sent": 0, "refused": 1, "pending": kept}
    oldest = PendingTask.objects.order_by("created_at", "pk").first()
    assert oldest.attempts == 2 and oldest.next_try_at > timezone.now()
    assert PendingTask.objects.count() == kept
    assert linking.count() == 1

    cluster.redis.start()
    worker = cluster.start_worker("worker")
    PendingTask.objects.update(next_try_at=timezone.now())  # its back-off over, as a few rounds later
    scheduler = cluster.run("scheduler", "--once")
    assert "; 0 refused, 0 pending" in scheduler.stdout, scheduler.stdout
    assert not PendingTask.objects.exists()

    cluster.wait_until(
        lambda: Mention.objects.filter(concept=concept, page=episode).exists(),
        timeout=120,
        what="the worker to link the concept",
    )
    assert list(Mention.objects.filter(concept=concept).values_list("quote", flat=True)) == [
        "Today we talk about coproduction in the clinic."
    ]
    # Wagtail's search index job for the page, kept with it, ran too: the search finds the concept.
    cluster.wait_until(
        lambda: list(ConceptPage.objects.live().search("coproduction")) == [concept],
        timeout=60,
        what="the worker to index the concept page",
    )
    assert worker.alive
