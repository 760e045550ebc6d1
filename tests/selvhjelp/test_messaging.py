"""The outbox: rendering, queueing, sending once, retries and staff actions.

These run in-process (eager Celery, locmem email). The real broker, real
workers and concurrent claims are in test_messaging_concurrency.py.
"""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import path
from django.utils import timezone, translation

from selvhjelp import messaging, sms
from selvhjelp.messaging import MessageType, queue_message, queue_messages, render_message
from selvhjelp.models import OutboundMessage

pytestmark = pytest.mark.django_db

# For the stop-link test: the URL name the reminders' stop view will have.
urlpatterns = [path("stopp/<str:token>/", lambda request, token: None, name="stop-messages")]

CONFIRMATION = {
    "first_name": "Kari",
    "reference": "ABC-234",
    "centre": "Arna frivilligsentral",
    "centre_phone": "+47 55 00 00 01",
    "response_days": 5,
}


@pytest.fixture
def sms_outbox(settings):
    settings.SMS_BACKEND = "selvhjelp.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def write(centre, *, channel="email", key="m1", due_at=None, recipient=None, **values):
    recipient = recipient or ("+4791234567" if channel == "sms" else "kari@example.org")
    return queue_message(
        centre=centre,
        channel=channel,
        recipient=recipient,
        message_type=values.pop("message_type", "intake_confirmation"),
        about=centre,
        dedup_key=key,
        context=values.pop("context", CONFIRMATION),
        due_at=due_at,
    )


def failing(error):
    def deliver(message):
        raise error

    return deliver


# --- Rendering ----------------------------------------------------------------


def test_confirmation_email_is_norwegian_with_reference_centre_and_time(centre):
    rendered = render_message(write(centre))
    assert rendered.subject == "Vi har fått interessemeldingen din (ABC-234)"
    assert rendered.body.startswith("Hei Kari,\n\nTakk for interessemeldingen din.")
    assert "referansen din er ABC-234" in rendered.body
    assert "innen 5 virkedager" in rendered.body
    assert "+47 55 00 00 01" in rendered.body
    assert "113" in rendered.body
    assert rendered.body.rstrip().endswith("Vennlig hilsen\nArna frivilligsentral")


def test_confirmation_sms_is_one_norwegian_text_that_fits_one_sms(centre):
    rendered = render_message(write(centre, channel="sms"))
    assert rendered.subject == ""
    assert rendered.body == (
        "Hei Kari! Arna frivilligsentral har fått interessemeldingen din. "
        "Referanse: ABC-234. Vi tar vanligvis kontakt innen 5 virkedager."
    )
    assert len(rendered.body) <= 160


def test_one_working_day_is_singular(centre):
    rendered = render_message(write(centre, context={**CONFIRMATION, "response_days": 1}))
    assert "innen 1 virkedag." in rendered.body


def test_messages_are_norwegian_whatever_language_is_active(centre):
    with translation.override("en"):
        rendered = render_message(write(centre))
    assert rendered.subject.startswith("Vi har fått")


def test_plain_text_is_not_html_escaped(centre):
    message = write(centre, context={**CONFIRMATION, "centre": "Kirkens Bymisjon & LINK"})
    assert "Kirkens Bymisjon & LINK" in render_message(message).body


def test_confirmation_has_no_stop_link(centre):
    body = render_message(write(centre)).body
    assert "stopp" not in body.lower() and "http" not in body


def test_values_named_at_and_on_reach_templates_as_datetimes_and_dates(centre):
    message = write(
        centre, context={"meeting_at": "2026-03-29T18:00:00+02:00", "digest_on": "2026-03-29"}
    )
    context = messaging._template_context(message)
    assert context["meeting_at"].hour == 18 and context["meeting_at"].tzinfo is not None
    assert context["digest_on"].isoformat() == "2026-03-29"


@pytest.mark.urls(__name__)
def test_optional_messages_get_a_signed_stop_link_naming_what_they_are_about(
    centre, monkeypatch, settings
):
    monkeypatch.setitem(
        messaging.MESSAGE_TYPES, "intake_confirmation", MessageType("test", optional=True)
    )
    message = write(centre)
    url = messaging._template_context(message)["stop_url"]
    assert url.startswith(f"{settings.SITE_URL}/stopp/")
    token = url.rstrip("/").rsplit("/", 1)[1]
    content_type, object_id, template = messaging.read_stop_token(token)
    assert (content_type.model_class(), object_id, template) == (
        type(centre),
        centre.pk,
        "intake_confirmation",
    )


def test_a_tampered_stop_token_is_refused(centre):
    from django.core import signing

    token = messaging.stop_token(write(centre))
    with pytest.raises(signing.BadSignature):
        messaging.read_stop_token(token[:-2] + "xx")


def test_send_time_values_are_made_when_sending_but_not_for_a_preview(centre, monkeypatch):
    monkeypatch.setitem(
        messaging.MESSAGE_TYPES,
        "intake_confirmation",
        MessageType("test", send_time_context=lambda message: {"reference": "ONE-TIME"}),
    )
    message = write(centre)
    assert "ONE-TIME" in render_message(message).subject
    assert "ONE-TIME" not in render_message(message, preview=True).subject


# --- Writing to the outbox ----------------------------------------------------


def test_a_due_message_is_sent_right_after_commit(centre, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        message = write(centre)
        assert mail.outbox == []
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert len(mail.outbox) == 1


def test_a_message_due_later_waits_for_the_sweep(centre, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        write(centre, due_at=timezone.now() + timedelta(days=2))
    assert callbacks == []


def test_the_same_key_writes_one_message(centre, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first = write(centre, key="same")
        second = write(centre, key="same", recipient="other@example.org")
    assert first.pk == second.pk
    assert OutboundMessage.objects.count() == 1
    assert len(callbacks) == 1


def drafts(centre, count, prefix="bulk"):
    return [
        {
            "centre": centre,
            "channel": "email",
            "recipient": f"p{n}@example.org",
            "message_type": "intake_confirmation",
            "about": centre,
            "dedup_key": f"{prefix}:{n}",
            "context": CONFIRMATION,
        }
        for n in range(count)
    ]


def test_bulk_queue_skips_keys_written_before(centre, django_capture_on_commit_callbacks):
    write(centre, key="bulk:1")
    with django_capture_on_commit_callbacks() as callbacks:
        assert queue_messages(drafts(centre, 3)) == 2
    assert OutboundMessage.objects.count() == 3
    assert len(callbacks) == 1  # one sweep for all of them


def assert_bulk_queue_costs_a_few_queries_per_thousand(centre, count, max_num_queries):
    items = drafts(centre, count)
    with max_num_queries(2 + 2 * (count // 1000 + 1)):
        queue_messages(items)
    assert OutboundMessage.objects.count() == count


def test_bulk_queue_of_a_few_costs_four_queries(centre, django_assert_max_num_queries):
    assert_bulk_queue_costs_a_few_queries_per_thousand(centre, 10, django_assert_max_num_queries)


def test_bulk_queue_costs_a_few_queries_per_thousand(
    postgres, centre, django_assert_max_num_queries
):
    # PostgreSQL only: SQLite (make run) caps the values of one INSERT, so
    # Django splits a bulk insert of 1,000 rows into many.
    assert_bulk_queue_costs_a_few_queries_per_thousand(centre, 1500, django_assert_max_num_queries)


# --- Sending ------------------------------------------------------------------


def test_sending_an_email_marks_it_sent_with_reply_to_the_centre(centre):
    message = write(centre)
    assert messaging.send_message(message_id=message.pk) == OutboundMessage.Status.SENT
    [email] = mail.outbox
    assert email.to == ["kari@example.org"]
    assert email.reply_to == [centre.email]
    assert email.extra_headers["Auto-Submitted"] == "auto-generated"
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert message.sent_at is not None and message.claimed_at is None
    assert message.attempts == 1


def test_sending_an_sms_goes_through_the_sms_backend(centre, sms_outbox):
    message = write(centre, channel="sms")
    messaging.send_message(message_id=message.pk)
    assert [item["to"] for item in sms_outbox] == ["+4791234567"]
    assert sms_outbox[0]["text"].startswith("Hei Kari!")
    assert mail.outbox == []


def test_every_try_of_a_row_has_the_same_message_id_and_other_rows_another(centre):
    first = write(centre, key="m1", recipient="kari@example.org")
    other = write(centre, key="m2", recipient="per@example.org")
    # The first try dies mid-send: the sweep takes the row over and sends it again.
    messaging.send_message(message_id=first.pk)
    OutboundMessage.objects.filter(pk=first.pk).update(
        status="sending", claimed_at=timezone.now() - timedelta(hours=1)
    )
    messaging.send_due_messages()
    ids = {}
    for email in mail.outbox:
        ids.setdefault(email.to[0], []).append(email.extra_headers["Message-ID"])
    digest = messaging.delivery_reference(first).rsplit("-", 1)[1]
    assert ids["kari@example.org"] == [f"<selvhjelp-{first.pk}-{digest}@selvhjelp.local>"] * 2
    assert ids["per@example.org"] == [messaging.message_id(other)]
    assert messaging.message_id(other) != messaging.message_id(first)


def test_the_message_id_takes_its_domain_from_the_setting_or_the_sender(centre, settings):
    message = write(centre)
    settings.DEFAULT_FROM_EMAIL = "Arna <post@arna.example.no>"
    assert messaging.message_id(message).endswith("@arna.example.no>")
    settings.MESSAGE_ID_DOMAIN = "selvhjelp.example.no"
    assert messaging.message_id(message).endswith("@selvhjelp.example.no>")


def test_a_row_written_again_with_a_reused_id_gets_another_reference(centre):
    message = write(centre, key="before-restore")
    reference = messaging.delivery_reference(message)
    message.dedup_key = "after-restore"
    assert messaging.delivery_reference(message) != reference
    assert str(message.pk) in reference and "Kari" not in reference


def test_an_sms_carries_the_rows_reference_to_the_gateway(centre, sms_outbox):
    message = write(centre, channel="sms")
    messaging.send_message(message_id=message.pk)
    assert sms_outbox[0]["reference"] == messaging.delivery_reference(message)


def test_sending_the_same_message_twice_sends_it_once(centre):
    message = write(centre)
    messaging.send_message(message_id=message.pk)
    assert messaging.send_message(message_id=message.pk) is None
    assert len(mail.outbox) == 1


def test_a_message_not_yet_due_is_not_sent(centre):
    message = write(centre, due_at=timezone.now() + timedelta(hours=1))
    assert messaging.send_message(message_id=message.pk) is None
    assert mail.outbox == []


def test_a_cancelled_message_is_not_sent(centre):
    message = write(centre)
    OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundMessage.Status.CANCELLED)
    assert messaging.send_message(message_id=message.pk) is None
    assert mail.outbox == []


def test_a_failed_send_waits_longer_before_each_new_try(centre, monkeypatch, time_machine):
    time_machine.move_to("2026-03-02 10:00 +01:00", tick=False)
    monkeypatch.setattr(messaging, "deliver", failing(smtplib.SMTPServerDisconnected("gone")))
    message = write(centre)
    delays = []
    for _attempt in range(3):
        message.refresh_from_db()
        time_machine.move_to(message.due_at, tick=False)
        assert messaging.send_message(message_id=message.pk) == OutboundMessage.Status.PENDING
        message.refresh_from_db()
        delays.append(message.due_at - timezone.now())
    assert delays == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert message.attempts == 3
    assert message.last_error == "SMTPServerDisconnected: gone"
    assert message.claimed_at is None


def test_retries_are_bounded_and_end_in_failed(centre, monkeypatch, settings, time_machine):
    settings.MESSAGES_MAX_ATTEMPTS = 3
    monkeypatch.setattr(messaging, "deliver", failing(ConnectionRefusedError("smtp down")))
    message = write(centre)
    outcomes = []
    for _attempt in range(5):
        message.refresh_from_db()
        time_machine.move_to(message.due_at, tick=False)
        outcomes.append(messaging.send_message(message_id=message.pk))
    assert outcomes == ["pending", "pending", "failed", None, None]
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED
    assert message.attempts == 3
    assert "smtp down" in message.last_error


def test_a_refused_sms_fails_at_once(centre, monkeypatch):
    monkeypatch.setattr(messaging, "deliver", failing(sms.PermanentSmsError("HTTP 400")))
    message = write(centre, channel="sms")
    assert messaging.send_message(message_id=message.pk) == OutboundMessage.Status.FAILED
    message.refresh_from_db()
    assert message.attempts == 1


def test_a_worker_whose_claim_was_taken_over_does_not_overwrite_the_outcome(centre):
    message = write(centre)
    messaging.send_message(message_id=message.pk)
    message.refresh_from_db()
    messaging._finish(
        message, timezone.now() - timedelta(hours=1), status=OutboundMessage.Status.FAILED
    )
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT


# --- The sweep ----------------------------------------------------------------


def test_the_sweep_sends_what_is_due_and_leaves_the_rest(centre):
    due = [write(centre, key=f"due:{n}") for n in range(3)]
    later = write(centre, key="later", due_at=timezone.now() + timedelta(minutes=5))
    assert messaging.send_due_messages() == {"sent": 3}
    assert len(mail.outbox) == 3
    assert {m.status for m in OutboundMessage.objects.filter(pk__in=[m.pk for m in due])} == {
        "sent"
    }
    later.refresh_from_db()
    assert later.status == OutboundMessage.Status.PENDING


def test_the_sweep_sends_a_retry_when_it_falls_due(centre, monkeypatch, time_machine):
    time_machine.move_to("2026-03-02 10:00 +01:00", tick=False)
    monkeypatch.setattr(messaging, "deliver", failing(TimeoutError("smtp slow")))
    message = write(centre)
    messaging.send_due_messages()
    monkeypatch.undo()
    assert messaging.send_due_messages() == {}
    time_machine.move_to("2026-03-02 10:01 +01:00", tick=False)
    assert messaging.send_due_messages() == {"sent": 1}
    message.refresh_from_db()
    assert message.attempts == 2 and message.status == OutboundMessage.Status.SENT


def claim(message, minutes_ago, attempts=1):
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=OutboundMessage.Status.SENDING,
        claimed_at=timezone.now() - timedelta(minutes=minutes_ago),
        attempts=attempts,
    )


def test_the_sweep_takes_over_a_claim_left_by_a_dead_worker(centre):
    message = write(centre)
    claim(message, minutes_ago=11)
    assert messaging.send_due_messages() == {"sent": 1}
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert message.attempts == 2


def test_the_sweep_leaves_a_fresh_claim_alone(centre):
    message = write(centre)
    claim(message, minutes_ago=2)
    assert messaging.send_due_messages() == {}
    assert mail.outbox == []


def test_a_dead_claim_on_the_last_attempt_ends_in_failed_without_sending(centre, settings):
    message = write(centre)
    claim(message, minutes_ago=11, attempts=settings.MESSAGES_MAX_ATTEMPTS)
    assert messaging.send_due_messages() == {"abandoned": 1}
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED
    assert "stopped while sending" in message.last_error
    assert mail.outbox == []


@pytest.mark.parametrize("count", [5, 60])
def test_the_sweep_costs_the_same_few_queries_per_message(
    centre, count, django_assert_max_num_queries
):
    queue_messages(drafts(centre, count))
    # Per message: claim, load, mark sent; per batch: find the due ids.
    with django_assert_max_num_queries(3 * count + 3):
        assert messaging.send_due_messages(batch_size=50) == {"sent": count}


def test_the_sweep_stops_when_its_time_is_up(centre):
    queue_messages(drafts(centre, 5))
    assert messaging.send_due_messages(batch_size=2, time_budget=0) == {"sent": 2}


# --- Staff actions ------------------------------------------------------------


def fail(message):
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=OutboundMessage.Status.FAILED, attempts=5, last_error="SMTPServerDisconnected"
    )


def test_sending_again_resets_a_failed_message_and_sends_it(
    centre, staff, django_capture_on_commit_callbacks
):
    message = write(centre)
    fail(message)
    with django_capture_on_commit_callbacks(execute=True):
        count = messaging.resend_messages(
            messages=OutboundMessage.objects.filter(pk=message.pk), actor=staff
        )
    assert count == 1
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert message.attempts == 1 and message.last_error == ""
    assert len(mail.outbox) == 1


def test_sending_again_leaves_sent_messages_alone(centre, staff):
    message = write(centre)
    messaging.send_message(message_id=message.pk)
    with pytest.raises(messaging.MessageError):
        messaging.resend_messages(
            messages=OutboundMessage.objects.filter(pk=message.pk), actor=staff
        )
    assert len(mail.outbox) == 1


def test_staff_cannot_send_another_centres_messages_again(other_centre, staff):
    message = write(other_centre)
    fail(message)
    with pytest.raises(PermissionDenied):
        messaging.resend_messages(
            messages=OutboundMessage.objects.filter(pk=message.pk), actor=staff
        )


def test_cancelling_stops_a_waiting_message(centre, staff):
    message = write(centre, due_at=timezone.now() + timedelta(hours=1))
    assert (
        messaging.cancel_messages(
            messages=OutboundMessage.objects.filter(pk=message.pk), actor=staff
        )
        == 1
    )
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.CANCELLED


def test_cancelling_a_sent_message_is_refused(centre, staff):
    message = write(centre)
    messaging.send_message(message_id=message.pk)
    with pytest.raises(messaging.MessageError):
        messaging.cancel_messages(
            messages=OutboundMessage.objects.filter(pk=message.pk), actor=staff
        )


# --- Privacy ------------------------------------------------------------------

MARKER = "HELSEMARKØR-7731"


def test_no_health_details_reach_any_message_or_log(
    centre, sms_outbox, caplog, django_capture_on_commit_callbacks
):
    from intake.models import Theme
    from intake.services import submit_intake

    theme = Theme.objects.create(name=f"Tema {MARKER}")
    common = {
        "centre": centre,
        "name": "Kari Nordmann",
        "birth_year": 1980,
        "confirmed_adult": True,
        "applying_for_self": True,
        "consent_given": True,
        "themes": [theme],
        "about": f"Jeg har {MARKER} og vil gjerne møte andre.",
    }
    with caplog.at_level("DEBUG"), django_capture_on_commit_callbacks(execute=True):
        submit_intake(**common, email="kari@example.org", contact_by="email")
        submit_intake(**common, phone="+4791234567", contact_by="sms")
    rows = list(OutboundMessage.objects.values())
    assert len(rows) == 2 and {row["status"] for row in rows} == {"sent"}
    assert MARKER not in str(rows)
    assert len(mail.outbox) == 1 and len(sms_outbox) == 1
    assert MARKER not in str([(m.subject, m.body) for m in mail.outbox])
    assert MARKER not in str(sms_outbox)
    assert MARKER not in caplog.text
    assert all(MARKER not in str(record.args) for record in caplog.records)


def submit_kari(centre):
    """A valid interest form by email through the real service."""
    from intake.services import submit_intake

    return submit_intake(
        centre=centre,
        name="Kari",
        birth_year=1980,
        confirmed_adult=True,
        applying_for_self=True,
        consent_given=True,
        email="kari@example.org",
    )


def test_a_failure_after_the_outbox_write_rolls_back_both_and_sends_nothing(
    centre, django_capture_on_commit_callbacks
):
    """The confirmation is written inside the intake's transaction: if that
    transaction fails after the outbox row, neither is kept and nothing goes out."""
    from django.db import transaction

    from intake.models import Intake

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        submit_kari(centre)
        assert OutboundMessage.objects.count() == 1
        raise RuntimeError("a later step of the same request failed")

    assert callbacks == []
    assert not Intake.objects.exists()
    assert not OutboundMessage.objects.exists()
    assert mail.outbox == []


def test_an_intake_submitted_in_a_test_transaction_sends_nothing(centre):
    """Other apps' tests call submit_intake without running commit callbacks."""
    submit_kari(centre)
    assert OutboundMessage.objects.get().status == OutboundMessage.Status.PENDING
    assert mail.outbox == []


def test_every_message_type_has_its_email_templates():
    from django.template.loader import get_template

    for name in messaging.MESSAGE_TYPES:
        get_template(f"messages/{name}.subject.txt")
        get_template(f"messages/{name}.txt")
