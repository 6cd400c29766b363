"""SIGTERM, as a deploy, `systemctl stop` or `honcho` sends it, to a `db_worker` (or an `rqworker`) in the
middle of a transcription: the worker finishes the file it is on, takes no new job, and exits cleanly;
the next worker takes the jobs that were waiting. (SIGKILL, or a stop that runs out of time and ends in
SIGKILL, leaves the file to the scheduler: see test_workers.py.)"""

import signal

import pytest

from episodes.uploads import create_audio_file
from transcripts.engines import get_engine
from transcripts.lines import split_lines
from transcripts.models import Transcript
from transcripts.tasks import transcribe_audio
from transcripts.transcribing import glossary_prompt

from .conftest import QUEUES, task_results

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def texts(transcript) -> list[str]:
    return list(transcript.segments.order_by("index").values_list("text", flat=True))


@pytest.mark.parametrize("cluster", QUEUES, indirect=True)
def test_sigterm_lets_the_worker_finish_its_file_then_stop(cluster, long_speech, clips):
    def tasks_of(transcript):
        return [r for r in task_results(transcribe_audio, cluster) if r.args == [transcript.pk]]

    # The worker holds still part-way through the file until the signal has been handled: were it let
    # run, a fast one could finish the file, and claim the job queued next, before the signal landed.
    halfway = cluster.pause("progress")
    stopped = cluster.start_worker("stopped-worker", env=halfway.env)
    audio = create_audio_file(long_speech, title="Coproduction in health care")  # queued on commit
    transcript = Transcript.objects.get(audio=audio)

    cluster.wait_until(halfway.reached, timeout=180, what="the worker to report progress")
    status, progress = Transcript.objects.values_list("status", "progress").get(pk=transcript.pk)
    assert status == Transcript.RUNNING and 0 < progress < 1, (status, progress)
    waiting = Transcript.objects.get(audio=create_audio_file(clips["garden"], title="garden"))
    stopped.expected_to_exit = True
    stopped.popen.send_signal(signal.SIGTERM)
    cluster.wait_for_output(stopped, cluster.stop_message)
    halfway.release()

    # Meanwhile, the same audio transcribed here, start to end, and cut into lines, as a clean run would.
    _, results = get_engine().transcribe(audio.file.path, prompt=glossary_prompt())
    clean = [line.text.strip() for line in split_lines(results)]
    assert len(clean) > 1

    assert stopped.popen.wait(timeout=180) == 0, stopped.output()
    assert cluster.stop_message in stopped.output()
    transcript.refresh_from_db()
    assert (transcript.status, transcript.attempts, transcript.progress) == (Transcript.DONE, 1, 1)
    assert texts(transcript) == clean
    assert list(transcript.segments.values_list("index", flat=True).order_by("index")) == list(
        range(len(clean))
    )
    [task] = tasks_of(transcript)
    assert (task.status, task.worker_ids, task.return_value) == (
        "SUCCESSFUL",
        ["stopped-worker"],
        Transcript.DONE,
    )
    # The job queued meanwhile was left for the next worker.
    waiting.refresh_from_db()
    assert waiting.status == Transcript.QUEUED
    assert [t.status for t in tasks_of(waiting)] == ["READY"]

    cluster.start_worker("next-worker")
    cluster.wait_until(
        # Not ``all`` of a possibly empty list: RQ lists a job from its queue and its registries one after
        # another, so a job moving from one to the next can be missing from a single listing.
        lambda: (found := tasks_of(waiting)) and all(t.status in ("SUCCESSFUL", "FAILED") for t in found),
        timeout=120,
        what="the next worker to transcribe the waiting file",
    )
    [task] = tasks_of(waiting)
    assert (task.status, task.worker_ids, task.return_value) == (
        "SUCCESSFUL",
        ["next-worker"],
        Transcript.DONE,
    )
    assert "garden" in " ".join(texts(waiting)).lower()
    assert Transcript.objects.count() == 2
    transcript.refresh_from_db()
    assert (transcript.status, transcript.attempts, texts(transcript)) == (Transcript.DONE, 1, clean)
