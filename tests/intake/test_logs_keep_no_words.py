"""Logs never contain what people wrote: a marker in the form is in no log record.

The form is sent through the real page, its receipt goes through the real
Redis broker to a real Celery worker, and the person withdraws with their
link; every logger (root, django, celery, selvhjelp, intake) is at DEBUG
and every record is checked: message, arguments and any traceback.
"""

import logging
import re
import time
from contextlib import contextmanager

from django.core import mail

from intake.models import Intake
from selvhjelp import messaging
from selvhjelp.models import OutboundMessage
from tests.factories import intake_form_data

MARKER = "Zqxlogmarker"
LOGGERS = ["", "django", "django.request", "django.server", "celery", "selvhjelp", "intake"]


class Everything(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.texts = []

    def emit(self, record):
        parts = [record.getMessage(), repr(record.args), repr(record.msg)]
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
        parts.extend(repr(value) for value in vars(record).values())
        self.texts.append("\n".join(parts))


@contextmanager
def all_logs_at_debug():
    handler = Everything()
    saved = {}
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved[name] = logger.level
        logger.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def marked_form(centre):
    return intake_form_data(
        centre,
        name=f"Kari {MARKER}",
        email=f"{MARKER.lower()}@example.org",
        contact_by="email",
        about=f"Jeg har det vondt, {MARKER}.",
    )


def wait_for(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def assert_no_marker(handler):
    assert handler.texts, "nothing was logged: the capture is not working"
    leaks = [text for text in handler.texts if MARKER.lower() in text.lower()]
    assert leaks == []


def test_the_form_and_its_receipt_through_a_real_worker_log_nothing_the_person_wrote(
    celery_worker, form_choices, client, centre
):
    with all_logs_at_debug() as handler:
        response = client.post("/meld-interesse/", marked_form(centre), follow=True)
        assert response.status_code == 200
        wait_for(lambda: OutboundMessage.objects.filter(status="sent").exists())
        [email] = mail.outbox
        link = re.search(r"(/meld-interesse/trekk/[^/\s]+/)", email.body).group(1)
        client.post(link, follow=True)
        assert Intake.objects.get().status == Intake.Status.WITHDRAWN

    assert MARKER in email.to[0] or MARKER.lower() in email.to[0]  # the marker did travel
    assert_no_marker(handler)


def test_a_refused_form_and_a_failed_send_log_nothing_the_person_wrote(
    client, centre, monkeypatch, settings
):
    def broken(message):
        raise ConnectionRefusedError(f"mail server refused {message.recipient}")

    with all_logs_at_debug() as handler:
        # Refused: the person is too young. Then a valid form whose receipt fails to send.
        client.post("/meld-interesse/", {**marked_form(centre), "birth_year": "2020"})
        client.post("/meld-interesse/", marked_form(centre))
        monkeypatch.setattr(messaging, "deliver", broken)
        messaging.send_due_messages()

    assert OutboundMessage.objects.get().status == "pending"
    assert_no_marker(handler)
