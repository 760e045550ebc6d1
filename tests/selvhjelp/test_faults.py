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
from django.db import OperationalError, connection, transaction
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


# --- A restore ------------------------------------------------------------------------


def pg_command(program, *args):
    import subprocess

    db = connection.settings_dict
    command = [program, "-h", db["HOST"], "-p", str(db["PORT"]), "-U", db["USER"], "-d", db["NAME"]]
    subprocess.run([*command, *args], check=True, capture_output=True)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_a_restored_snapshot_sends_nothing_again_without_a_staff_decision(
    celery_worker, centre, staff, staff_client, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    from selvhjelp.tasks import run_job

    # The backup is taken while three messages wait, one is being sent and
    # one is due only tomorrow.
    now = timezone.now()
    soon = now + timedelta(hours=1)  # not enqueued on commit; made due below
    waiting = [write(centre, f"wait:{n}", f"p{n}@example.org", due_at=soon) for n in range(3)]
    half_sent = write(centre, "half", "half@example.org", due_at=soon)
    OutboundMessage.objects.update(due_at=now)
    OutboundMessage.objects.filter(pk=half_sent.pk).update(status="sending", claimed_at=now)
    tomorrow = write(centre, "later", "later@example.org", due_at=now + timedelta(days=1))
    dump = tmp_path / "outbox.dump"
    pg_command("pg_dump", "-Fc", "--data-only", "-t", "selvhjelp_outboundmessage", "-f", str(dump))
    # The live system then sends them all.
    OutboundMessage.objects.filter(pk=half_sent.pk).update(status="pending")
    assert messaging.send_due_messages() == {"sent": 4}
    mail.outbox.clear()
    # Disaster: the database is restored from the backup.
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE selvhjelp_outboundmessage")
    pg_command("pg_restore", "--data-only", str(dump))
    assert OutboundMessage.objects.filter(status="pending").count() == 4

    call_command("after_restore", stdout=open(tmp_path / "out.txt", "w"))  # noqa: SIM115
    assert "Held 4 messages (3 waiting and due, 1 being sent)" in (tmp_path / "out.txt").read_text()
    held = OutboundMessage.objects.filter(status="held")
    assert set(held.values_list("pk", flat=True)) == {m.pk for m in [*waiting, half_sent]}
    assert OutboundMessage.objects.get(pk=tomorrow.pk).status == "pending"
    # Beat's sweeps on a real worker, much later: nothing held goes out.
    OutboundMessage.objects.filter(status="held").update(due_at=now - timedelta(hours=2))
    for _ in range(2):
        run_job.apply_async(("send_due_messages",), ignore_result=False).get(timeout=20)
    assert mail.outbox == []
    # Staff review them: one is sent, the rest dropped.
    url = "/admin/selvhjelp/outboundmessage/"
    page = staff_client.get(url + "?status=held").content.decode()
    assert "Holdt tilbake etter gjenoppretting" in page and "half@example.org" in page
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            url + "?status=held",
            {"action": "send_again", "_selected_action": [waiting[0].pk], "index": "0"},
        )
    staff_client.post(
        url + "?status=held",
        {"action": "cancel", "_selected_action": [m.pk for m in waiting[1:]], "index": "0"},
    )
    wait_for(lambda: OutboundMessage.objects.get(pk=waiting[0].pk).status == "sent")
    assert [email.to for email in mail.outbox] == [["p0@example.org"]]
    assert OutboundMessage.objects.filter(status="cancelled").count() == 2
    assert OutboundMessage.objects.get(pk=half_sent.pk).status == "held"


def test_holding_after_a_restore_twice_changes_nothing_more(centre):
    write(centre, "due", due_at=timezone.now() + timedelta(hours=1))
    OutboundMessage.objects.update(due_at=timezone.now())
    assert messaging.hold_after_restore() == {"pending": 1}
    assert messaging.hold_after_restore() == {}


# --- Jobs missed in an outage ------------------------------------------------------


def test_a_job_that_failed_while_the_database_was_down_runs_again_within_minutes(
    celery_worker, centre, staff, settings, monkeypatch, caplog
):
    from selvhjelp import jobs
    from selvhjelp.tasks import run_job

    caplog.set_level(logging.WARNING, logger="selvhjelp")
    settings.JOB_RETRY_SECONDS = 1
    jobs.registered_jobs()
    digest = jobs._JOBS["staff_digest"]
    calls = []

    def digest_after_an_outage():
        calls.append(time.monotonic())
        if len(calls) < 3:  # the database is down for the first two runs
            raise OperationalError("connection to server failed: Connection refused")
        return digest()

    monkeypatch.setitem(jobs._JOBS, "staff_digest", digest_after_an_outage)
    message = write(centre, "failed-one")
    OutboundMessage.objects.filter(pk=message.pk).update(status="failed")
    run_job.apply_async(("staff_digest",), expires=60)
    wait_for(lambda: OutboundMessage.objects.filter(message_type="staff_digest").exists())
    assert len(calls) == 3
    assert 0.9 < calls[1] - calls[0] < 10 and 0.9 < calls[2] - calls[1] < 10
    assert "Job staff_digest failed: the database is unreachable" in caplog.text
    assert [m.recipient for m in OutboundMessage.objects.filter(message_type="staff_digest")] == [
        staff.email
    ]


def test_the_sweep_is_not_retried_the_next_minute_is_its_retry(celery_worker, monkeypatch):
    from selvhjelp import jobs
    from selvhjelp.tasks import run_job

    jobs.registered_jobs()
    calls = []

    def sweep_while_down():
        calls.append(1)
        raise OperationalError("connection to server failed")

    monkeypatch.setitem(jobs._JOBS, "send_due_messages", sweep_while_down)
    result = run_job.apply_async(("send_due_messages",), ignore_result=False)
    with pytest.raises(OperationalError):
        result.get(timeout=20)
    time.sleep(1.5)
    assert calls == [1]


def test_a_restore_without_after_restore_is_noticed_and_nothing_is_sent_again(
    celery_worker, centre, tmp_path, caplog
):
    from selvhjelp.tasks import run_job, send_message

    caplog.set_level(logging.WARNING, logger="selvhjelp")
    now = timezone.now()
    soon = now + timedelta(hours=1)
    waiting = [write(centre, f"wait:{n}", f"p{n}@example.org", due_at=soon) for n in range(2)]
    OutboundMessage.objects.update(due_at=now)
    dump = tmp_path / "outbox.dump"
    pg_command("pg_dump", "-Fc", "--data-only", "-t", "selvhjelp_outboundmessage", "-f", str(dump))
    # The live system sends them, and writes and sends more.
    run_job.apply_async(("send_due_messages",), ignore_result=False).get(timeout=20)
    for n in range(3):
        with transaction.atomic():
            write(centre, f"more:{n}", f"more{n}@example.org")
    wait_for(lambda: OutboundMessage.objects.filter(status="sent").count() == 5)
    mail.outbox.clear()
    # Restored, and the workers carry on as if nothing happened (no after_restore).
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE selvhjelp_outboundmessage")
    pg_command("pg_restore", "--data-only", str(dump))
    # A stale task of the old queue, then beat's sweep.
    assert send_message.apply_async((waiting[0].pk,), ignore_result=False).get(timeout=20) is None
    summary = run_job.apply_async(("send_due_messages",), ignore_result=False).get(timeout=20)
    assert mail.outbox == []
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"held"}
    assert summary == {}
    assert "a backup was restored without after_restore. 2 messages are held" in caplog.text
    # New forms after the restore are sent as ever.
    with transaction.atomic():
        fresh = write(centre, "after", "after@example.org")
    wait_for(lambda: OutboundMessage.objects.get(pk=fresh.pk).status == "sent")
    assert [email.to for email in mail.outbox] == [["after@example.org"]]


def test_the_digest_tells_staff_of_held_messages(centre, staff):
    from selvhjelp import jobs

    write(centre, "due", due_at=timezone.now() + timedelta(hours=1))
    OutboundMessage.objects.update(due_at=timezone.now())
    messaging.hold_after_restore()
    jobs.staff_digest()
    digest = OutboundMessage.objects.get(message_type="staff_digest")
    assert digest.context["held_messages"] == 1
    body = messaging.render_message(digest).body
    assert "1 melding ble holdt tilbake etter at databasen ble gjenopprettet" in body
