"""The stop link in optional messages: the page, the button, and the outbox respecting it."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.test import Client

from selvhjelp import messaging
from selvhjelp.messaging import MessageType, queue_message
from selvhjelp.models import MessageOptOut, OutboundMessage
from tests.factories import IntakeFactory

pytestmark = pytest.mark.django_db

REMINDER = "group_first_meeting_reminder"
CONTEXT = {
    "first_name": "Kari",
    "group": "Tirsdagsgruppa",
    "centre": "Arna frivilligsentral",
    "place": "Møterom 2",
    "meeting_at": "2027-01-19T18:00:00+01:00",
}


def write(about, *, message_type=REMINDER, key="reminder-1"):
    return queue_message(
        centre=about.centre,
        channel="email",
        recipient="kari@example.org",
        message_type=message_type,
        about=about,
        dedup_key=key,
        context=CONTEXT,
    )


@pytest.fixture
def reminder(intake):
    return write(intake)


@pytest.fixture
def stop_path(reminder):
    return messaging.stop_url(reminder).removeprefix(messaging.settings.SITE_URL)


def opt_outs():
    return MessageOptOut.objects.all()


def main(response):
    """The page's main landmark only (the footer has a language form of its own)."""
    return response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]


# --- The page --------------------------------------------------------------------------


def test_opening_the_link_shows_what_would_stop_and_changes_nothing(client, stop_path):
    response = client.get(stop_path)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Stopp påminnelser</h1>" in html
    assert "Påminnelse før ditt første møte i en gruppe" in html
    assert '<button type="submit"' in html and 'method="post"' in html
    assert not opt_outs().exists()


def test_the_button_stops_them_and_the_page_then_says_so(client, stop_path, reminder):
    response = client.post(stop_path, follow=True)

    html = response.content.decode()
    assert response.redirect_chain == [(stop_path, 302)]
    assert "<h1>Påminnelsene er stoppet</h1>" in html
    assert "Ferdig: Disse påminnelsene er stoppet." in html
    assert "<button" not in main(response)
    stopped = opt_outs().get()
    assert (stopped.content_type_id, stopped.object_id, stopped.message_type) == (
        reminder.content_type_id,
        reminder.object_id,
        REMINDER,
    )


def test_an_already_stopped_link_says_so_and_stopping_again_changes_nothing(client, stop_path):
    client.post(stop_path, follow=True)

    response = client.get(stop_path)
    assert "<h1>Påminnelsene er stoppet</h1>" in main(response)
    assert "Ferdig:" not in main(response)
    assert "<form" not in main(response)

    client.post(stop_path)
    assert opt_outs().count() == 1


def test_a_tampered_link_shows_a_norwegian_error_and_no_button(client, stop_path):
    response = client.get(stop_path[:-4] + "xyz/")

    html = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Denne lenken virker ikke</h1>" in html
    assert "<form" not in main(response)


def test_posting_a_tampered_link_stops_nothing(client, stop_path):
    response = client.post(stop_path[:-4] + "xyz/")

    assert response.status_code == 404
    assert not opt_outs().exists()


def test_a_link_for_a_message_that_cannot_be_stopped_is_refused(client, intake):
    receipt = write(intake, message_type="intake_confirmation", key="receipt")
    path = "/stopp/" + messaging.stop_token(receipt) + "/"

    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404
    assert not opt_outs().exists()


def test_a_post_without_the_pages_form_token_is_refused(stop_path):
    # A link scanner or another site cannot stop anything on the person's behalf.
    response = Client(enforce_csrf_checks=True).post(stop_path)

    assert response.status_code == 403
    assert not opt_outs().exists()


def test_the_page_shows_nothing_about_the_person_the_group_or_the_centre(client, stop_path):
    for response in (client.get(stop_path), client.post(stop_path, follow=True)):
        for private in ("Kari", "Nordmann", "Tirsdagsgruppa", "Arna", "Møterom"):
            assert private not in main(response)


def test_the_page_is_never_cached_nor_indexed(client, stop_path):
    response = client.get(stop_path)

    assert "no-store" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex">' in response.content.decode()


# --- The outbox respects it --------------------------------------------------------------


def test_a_waiting_reminder_is_not_sent_once_stopped(client, stop_path, reminder):
    client.post(stop_path)

    assert messaging.send_message(message_id=reminder.pk) == OutboundMessage.Status.CANCELLED
    reminder.refresh_from_db()
    assert reminder.status == OutboundMessage.Status.CANCELLED
    assert "stopped" in reminder.last_error
    assert mail.outbox == []


def test_the_sweep_cancels_a_waiting_reminder_once_stopped(client, stop_path, monkeypatch):
    client.post(stop_path)
    monkeypatch.setitem(messaging.MESSAGE_TYPES, REMINDER, MessageType("test", optional=True))

    assert messaging.send_due_messages() == {"cancelled": 1}
    assert mail.outbox == []


def test_stopping_one_kind_about_one_thing_leaves_the_others(
    client, stop_path, centre, monkeypatch
):
    client.post(stop_path)
    # Without its check that the meeting is still ahead (there is none here).
    monkeypatch.setitem(messaging.MESSAGE_TYPES, REMINDER, MessageType("test", optional=True))
    other_about = write(IntakeFactory(centre=centre), key="reminder-about-another-thing")

    assert messaging.send_message(message_id=other_about.pk) == OutboundMessage.Status.SENT


def test_a_message_that_is_no_longer_relevant_is_cancelled_not_sent(intake, monkeypatch):
    monkeypatch.setitem(
        messaging.MESSAGE_TYPES,
        "intake_confirmation",
        MessageType("test", still_relevant=lambda messages: set()),
    )
    message = write(intake, message_type="intake_confirmation", key="stale")

    assert messaging.send_message(message_id=message.pk) == OutboundMessage.Status.CANCELLED
    assert mail.outbox == []


def test_opted_out_ids_finds_only_that_kind_about_those_objects(intake, centre):
    content_type = ContentType.objects.get_for_model(intake)
    MessageOptOut.objects.create(
        content_type=content_type, object_id=intake.pk, message_type=REMINDER
    )

    assert messaging.opted_out_ids(type(intake), REMINDER, [intake.pk, intake.pk + 1]) == {
        intake.pk
    }
    assert messaging.opted_out_ids(type(intake), "other", [intake.pk]) == set()
