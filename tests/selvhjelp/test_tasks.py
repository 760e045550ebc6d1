"""The tasks are thin: they take an id or a job name and call the service."""

import pytest
from django.core import mail

from selvhjelp import jobs
from selvhjelp.celery import app
from selvhjelp.messaging import queue_message
from selvhjelp.models import OutboundMessage
from selvhjelp.tasks import run_job, send_message

pytestmark = pytest.mark.django_db


def pending(centre):
    message = queue_message(
        centre=centre,
        channel="email",
        recipient="kari@example.org",
        message_type="intake_confirmation",
        about=centre,
        dedup_key="task",
        context={"first_name": "Kari", "reference": "ABC-234", "response_days": 5},
    )
    return message


def test_the_send_task_sends_the_message(centre):
    message = pending(centre)
    assert send_message.delay(message.pk).get() == "sent"
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT


def test_the_send_task_run_again_sends_nothing(centre):
    message = pending(centre)
    send_message.delay(message.pk)
    assert send_message.delay(message.pk).get() is None
    assert len(mail.outbox) == 1


def test_the_job_task_runs_the_named_job(centre):
    pending(centre)
    assert run_job.delay("send_due_messages").get() == {"sent": 1}


def test_the_job_task_refuses_an_unknown_job():
    with pytest.raises(jobs.UnknownJob):
        run_job.delay("no_such_job")


def test_beat_finds_the_tasks_under_the_names_in_the_schedule(settings):
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
    assert "selvhjelp.tasks.send_message" in app.tasks
