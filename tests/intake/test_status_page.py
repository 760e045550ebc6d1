"""The person's own status page ("Hvor står jeg?"), reached by the link in their receipt."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from intake import status
from intake.models import ContactAttempt, Intake, Slot
from selvhjelp import messaging
from selvhjelp.models import OutboundMessage
from tests.factories import IntakeFactory

LINK = re.compile(r"http://testserver(/meld-interesse/status/[^/\s]+/)")


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def submitted(client, intake_form_data):
    """A form sent through the real page, its receipt emailed by the outbox sweep."""
    client.post("/meld-interesse/", {**intake_form_data, "contact_by": "email"})
    messaging.send_due_messages()
    return Intake.objects.get()


@pytest.fixture
def link(submitted):
    [email] = mail.outbox
    return LINK.search(email.body).group(1)


def url_of(intake):
    return reverse("intake:status", kwargs={"token": status.status_token(intake)})


def test_the_receipt_links_to_the_status_page_made_only_when_sent(submitted, link):
    [email] = mail.outbox
    assert "Se hvor interessemeldingen din står" in email.body
    assert "status" not in str(OutboundMessage.objects.get().context)
    assert status.intake_for_status(link.rstrip("/").rsplit("/", 1)[1]) == submitted
    # The link names neither the form's id nor its reference.
    assert submitted.reference not in link and f"/{submitted.pk}:" not in link


def test_the_sms_receipt_carries_the_status_link(centre):
    intake = IntakeFactory(centre=centre, phone="+4791234567", email="", contact_by="sms")
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
    assert f"http://testserver{url_of(intake)}" in body
    assert "/meld-interesse/trekk/" in body


def test_the_page_shows_the_stage_the_next_step_and_the_centre_never_health(
    client, submitted, link
):
    response = client.get(link)
    html = response.content.decode()

    assert response.status_code == 200
    assert "Hvor står jeg?" in html
    assert submitted.reference in html and submitted.centre.name in html
    assert 'aria-current="step">Mottatt' in html
    assert "via e-post" in html
    # Never what the form said about the person's problems.
    assert "snakke med andre" not in html
    for theme in submitted.themes.all():
        assert theme.name not in html
    assert response["Cache-Control"].startswith("max-age=0")
    assert 'name="robots" content="noindex"' in html
    # The open form can still be withdrawn from here.
    assert "/meld-interesse/trekk/" in html


def test_the_promised_day_counts_working_days_past_weekends_and_holidays(centre):
    centre.usual_response_days = 5
    # Wednesday 24 March 2027: Maundy Thursday, Good Friday and Easter Monday are holidays.
    with time_machine.travel(datetime.datetime(2027, 3, 24, 12, tzinfo=datetime.UTC)):
        intake = IntakeFactory(centre=centre, created_at=timezone.now())
    assert status.contact_by_date(intake) == datetime.date(2027, 4, 5)


@pytest.mark.parametrize(
    ("value", "stage"),
    [(Intake.Status.CONTACTED, "Kontaktet"), (Intake.Status.WAITING, "Venter på en gruppe")],
)
def test_the_stage_follows_the_status(client, centre, value, stage):
    intake = IntakeFactory(centre=centre, status=value)
    html = client.get(url_of(intake)).content.decode()
    assert f'aria-current="step">{stage}' in html


@pytest.mark.parametrize(
    "token",
    ["nonsense", "1:abc:def", "a" * 500, "%00", "WRW6FY"],
)
def test_a_wrong_link_answers_404(client, token):
    assert client.get(f"/meld-interesse/status/{token}/").status_code == 404


def test_a_tampered_link_answers_404(client, intake):
    token = status.status_token(intake)
    assert client.get(f"/meld-interesse/status/{token[:-1]}x/").status_code == 404


def test_an_old_link_answers_404(client, intake, settings):
    url = url_of(intake)
    later = timezone.now() + datetime.timedelta(days=settings.STATUS_LINK_MAX_AGE_DAYS + 1)
    with time_machine.travel(later):
        assert client.get(url).status_code == 404


@pytest.mark.parametrize("value", [Intake.Status.WITHDRAWN, Intake.Status.CLOSED])
def test_an_ended_form_has_no_status_page(client, centre, value):
    intake = IntakeFactory(centre=centre, status=value)
    assert client.get(url_of(intake)).status_code == 404


def test_an_anonymised_person_has_no_status_page(client, intake):
    url = url_of(intake)
    Intake.objects.filter(pk=intake.pk).update(anonymised_at=timezone.now())
    assert client.get(url).status_code == 404


def test_the_person_changes_phone_and_times_and_staff_see_what_changed(client, intake):
    tuesday, thursday = (Slot.objects.get(weekday=d, part="evening") for d in (1, 3))
    intake.availability.set([tuesday])
    response = client.post(
        url_of(intake),
        {
            "phone": "934 56 789",
            "email": intake.email,
            "contact_by": "sms",
            "availability": [str(thursday.pk)],
        },
    )
    assert response.status_code == 302
    intake.refresh_from_db()
    assert str(intake.phone) == "+4793456789"
    assert intake.contact_by == "sms"
    assert list(intake.availability.all()) == [thursday]
    note = ContactAttempt.objects.get(intake=intake)
    assert note.kind == ContactAttempt.Kind.NOTE and note.by is None
    assert "mobilnummer" in note.note and "tider" in note.note
    # The note names what changed, never the values.
    assert "93456789" not in note.note and "934 56 789" not in note.note
    page = client.get(response["Location"]).content.decode()
    assert "Takk. Senteret ser endringene dine." in page


def test_saving_without_changes_writes_nothing(client, centre):
    intake = IntakeFactory(centre=centre, contact_by="email")
    response = client.post(
        url_of(intake), {"phone": "", "email": intake.email, "contact_by": "email"}
    )
    assert response.status_code == 302
    assert not ContactAttempt.objects.filter(intake=intake).exists()


def test_a_bad_number_is_refused_next_to_the_field_and_nothing_is_saved(client, intake):
    response = client.post(
        url_of(intake),
        {"phone": "12", "email": intake.email, "contact_by": "email", "availability": []},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Skriv et norsk mobilnummer" in html
    assert 'id="id_phone_error"' in html
    intake.refresh_from_db()
    assert not intake.phone


def test_removing_the_only_way_to_reach_the_person_is_refused(client, intake):
    response = client.post(url_of(intake), {"phone": "", "email": "", "contact_by": "email"})
    assert response.status_code == 400
    intake.refresh_from_db()
    assert intake.email


def test_the_page_costs_a_fixed_number_of_queries(client, centre, django_assert_max_num_queries):
    intake = IntakeFactory(centre=centre, availability=list(Slot.objects.all()[:10]))
    with django_assert_max_num_queries(6):
        assert client.get(url_of(intake)).status_code == 200
