"""Exactly once, for real: PostgreSQL, the Redis broker and real Celery workers.

Concurrent claims run in threads, each on its own database connection; the
worker tests use the in-process worker of tests/conftest.py and, for two
workers, two `celery worker` processes on the test database.
"""

import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from celery.signals import task_postrun
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from intake.models import Intake, Slot, Theme
from intake.services import submit_intake
from selvhjelp import messaging
from selvhjelp.celery import app
from selvhjelp.models import OutboundMessage
from selvhjelp.tasks import run_job, send_message
from tests.factories import intake_form_data

ROOT = Path(__file__).resolve().parents[2]
CLOSED_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def write(centre, key, recipient="kari@example.org", channel="email", due_at=None):
    return messaging.queue_message(
        centre=centre,
        channel=channel,
        recipient=recipient,
        message_type="intake_confirmation",
        about=centre,
        dedup_key=key,
        context={"first_name": "Kari", "reference": "ABC-234", "response_days": 5},
        due_at=due_at,
    )


def write_unsent(centre, key, **values):
    """A due message nobody has enqueued yet (as after a broker outage)."""
    message = write(centre, key, due_at=timezone.now() + timedelta(hours=1), **values)
    OutboundMessage.objects.filter(pk=message.pk).update(due_at=timezone.now())
    return message


def wait_for(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def in_threads(count, work):
    """Run `work()` in `count` threads started together; return what each returned."""
    barrier = threading.Barrier(count)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(work())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def drop_producer_pools():
    # Celery keeps its publishing connections in a pool bound to the broker
    # URL it first saw; a test that moves the broker must drop them.
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker(url):
    saved = app.conf.broker_url, app.conf.task_always_eager
    drop_producer_pools()
    app.conf.update(broker_url=url, task_always_eager=False)
    try:
        yield
    finally:
        drop_producer_pools()
        app.conf.update(broker_url=saved[0], task_always_eager=saved[1])


@pytest.fixture
def silent_broker():
    """A "Redis" that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def form_data(centre):
    Theme.objects.get_or_create(is_other=True, defaults={"name": "Noe annet"})
    Slot.objects.get_or_create(weekday=0, part="evening")
    return intake_form_data(centre, contact_by="email")


# --- Concurrent claims --------------------------------------------------------


def test_eight_concurrent_claims_send_a_message_once(centre, monkeypatch):
    message = write_unsent(centre, "race")
    delivered = []

    def slow_deliver(message):
        time.sleep(0.2)  # hold the claim while the others try
        delivered.append(message.pk)

    monkeypatch.setattr(messaging, "deliver", slow_deliver)
    outcomes = in_threads(8, lambda: messaging.send_message(message_id=message.pk))
    assert sorted(outcomes, key=str) == [None] * 7 + ["sent"]
    assert delivered == [message.pk]
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT and message.attempts == 1


def test_two_sweeps_at_once_send_each_message_once(centre):
    for n in range(40):
        write_unsent(centre, f"sweep:{n}", recipient=f"p{n}@example.org")
    in_threads(2, lambda: messaging.send_due_messages(batch_size=10))
    recipients = sorted(email.to[0] for email in mail.outbox)
    assert recipients == sorted(f"p{n}@example.org" for n in range(40))
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"sent"}


def test_two_takeovers_of_a_dead_claim_send_it_once(centre, monkeypatch):
    message = write_unsent(centre, "stale")
    OutboundMessage.objects.filter(pk=message.pk).update(
        status="sending", claimed_at=timezone.now() - timedelta(minutes=30), attempts=1
    )
    outcomes = in_threads(4, lambda: messaging.send_message(message_id=message.pk))
    assert sorted(outcomes, key=str) == [None] * 3 + ["sent"]
    assert len(mail.outbox) == 1


# --- A real worker ----------------------------------------------------------------


def test_a_message_is_sent_by_a_real_worker_right_after_commit(celery_worker, centre):
    with transaction.atomic():
        message = write(centre, "fresh")
    wait_for(lambda: OutboundMessage.objects.get(pk=message.pk).status == "sent")
    assert [email.to for email in mail.outbox] == [["kari@example.org"]]


def test_a_task_delivered_twice_sends_once(celery_worker, centre):
    message = write_unsent(centre, "twice")
    finished = []

    def record(sender=None, task_id=None, retval=None, **kwargs):
        if task_id == "redelivered-task":
            finished.append(retval)

    task_postrun.connect(record, weak=False)
    try:
        # Redis redelivers an unacknowledged task under the same id.
        for _ in range(2):
            send_message.apply_async((message.pk,), task_id="redelivered-task")
        wait_for(lambda: len(finished) == 2)
    finally:
        task_postrun.disconnect(record)
    assert sorted(finished, key=str) == [None, "sent"]
    assert len(mail.outbox) == 1


class BrokenSmsBackend:
    calls = []

    def send(self, *, to, text, reference=None):
        self.calls.append(to)
        raise ConnectionRefusedError("gateway down")


def test_retries_through_a_real_worker_are_bounded_and_end_in_failed(
    celery_worker, centre, settings
):
    settings.SMS_BACKEND = f"{__name__}.BrokenSmsBackend"
    settings.MESSAGES_MAX_ATTEMPTS = 3
    settings.MESSAGES_RETRY_BASE_SECONDS = 0  # every retry is due at once
    BrokenSmsBackend.calls.clear()
    message = write_unsent(centre, "broken", recipient="+4791234567", channel="sms")
    summaries = [
        run_job.apply_async(("send_due_messages",), ignore_result=False).get(timeout=20)
        for _ in range(5)
    ]
    assert summaries[3:] == [{}, {}]
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED
    assert message.attempts == 3
    assert "gateway down" in message.last_error
    assert len(BrokenSmsBackend.calls) == 3


# --- The broker is down -----------------------------------------------------------


def test_enqueueing_gives_up_at_once_when_the_broker_is_down(centre, caplog):
    message = write_unsent(centre, "down")
    with broker(CLOSED_BROKER):
        started = time.monotonic()
        messaging._send_soon(message.pk)
        elapsed = time.monotonic() - started
    assert elapsed < 3
    assert "the sweep will send it" in caplog.text


def test_enqueueing_gives_up_in_seconds_when_the_broker_does_not_answer(
    centre, caplog, silent_broker
):
    message = write_unsent(centre, "silent")
    with broker(silent_broker):
        started = time.monotonic()
        messaging._send_soon(message.pk)
        elapsed = time.monotonic() - started
    assert elapsed < 8
    assert "the sweep will send it" in caplog.text


def test_an_interest_form_saved_while_the_broker_is_down_is_confirmed_by_the_sweep(
    celery_worker, centre, caplog
):
    caplog.set_level(logging.WARNING, logger="selvhjelp")  # the worker quietened the root
    with broker(CLOSED_BROKER), transaction.atomic():
        intake = submit_intake(
            centre=centre,
            name="Kari Nordmann",
            birth_year=1980,
            confirmed_adult=True,
            applying_for_self=True,
            consent_given=True,
            email="kari@example.org",
            contact_by="email",
        )
    message = OutboundMessage.objects.get(object_id=intake.pk, message_type="intake_confirmation")
    assert message.status == OutboundMessage.Status.PENDING
    assert "Could not enqueue" in caplog.text
    assert mail.outbox == []
    # The broker is back: the next beat sweep, on a real worker, sends it.
    run_job.apply_async(("send_due_messages",), ignore_result=False).get(timeout=20)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert [email.subject for email in mail.outbox] == [
        f"Vi har fått interessemeldingen din ({intake.reference})"
    ]


def test_the_public_form_works_while_the_broker_is_down(celery_worker, client, centre):
    data = form_data(centre)
    with broker(CLOSED_BROKER):
        started = time.monotonic()
        response = client.post("/meld-interesse/", data, follow=True)
        elapsed = time.monotonic() - started
    assert elapsed < 5
    intake = Intake.objects.get()
    assert response.status_code == 200
    assert intake.reference in response.content.decode()
    message = OutboundMessage.objects.get(object_id=intake.pk)
    assert message.status == OutboundMessage.Status.PENDING
    run_job.apply_async(("send_due_messages",), ignore_result=False).get(timeout=20)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT


# --- Two worker processes -----------------------------------------------------------


@pytest.fixture
def worker_processes(redis_url, tmp_path):
    """Start `celery worker` processes on the test database; yield a starter."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_URL": f"filemail:///{tmp_path}",
        "CONN_MAX_AGE": "0",
    }
    processes = []

    def start(name):
        command = [sys.executable, "-m", "celery", "-A", "selvhjelp", "worker"]
        command += ["-n", f"{name}@%h", "--concurrency", "2", "--loglevel", "WARNING"]
        processes.append(
            subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        )

    yield start
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.redis
def test_two_worker_processes_send_each_message_exactly_once(
    redis_url, centre, worker_processes, tmp_path
):
    import redis

    queue = redis.Redis.from_url(redis_url)
    queue.delete("celery", "unacked", "unacked_index")
    count = 30
    messages = [
        write_unsent(centre, f"two:{n}", recipient=f"p{n}@example.org") for n in range(count)
    ]
    with broker(redis_url):
        # Every message three times over (after-commit task, redelivery, a
        # retry) and two sweeps: the two workers race for each row.
        for message in messages:
            for _ in range(3):
                send_message.delay(message.pk)
        run_job.delay("send_due_messages")
        run_job.delay("send_due_messages")
    worker_processes("w1")
    worker_processes("w2")
    wait_for(
        lambda: (
            not OutboundMessage.objects.exclude(status="sent").exists()
            and queue.llen("celery") == 0
            and queue.hlen("unacked") == 0
        ),
        timeout=90,
    )
    sent_to = re.findall(
        r"^To: (\S+)$",
        "".join(path.read_text() for path in tmp_path.iterdir()),
        flags=re.MULTILINE,
    )
    assert sorted(sent_to) == sorted(f"p{n}@example.org" for n in range(count))
