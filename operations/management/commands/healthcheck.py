"""``manage.py healthcheck [--worker]``: exit 0 when healthy, 1 with the reason on stderr otherwise.

For systemd (``ExecStartPost``/a timer), Docker ``HEALTHCHECK`` and Kubernetes ``exec`` probes. The checks
themselves live in ``operations.health``; this prints the same JSON report as ``/health/``.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from operations import health, queues


class Command(BaseCommand):
    help = (
        "Check the database and the cache (as /health/ does), or with --worker the database and the task "
        "queue: fails when the oldest waiting job has waited longer than HEALTH_MAX_WAIT_SECONDS, and on RQ "
        "when Redis does not answer or no worker is alive."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--worker",
            action="store_true",
            help="Check what a worker needs: the database, and a queue that is being worked off.",
        )
        parser.add_argument(
            "--queue-name",
            action="append",
            dest="queue_names",
            help="With --worker: only these queues (repeat the option), e.g. the ones this worker serves.",
        )
        parser.add_argument(
            "--max-wait",
            type=int,
            help="With --worker: the longest a job may wait, in seconds (default HEALTH_MAX_WAIT_SECONDS).",
        )

    def handle(self, *args, worker=False, queue_names=None, max_wait=None, **options):
        if worker:
            report = self.worker_report(
                queue_names, health.max_wait_seconds() if max_wait is None else max_wait
            )
        else:
            web = health.web_report()
            report = web.as_dict()
            if web.failed:
                raise CommandError(f"Unhealthy: {', '.join(web.failed)} failed. {json.dumps(report)}")
        self.stdout.write(json.dumps(report))

    def worker_report(self, queue_names, max_wait) -> dict:
        if health.check_database() != health.OK:
            raise CommandError("Unhealthy: the database does not answer.")
        if not queues.reachable():
            pending = health.outbox_report()
            raise CommandError(
                "Unhealthy: the task queue (Redis) does not answer. "
                f"{json.dumps({'status': health.ERROR, 'outbox': pending})}"
            )
        queue = health.queue_report(queue_names)
        oldest = queue["oldest_waiting_seconds"]
        report = {
            "status": health.OK,
            "database": health.OK,
            "queue": queue,
            # Reported, not judged: after an outage its rows are sent within a round or two of Redis.
            "outbox": health.outbox_report(),
            "max_wait_seconds": max_wait,
        }
        if queue["backend"] == queues.RQ:
            # RQ's workers register in Redis: a queue with nobody alive to work it is unhealthy at once.
            report["workers"] = workers = queues.workers()
            if not workers["alive"]:
                report["status"] = health.ERROR
                raise CommandError(f"Unhealthy: no RQ worker is alive. {json.dumps(report)}")
        if oldest is not None and oldest > max_wait:
            report["status"] = health.ERROR
            raise CommandError(
                f"Unhealthy: the oldest waiting job has waited {oldest} s, longer than {max_wait} s "
                f"({queue['waiting']} waiting, {queue['running']} running). {json.dumps(report)}"
            )
        return report
