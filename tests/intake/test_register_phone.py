"""Staff register a person who phoned: the same form, consent by phone, the usual receipt."""

import pytest

from intake.models import Intake
from selvhjelp.models import OutboundMessage
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/admin/intake/intake/telefon/"


def phone_data(centre, **changes):
    data = factories.intake_form_data(centre, **changes)
    data.pop("website", None)
    return data


def test_the_list_links_to_the_phone_form(staff_client):
    assert URL in staff_client.get("/admin/intake/intake/").content.decode()


def test_staff_register_a_person_who_phoned(staff_client, staff, centre):
    assert staff_client.get(URL).status_code == 200
    response = staff_client.post(URL, phone_data(centre, contact_by="sms"))

    intake = Intake.objects.get()
    assert response.status_code == 302
    assert response.url == f"/admin/intake/intake/{intake.pk}/change/"
    assert intake.source == Intake.Source.PHONE
    assert intake.consent_taken_by == staff and intake.consent_given_at
    receipt = OutboundMessage.objects.get(message_type="intake_confirmation")
    assert receipt.channel == "sms" and receipt.recipient == "+4791234567"


def test_the_public_rate_limit_does_not_apply_to_staff(staff_client, centre, settings):
    settings.INTAKE_RATE_LIMIT = 1
    for number in range(3):
        staff_client.post(URL, phone_data(centre, name=f"Person {number}", submission_key=None))
    assert Intake.objects.count() == 3


def test_consent_must_be_recorded(staff_client, centre):
    response = staff_client.post(URL, phone_data(centre, consent=None))
    assert response.status_code == 200 and not Intake.objects.exists()


def test_only_the_staffs_centres_are_offered(staff_client, other_centre):
    response = staff_client.post(URL, phone_data(other_centre))
    assert response.status_code == 200 and not Intake.objects.exists()


def test_anonymous_cannot_register(client, centre):
    assert client.post(URL, phone_data(centre)).status_code == 302
    assert not Intake.objects.exists()


def test_web_forms_are_marked_as_such(client, intake_form_data):
    client.post("/meld-interesse/", intake_form_data)
    assert Intake.objects.get().source == Intake.Source.WEB


def test_sms_without_a_number_says_sms(client, intake_form_data):
    response = client.post(
        "/meld-interesse/", {**intake_form_data, "contact_by": "sms", "phone": ""}
    )
    html = response.content.decode()
    assert "SMS" in html and "kontaktet på telefon" not in html
