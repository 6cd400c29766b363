"""The health checks: ``/health/`` for the web processes and ``manage.py healthcheck [--worker]``, against
the real database, the real task queue tables (django-tasks-db) and a cache server that is not there."""

import json
import os
import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from episodes.tasks import ping_hubs_task
from transcripts.tasks import transcribe_audio

pytestmark = pytest.mark.django_db

HEALTH_URL = "/health/"


@pytest.fixture
def database_queue(settings):
    """Tasks go to the database queue (as in production) instead of running at once."""
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "transcription", "delivery"],
        }
    }


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the socket is: nothing listens there


def queued(task, *args, waited_seconds: int = 0, **updates):
    """Enqueue ``task`` on the database queue, as if ``waited_seconds`` ago."""
    from django_tasks_db.models import DBTaskResult

    result = task.enqueue(*args)
    DBTaskResult.objects.filter(pk=result.id).update(
        enqueued_at=timezone.now() - timedelta(seconds=waited_seconds), **updates
    )
    return result


def test_the_url_is_health():
    assert reverse("health") == HEALTH_URL


def test_a_healthy_site_answers_200_with_an_empty_queue(client):
    response = client.get(HEALTH_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    report = response.json()
    assert report == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "queue": {
            "backend": "database",
            "waiting": 0,
            "oldest_waiting_seconds": None,
            "running": 0,
            "queues": {},
        },
        "workers": {
            "busy": 0,
            "last_finished_seconds": None,
            "stalled_transcriptions": 0,
            "stalled_renditions": 0,
            "retrying_renditions": 0,
            "failed_renditions": 0,
        },
        "outbox": {"pending": 0, "oldest_pending_seconds": None},
    }


def test_the_report_counts_waiting_and_running_jobs_per_queue(client, database_queue):
    """Two transcriptions waiting (the older for 5 minutes), one running on worker w1, a WebSub ping
    waiting, and a retry held back until later (not counted as waiting). Bad: a held-back job counted,
    or the running one counted as waiting."""
    from django_tasks.base import TaskResultStatus

    queued(transcribe_audio, 1, waited_seconds=300)
    queued(transcribe_audio, 2, waited_seconds=10)
    queued(transcribe_audio, 3, waited_seconds=600, status=TaskResultStatus.RUNNING, worker_ids=["w1"])
    queued(ping_hubs_task, "https://hub.example.org/", "https://podcast.example.org/feed", waited_seconds=60)
    queued(transcribe_audio, 4, waited_seconds=900, run_after=timezone.now() + timedelta(minutes=10))

    report = client.get(HEALTH_URL).json()

    queue = report["queue"]
    assert (queue["waiting"], queue["running"]) == (3, 1)
    assert 300 <= queue["oldest_waiting_seconds"] < 330
    assert queue["queues"]["transcription"]["waiting"] == 2
    assert queue["queues"]["transcription"]["running"] == 1
    assert 300 <= queue["queues"]["transcription"]["oldest_waiting_seconds"] < 330
    assert queue["queues"]["default"]["waiting"] == 1
    assert 60 <= queue["queues"]["default"]["oldest_waiting_seconds"] < 90
    assert report["workers"]["busy"] == 1


def test_a_delayed_job_waits_from_when_it_was_due(client, database_queue):
    """A retry enqueued 20 minutes ago to run 15 minutes later has waited 5 minutes, not 20."""
    now = timezone.now()
    queued(transcribe_audio, 1, waited_seconds=1200, run_after=now - timedelta(minutes=5))

    queue = client.get(HEALTH_URL).json()["queue"]

    assert queue["waiting"] == 1
    assert 300 <= queue["oldest_waiting_seconds"] < 330


def test_an_unreachable_cache_gives_503_naming_it(client, settings):
    """Bad input: CACHES pointing at a Redis port where nothing listens; the report says which part failed
    and nothing about where it is."""
    location = f"redis://127.0.0.1:{closed_port()}/0"
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}
    }

    response = client.get(HEALTH_URL)

    assert response.status_code == 503
    report = response.json()
    assert (report["status"], report["database"], report["cache"]) == ("error", "ok", "error")
    assert report["queue"]["waiting"] == 0  # the database still answers, so the queue is still reported
    assert "127.0.0.1" not in response.content.decode() and "redis" not in response.content.decode()


def test_the_page_cache_never_keeps_the_report(client, settings):
    settings.PAGE_CACHE_SECONDS = 300
    client.get(HEALTH_URL)
    response = client.get(HEALTH_URL)
    assert response["X-Cache"] == "pass"


def test_the_command_checks_the_database_and_cache(capsys):
    call_command("healthcheck")
    assert json.loads(capsys.readouterr().out)["status"] == "ok"


def test_the_worker_check_fails_when_a_job_waits_too_long(capsys, settings, database_queue):
    """Bad input: the oldest waiting transcription has waited 20 minutes, more than
    HEALTH_MAX_WAIT_SECONDS (15); the error says how long and how many wait."""
    settings.HEALTH_MAX_WAIT_SECONDS = 900
    queued(ping_hubs_task, "https://hub.example.org/", "https://podcast.example.org/feed", waited_seconds=30)
    call_command("healthcheck", "--worker")
    assert json.loads(capsys.readouterr().out)["queue"]["waiting"] == 1

    queued(transcribe_audio, 1, waited_seconds=1200)
    with pytest.raises(CommandError, match=r"oldest waiting job has waited 1\d\d\d s, longer than 900 s"):
        call_command("healthcheck", "--worker")

    # A worker of the default queue only is not blamed for the transcription backlog.
    call_command("healthcheck", "--worker", "--queue-name", "default")
    # And the threshold can be given on the command line.
    call_command("healthcheck", "--worker", "--max-wait", "3600")


def test_the_command_exits_1_when_the_database_is_unreachable():
    """As systemd or Kubernetes run it: a separate process, with DATABASE_URL pointing at a closed port."""
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "website.settings.test",
        "DATABASE_URL": f"postgres://podcast@127.0.0.1:{closed_port()}/podcast",
    }
    for args in (["--worker"], []):
        result = subprocess.run(
            [sys.executable, "manage.py", "healthcheck", *args],
            env=environment,
            cwd=django_settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1, result.stdout + result.stderr
        assert "Unhealthy" in result.stderr and "database" in result.stderr
