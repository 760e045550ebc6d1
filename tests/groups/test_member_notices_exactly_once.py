"""Each notice a member sends goes out exactly once: two members at once, a killed worker.

Real PostgreSQL, Redis and `celery worker` processes. The clock is not moved
here (the workers live in real time): the group's first meeting is ahead.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
from django.db import connection

from groups import members
from selvhjelp.models import OutboundMessage
from selvhjelp.tasks import run_job
from tests.selvhjelp.test_messaging_concurrency import ROOT, broker, in_threads, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOTICES = ["member_absent", "member_coming_after_all"]


@pytest.fixture(autouse=True)
def today():
    """Real time: the workers cannot share a moved clock."""
    yield None


@pytest.fixture
def slow_channels(monkeypatch):
    """Writing each notice takes a moment, so two reports overlap for real."""
    real = members.message_channel

    def slow(intake):
        time.sleep(0.02)
        return real(intake)

    monkeypatch.setattr(members, "message_channel", slow)


def test_two_members_at_once_and_a_double_click_tell_each_other_once(
    postgres, group, slow_channels
):
    anne, bjorn = group.memberships.order_by("pk")[:2]
    meeting = group.meetings.order_by("start").first()
    calls = [
        lambda: members.report_absence(membership=anne, meeting=meeting),
        lambda: members.report_absence(membership=anne, meeting=meeting),
        lambda: members.report_absence(membership=bjorn, meeting=meeting),
        lambda: members.report_absence(membership=bjorn, meeting=meeting),
    ]
    queue = list(calls)
    lock = threading.Lock()

    def next_call():
        with lock:
            call = queue.pop()
        return call()

    in_threads(4, next_call)
    notices = OutboundMessage.objects.filter(message_type="member_absent")
    # Each of the two is told to the five others, once; neither to themselves.
    assert notices.count() == 10
    per_recipient = Counter((n.recipient, n.context["who"]) for n in notices)
    assert set(per_recipient.values()) == {1}
    assert not notices.filter(person_id=anne.intake_id, context__who="Anne").exists()
    assert members.expected_counts([meeting])[meeting.pk] == 4


@pytest.fixture
def silent_smtp():
    """An SMTP "server" that accepts connections and never answers: a send hangs."""
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
    yield f"smtp://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def start_worker(redis_url, email_url, name):
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_URL": email_url,
        "EMAIL_TIMEOUT": "120",
        "MESSAGES_STALE_CLAIM_SECONDS": "3",
        "CONN_MAX_AGE": "0",
    }
    command = [sys.executable, "-m", "celery", "-A", "selvhjelp", "worker", "--pool", "solo"]
    command += ["-n", f"{name}@%h", "--loglevel", "WARNING"]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


@pytest.mark.redis
def test_a_worker_killed_while_sending_a_notice_leaves_it_to_be_sent_once(
    redis_url, group, silent_smtp, tmp_path, settings
):
    import redis

    queue = redis.Redis.from_url(redis_url)
    queue.delete("celery", "unacked", "unacked_index")
    anne = group.memberships.order_by("pk").first()
    meeting = group.meetings.order_by("start").first()
    with broker(redis_url):
        # Written and enqueued after commit, as a member's click does.
        members.report_absence(membership=anne, meeting=meeting)
        members.take_back_absence(membership=anne, meeting=meeting)
    notices = OutboundMessage.objects.filter(message_type__in=NOTICES)
    assert notices.count() == 10

    doomed = start_worker(redis_url, silent_smtp, "doomed")
    try:
        # It claims a notice and hangs in the SMTP greeting; then it dies.
        # A cold worker process imports the whole project first: give it time.
        wait_for(lambda: notices.filter(status="sending").exists(), timeout=150)
        held = notices.get(status="sending")
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()
    assert notices.filter(status="sent").count() == 0

    survivor = start_worker(redis_url, f"filemail:///{tmp_path}", "survivor")
    try:
        time.sleep(3.5)  # the dead worker's claim goes stale
        with broker(redis_url):
            run_job.delay("send_due_messages")
        wait_for(lambda: not notices.exclude(status="sent").exists(), timeout=90)
    finally:
        survivor.terminate()
        survivor.wait(timeout=30)
    held.refresh_from_db()
    assert held.status == "sent" and held.attempts == 2
    sent = "".join(path.read_text() for path in tmp_path.iterdir())
    subjects = re.findall(r"^Subject: (.+)$", sent, flags=re.MULTILINE)
    recipients = re.findall(r"^To: (\S+)$", sent, flags=re.MULTILINE)
    assert len(recipients) == 10 - notices.filter(channel="sms").count()
    assert len(set(zip(recipients, subjects, strict=True))) == len(recipients)  # once each
    assert set(
        OutboundMessage.objects.filter(message_type__in=NOTICES).values_list("attempts", flat=True)
    ) <= {1, 2}
