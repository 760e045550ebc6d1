"""The same form sent twice within 24 hours (Back, then send again): one form, one receipt."""

import datetime
import uuid

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from intake.models import Intake
from intake.services import identical_submission
from selvhjelp.models import OutboundMessage

URL = "/meld-interesse/"
DONE = "/meld-interesse/takk/"


def send_again(client, data, **changes):
    """The form page reloaded after Back: a new submission key, the same answers."""
    return client.post(URL, {**data, "submission_key": str(uuid.uuid4()), **changes}, follow=True)


@pytest.fixture
def first(client, intake_form_data):
    client.post(URL, intake_form_data)
    return Intake.objects.get()


def test_back_and_send_again_returns_the_first_receipt(client, intake_form_data, first):
    html = send_again(client, intake_form_data).content.decode()

    assert first.reference in html
    assert Intake.objects.count() == 1
    assert OutboundMessage.objects.count() == 1


def test_same_answers_from_another_browser_return_the_first_form(intake_form_data, first):
    from django.test import Client

    send_again(Client(), intake_form_data, name="  kari   NORDMANN ")
    assert Intake.objects.count() == 1
    assert OutboundMessage.objects.count() == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"email": "kari.n@example.org"},
        {"phone": "913 34 567"},
        {"birth_year": "1986"},
        {"name": "Kari Hansen"},
    ],
)
def test_other_contact_details_or_person_make_a_new_form(client, intake_form_data, first, changes):
    send_again(client, intake_form_data, **changes)
    assert Intake.objects.count() == 2
    assert OutboundMessage.objects.count() == 2


def test_another_centre_makes_a_new_form(client, intake_form_data, first, other_centre):
    send_again(client, intake_form_data, centre=str(other_centre.pk))
    assert Intake.objects.count() == 2


def test_after_24_hours_the_same_answers_make_a_new_form(client, intake_form_data, first):
    with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=25)):
        send_again(client, intake_form_data)
    assert Intake.objects.count() == 2


def test_the_check_costs_one_query(first):
    centre = first.centre
    with CaptureQueriesContext(connection) as queries:
        found = identical_submission(centre, first.name, first.birth_year, first.email, first.phone)
    assert found == first
    assert len(queries.captured_queries) == 1
