"""The personal link in the receipt where a person withdraws their interest."""

import re

import pytest
import time_machine
from django.core import mail
from django.urls import resolve
from django.utils import timezone

from intake import retention
from intake.models import Intake
from selvhjelp import messaging
from selvhjelp.models import OutboundMessage
from tests.factories import CentreFactory, IntakeFactory

LINK = re.compile(r"http://testserver(/meld-interesse/trekk/[^/\s]+/)")


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def submitted(client, intake_form_data):
    """A form sent through the real page, its receipt emailed by the outbox sweep."""
    data = {**intake_form_data, "contact_by": "email"}
    client.post("/meld-interesse/", data)
    messaging.send_due_messages()
    return Intake.objects.get()


@pytest.fixture
def link(submitted):
    [email] = mail.outbox
    return LINK.search(email.body).group(1)


def test_the_receipt_carries_a_personal_link_naming_only_the_form(submitted, link):
    [email] = mail.outbox
    assert "trekke interessemeldingen selv" in email.body
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert retention.read_withdrawal_token(token) == submitted.pk
    assert "kari" not in link.lower() and submitted.reference not in link
    # The link is made when sending: the outbox row does not hold it.
    assert "trekk" not in str(OutboundMessage.objects.get().context)


def test_the_sms_receipt_carries_the_link_too(centre, settings):
    intake = IntakeFactory(centre=centre, phone="+4791234567", email="")
    message = messaging.queue_message(
        centre=centre,
        channel="sms",
        recipient=str(intake.phone),
        message_type="intake_confirmation",
        about=intake,
        dedup_key="sms-receipt",
        context={
            "first_name": "Kari",
            "reference": intake.reference,
            "centre": centre.name,
            "response_days": 5,
        },
    )
    body = messaging.render_message(message).body
    assert "Vil du trekke deg? http://testserver/meld-interesse/trekk/" in body
    assert "trekk" not in messaging.render_message(message, preview=True).body


def test_opening_the_link_asks_and_changes_nothing(client, submitted, link):
    response = client.get(link)
    html = response.content.decode()

    assert response.status_code == 200
    assert "Trekk interessemeldingen min" in html
    assert submitted.reference in html and submitted.centre.name in html
    assert "Kari" not in html and "snakke med andre" not in html
    assert Intake.objects.get().status == Intake.Status.NEW
    assert response["Cache-Control"].startswith("max-age=0")


def test_pressing_the_button_withdraws_once_and_schedules_deletion(
    client, submitted, link, settings
):
    settings.WITHDRAWAL_DELETE_AFTER_DAYS = 7
    response = client.post(link, follow=True)

    intake = Intake.objects.get()
    assert intake.status == Intake.Status.WITHDRAWN
    change = intake.status_changes.last()
    assert change.changed_by is None and "personen selv" in change.reason
    assert (intake.delete_after - timezone.now()).days == 6  # 7 days less a moment
    assert "Interessemeldingen din er trukket tilbake" in response.content.decode()

    # A second press (or a mail scanner replaying it) changes nothing.
    client.post(link)
    assert intake.status_changes.count() == 2
    assert Intake.objects.get().delete_after == intake.delete_after


def test_a_form_already_placed_or_closed_cannot_be_withdrawn_by_link(client, submitted, link):
    Intake.objects.filter(pk=submitted.pk).update(status=Intake.Status.PLACED)
    response = client.post(link, follow=True)
    assert "Du er med i en gruppe nå" in response.content.decode()
    assert Intake.objects.get().status == Intake.Status.PLACED


def test_a_deleted_form_gets_a_kind_page(client, submitted, link):
    Intake.objects.all().delete()
    for method in (client.get, client.post):
        response = method(link)
        assert response.status_code == 200
        assert "Skjemaet er ikke lagret lenger" in response.content.decode()


@pytest.mark.parametrize("broken", ["nothing", "123:abc:def", "123", "-1:x"])
def test_a_broken_link_gets_a_kind_page(client, db, broken):
    for method in (client.get, client.post):
        response = method(f"/meld-interesse/trekk/{broken}/")
        assert response.status_code == 404
        assert "Denne lenken virker ikke" in response.content.decode()


def test_a_tampered_link_naming_another_form_is_refused(client, submitted, link):
    other = IntakeFactory(centre=submitted.centre)
    forged = link.replace(submitted.withdrawal_key.hex, other.withdrawal_key.hex)
    assert forged != link
    assert client.post(forged).status_code == 404
    assert Intake.objects.get(pk=other.pk).status == Intake.Status.NEW


def test_an_expired_link_explains_itself(client, submitted, link, settings):
    settings.WITHDRAWAL_LINK_MAX_AGE_DAYS = 30
    with time_machine.travel(timezone.now() + timezone.timedelta(days=31)):
        response = client.post(link)
    assert response.status_code == 404
    assert "Lenken er for gammel" in response.content.decode()
    assert Intake.objects.get().status == Intake.Status.NEW


def test_the_link_never_clashes_with_a_centre_called_trekk_or_takk(db):
    CentreFactory(slug="trekk")
    assert resolve("/meld-interesse/trekk/1:a:b/").url_name == "withdraw"
    assert resolve("/meld-interesse/trekk/").url_name == "create-for-centre"
    assert resolve("/meld-interesse/takk/").url_name == "done"


# --- An opaque key, not the form's id ------------------------------------------------


def test_the_link_names_a_random_key_not_the_forms_id(db, centre):
    first, second = IntakeFactory(centre=centre), IntakeFactory(centre=centre)
    for intake in (first, second):
        token = retention.withdrawal_token(intake.pk)
        value = token.split(":")[0]
        assert value == intake.withdrawal_key.hex
        assert str(intake.pk) not in value
        assert retention.read_withdrawal_token(token) == intake.pk
    assert first.withdrawal_key != second.withdrawal_key


def test_a_link_sent_before_the_key_still_withdraws(client, submitted):
    from django.core import signing

    old_link = signing.TimestampSigner(salt=retention.WITHDRAWAL_SALT).sign(str(submitted.pk))
    response = client.post(f"/meld-interesse/trekk/{old_link}/", follow=True)
    assert response.status_code == 200
    submitted.refresh_from_db()
    assert submitted.status == Intake.Status.WITHDRAWN


def test_a_signed_key_of_no_form_gets_the_kind_page(client, db):
    from django.core import signing

    token = signing.TimestampSigner(salt=retention.WITHDRAWAL_SALT).sign("ab" * 16)
    response = client.get(f"/meld-interesse/trekk/{token}/")
    assert response.status_code == 200
    assert response.context["intake"] is None
