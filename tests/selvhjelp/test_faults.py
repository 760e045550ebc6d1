"""Faults of the database, for real: a cut connection, a restore, jobs after an outage.

PostgreSQL, the Redis broker and the in-process Celery worker of
tests/conftest.py. The fault benchmark (bench/faults.py) restarts the real
services under load; these tests pin each behaviour down on its own.
"""

import logging
import time
from datetime import timedelta

import psycopg
import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from selvhjelp import messaging
from selvhjelp.models import OutboundMessage

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def write(centre, key, recipient="kari@example.org", due_at=None):
    return messaging.queue_message(
        centre=centre,
        channel="email",
        recipient=recipient,
        message_type="intake_confirmation",
        about=centre,
        dedup_key=key,
        context={"first_name": "Kari", "reference": "ABC-234", "response_days": 5},
        due_at=due_at,
    )


def wait_for(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def terminate_backend(pid):
    """Cut one database connection from outside, as a restart or an admin would."""
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"], autocommit=True
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_a_connection_cut_right_after_delivery_still_sends_exactly_one_email(
    celery_worker, centre, monkeypatch, caplog
):
    caplog.set_level(logging.WARNING, logger="selvhjelp")
    original = messaging.deliver
    cut = []

    def deliver_then_lose_the_database(message):
        original(message)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        terminate_backend(pid)
        cut.append(pid)

    monkeypatch.setattr(messaging, "deliver", deliver_then_lose_the_database)
    with transaction.atomic():
        message = write(centre, "cut")
    wait_for(lambda: OutboundMessage.objects.get(pk=message.pk).status == "sent")
    assert len(cut) == 1
    assert "Database connection lost while finishing message" in caplog.text
    # Long after: the sweep finds nothing to take over and send again.
    OutboundMessage.objects.filter(pk=message.pk).update(due_at=timezone.now() - timedelta(hours=1))
    assert messaging.send_due_messages() == {}
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.attempts == 1 and message.claimed_at is None


def test_finishing_gives_up_after_its_time_and_leaves_the_row_to_the_sweep(
    centre, monkeypatch, settings
):
    settings.MESSAGES_FINISH_RETRY_SECONDS = 1
    message = write(centre, "gone", due_at=timezone.now() + timedelta(hours=1))
    OutboundMessage.objects.filter(pk=message.pk).update(due_at=timezone.now())
    tries = []

    def database_down(*args, **kwargs):
        tries.append(1)
        raise messaging.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(OutboundMessage.objects.none().__class__, "update", database_down)
    with pytest.raises(messaging.OperationalError):
        messaging._finish(message, timezone.now(), status="sent")
    assert 2 <= len(tries) <= 3  # tried again after 0.5 s, then gave up


def test_finishing_inside_a_transaction_is_not_retried(centre, monkeypatch):
    tries = []

    def database_down():
        tries.append(1)
        raise messaging.OperationalError("gone")

    with pytest.raises(messaging.OperationalError), transaction.atomic():
        messaging.retry_database(database_down, what="a test")
    assert tries == [1]
