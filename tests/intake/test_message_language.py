"""Messages go out in the language the person used on the form (issue 18).

The interest form stores the page's language on the intake; every message to
that person is written in it, whatever language is active when it is queued
or sent. Facilitators and staff, who have no language, get bokmål.
"""

import pytest
from django.core import mail
from django.utils import translation

from facilitators.services import send_password_link
from intake.models import Intake
from selvhjelp import messaging, sms
from selvhjelp.models import OutboundMessage

pytestmark = pytest.mark.django_db

URL = "/meld-interesse/"


@pytest.fixture
def sms_outbox(settings):
    settings.SMS_BACKEND = "selvhjelp.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def send_form(client, settings, data, language=None):
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.post(URL, data)
    assert response.status_code == 302, response.content[:2000]
    return Intake.objects.get()


def sent(message):
    assert messaging.send_message(message_id=message.pk) == OutboundMessage.Status.SENT


def test_a_form_sent_in_nynorsk_gets_its_email_receipt_in_nynorsk(
    client, settings, intake_form_data
):
    intake = send_form(client, settings, {**intake_form_data, "contact_by": "email"}, "nn")

    assert intake.language == "nn"
    message = OutboundMessage.objects.get()
    assert message.language == "nn"
    # Sent by a worker with no request and another language active.
    with translation.override("en"):
        sent(message)
    [email] = mail.outbox
    assert email.subject == f"Vi har fått interessemeldinga di ({intake.reference})"
    assert email.body.startswith("Hei Kari,\n\nTakk for interessemeldinga di.")
    assert "Vi tek vanlegvis kontakt innan" in email.body
    assert "Ei sjølvhjelpsgruppe kan ikkje hjelpe i ei akutt krise." in email.body
    assert email.body.rstrip().endswith("Venleg helsing\nArna frivilligsentral")
    assert "interessemeldingen" not in email.body and "ikke" not in email.body


def test_a_form_sent_in_nynorsk_gets_its_sms_receipt_in_nynorsk(
    client, settings, intake_form_data, sms_outbox
):
    intake = send_form(client, settings, intake_form_data, "nn")

    sent(OutboundMessage.objects.get())
    [text] = sms_outbox
    assert text["text"].startswith(
        f"Hei Kari! Arna frivilligsentral har fått interessemeldinga di. "
        f"Referanse: {intake.reference}. Vi tek vanlegvis kontakt innan"
    )


def test_a_form_sent_in_english_gets_its_receipt_in_english(client, settings, intake_form_data):
    intake = send_form(client, settings, {**intake_form_data, "contact_by": "email"}, "en")

    assert intake.language == "en"
    sent(OutboundMessage.objects.get())
    [email] = mail.outbox
    assert email.subject == f"We have received your interest form ({intake.reference})"
    assert email.body.startswith("Hello Kari,\n\nThank you for your interest form.")
    assert email.body.rstrip().endswith("Best regards,\nArna frivilligsentral")


def test_a_form_sent_without_a_language_choice_is_bokmaal(client, settings, intake_form_data):
    intake = send_form(client, settings, {**intake_form_data, "contact_by": "email"})

    assert intake.language == "nb"
    with translation.override("nn"):
        sent(OutboundMessage.objects.get())
    [email] = mail.outbox
    assert email.subject == f"Vi har fått interessemeldingen din ({intake.reference})"


def test_facilitators_get_bokmaal_whatever_language_is_active(facilitator):
    with translation.override("nn"):
        message = send_password_link(facilitator=facilitator, purpose="invitation")
        rendered = messaging.render_message(message, preview=True)

    assert message.language == "nb"
    assert rendered.subject == "Velkommen som igangsetter: velg passordet ditt"


def test_a_language_the_portal_does_not_offer_falls_back_to_bokmaal(intake):
    intake.language = "de"
    assert messaging.recipient_language(intake) == "nb"
    assert messaging.recipient_language(object()) == "nb"
    intake.language = "nn"
    assert messaging.recipient_language(intake) == "nn"
