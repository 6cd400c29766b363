"""The operations app's one table: the outbox of tasks the queue did not take (``outbox.py``)."""

from django.db import models
from django.utils import timezone


class PendingTask(models.Model):
    """A task that RQ refused (Redis down), kept in the site's database until the scheduler sends it
    again (``operations.outbox``): what ``Task.using(...).enqueue(*args, **kwargs)`` needs to queue it
    once more, and how sending it has gone so far."""

    # The task's dotted path (concepts.tasks.link_concept_task), and what Task.using() takes.
    task_path = models.CharField(max_length=255)
    backend = models.CharField(max_length=100, default="default")
    queue_name = models.CharField(max_length=100)
    priority = models.IntegerField(default=0)
    run_after = models.DateTimeField(null=True, blank=True)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)  # times the queue refused it, the first included
    last_error = models.TextField(blank=True)
    next_try_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # The scheduler's question: the due rows, oldest first.
        indexes = [models.Index(fields=["next_try_at"], name="pendingtask_next_try_at")]
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.task_path} {self.args!r} (pending since {self.created_at:%Y-%m-%d %H:%M:%S})"
