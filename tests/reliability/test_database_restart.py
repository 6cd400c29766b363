"""The database restarted while a worker runs: a `db_worker` (production settings) on a PostgreSQL server of
the test's own, stopped with a fast shutdown and started again while the worker waits for work, while it
runs a job, while it works through a queue, and in the middle of a transcription. The worker reconnects,
every job runs once and its result is recorded, and the transcription finishes in one run.

The shared server is never restarted: see private_postgres.py. Everything here talks to the private
server: jobs are queued by `manage.py shell` and read back with psycopg."""

import json
import time
from collections import Counter

import psycopg
import pytest
from django.db import connection

from transcripts.models import Transcript

from .conftest import Cluster
from .private_postgres import PrivatePostgres, server_binaries
from .tasks import runs

BINARIES = server_binaries()

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="A PostgreSQL restart; on SQLite there is no server to restart (see the locked-file test in "
        "test_queue.py)",
    ),
    pytest.mark.skipif(BINARIES is None, reason="the PostgreSQL server programs (initdb, pg_ctl) are needed"),
]

RECORD_RUN = "tests.reliability.tasks.record_run"
TRANSCRIBE = "transcripts.tasks.transcribe_audio"
DOWN_SECONDS = 3  # how long the server stays stopped each time
LEASE = 8  # TRANSCRIPTION_LEASE_SECONDS: the transcription's heartbeat beats every 2 s, into the outage


class Restartable:
    def __init__(self, server: PrivatePostgres, cluster: Cluster):
        self.server, self.cluster = server, cluster
        self.url = cluster.env["DATABASE_URL"]

    def restart(self, down: float = DOWN_SECONDS) -> None:
        self.server.stop()
        time.sleep(down)
        self.server.start()

    def shell(self, code: str) -> str:
        """Run ``code`` in `manage.py shell` against the private server; returns what it printed."""
        done = self.cluster.run("shell", "--no-startup", "-c", code, lease=LEASE)
        assert done.returncode == 0, done.stdout
        return done.stdout

    def enqueue(self, log, jobs, seconds: float = 0) -> None:
        self.shell(
            "from tests.reliability.tasks import record_run\n"
            f"for job in {list(jobs)!r}:\n"
            f"    record_run.enqueue({str(log)!r}, job, {seconds!r})\n"
        )

    def rows(self, sql: str, *params) -> list[tuple]:
        with psycopg.connect(self.url, autocommit=True) as db:
            return db.execute(sql, params).fetchall()

    def results(self, task_path: str) -> list[tuple]:
        return self.rows(
            "SELECT status, worker_ids, return_value FROM django_tasks_database_dbtaskresult "
            "WHERE task_path = %s",
            task_path,
        )

    def finished(self, task_path: str, count: int):
        def condition():
            try:
                statuses = [status for status, _, _ in self.results(task_path)]
            except psycopg.OperationalError:  # still starting
                return False
            return len(statuses) == count and all(s in ("SUCCESSFUL", "FAILED") for s in statuses)

        return condition


@pytest.fixture
def restartable(transactional_db, tmp_path, settings):
    """A private PostgreSQL server holding a copy of the (freshly migrated) test database, and a Cluster
    whose processes use it."""
    server = PrivatePostgres(BINARIES)
    try:
        server.create()
        source = Cluster(tmp_path, settings.MEDIA_ROOT).env["DATABASE_URL"]
        folder = tmp_path / "processes"
        folder.mkdir()
        cluster = Cluster(folder, settings.MEDIA_ROOT)
        cluster.env["DATABASE_URL"] = server.copy_database(source, "restartable")
        try:
            yield Restartable(server, cluster)
        finally:
            cluster.stop()
    finally:
        server.destroy()


def test_a_worker_outlives_database_restarts_and_loses_nothing(restartable, tmp_path):
    db, cluster, log = restartable, restartable.cluster, tmp_path / "runs.log"
    worker = cluster.start_worker("worker")

    # Idle: the server goes away while the worker looks for work every 0.2 s.
    db.restart()
    db.enqueue(log, [0])
    cluster.wait_until(db.finished(RECORD_RUN, 1), timeout=60, what="the job queued after the restart")
    assert "The database did not answer while looking for work" in worker.output()

    # Busy: job 1 takes 3 s; it ends, and its result must be written, while the server is down.
    db.enqueue(log, [1], seconds=3)
    cluster.wait_until(lambda: 1 in runs(log), timeout=30, what="the worker to start job 1")
    db.restart(down=4)
    cluster.wait_until(db.finished(RECORD_RUN, 2), timeout=60, what="job 1 to be recorded after the restart")
    assert "The database did not answer while recording the result of task" in worker.output()

    # Both, twice, while forty jobs go through.
    jobs = range(2, 42)
    db.enqueue(log, jobs, seconds=0.1)
    for _ in range(2):
        time.sleep(1)
        db.restart()
        assert worker.alive, cluster.report()
    cluster.wait_until(db.finished(RECORD_RUN, 42), timeout=120, what="the forty jobs through two restarts")

    ran = Counter(runs(log))
    assert sorted(ran) == list(range(42)), f"missing: {set(range(42)) - set(ran)}"
    assert [job for job, times in ran.items() if times > 1] == [], "a job ran twice"
    results = db.results(RECORD_RUN)
    assert sorted(value for _, _, value in results) == list(range(42))
    assert {(status, json.dumps(ids)) for status, ids, _ in results} == {("SUCCESSFUL", '["worker"]')}
    assert worker.alive, cluster.report()


def test_a_transcription_goes_on_through_a_database_restart(restartable, long_speech):
    """The worker is halfway through a file when the server stops: its progress reports and heartbeats
    wait for the server and the run goes on. One run (attempts = 1), one set of segments, one result."""
    db, cluster = restartable, restartable.cluster
    worker = cluster.start_worker("worker", lease=LEASE)
    transcript_id = int(
        db.shell(
            "from pathlib import Path\n"
            "from episodes.uploads import create_audio_file\n"
            "from transcripts.models import Transcript\n"
            f"audio = create_audio_file(Path({str(long_speech)!r}), title='Coproduction in health care')\n"
            "print(Transcript.objects.get(audio=audio).pk)\n"
        ).split()[-1]
    )

    def transcript():
        return db.rows(
            "SELECT status, progress, attempts FROM transcripts_transcript WHERE id = %s", transcript_id
        )[0]

    def halfway():
        status, progress, _ = transcript()
        assert status != Transcript.DONE, "the worker finished before the restart"
        return status == Transcript.RUNNING and progress > 0

    cluster.wait_until(halfway, timeout=180, what="the worker to report progress")
    db.restart()
    assert worker.alive, cluster.report()
    cluster.wait_until(db.finished(TRANSCRIBE, 1), timeout=180, what="the transcription after the restart")

    assert transcript() == (Transcript.DONE, 1.0, 1)
    [(status, worker_ids, value)] = db.results(TRANSCRIBE)
    assert (status, worker_ids, value) == ("SUCCESSFUL", ["worker"], Transcript.DONE)
    indexes = [
        i
        for (i,) in db.rows(
            'SELECT "index" FROM transcripts_segment WHERE transcript_id = %s ORDER BY "index"', transcript_id
        )
    ]
    assert len(indexes) > 1 and indexes == list(range(len(indexes)))
    output = worker.output()
    assert "The database did not answer while" in output or "Heartbeat of transcript" in output, output
    assert worker.alive
