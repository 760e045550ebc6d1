"""Near-duplicates are flagged to staff on both forms and merged keeping both histories."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from intake import selectors, services
from intake.models import ContactAttempt, Intake, IntakeError, Slot
from tests.factories import IntakeFactory

pytestmark = pytest.mark.django_db


def change(intake):
    return f"/admin/intake/intake/{intake.pk}/change/"


@pytest.fixture
def pair(centre):
    first = IntakeFactory(centre=centre, name="Kari Nordmann", birth_year=1970, email="a@x.no")
    second = IntakeFactory(centre=centre, name="kari nordmann", birth_year=1970, email="b@x.no")
    return first, second


def test_same_name_and_birth_year_is_flagged_on_both(pair, staff_client):
    first, second = pair
    assert selectors.near_duplicates(first) == [second]
    assert selectors.near_duplicates(second) == [first]
    html = staff_client.get(change(first)).content.decode()
    assert f"/admin/intake/intake/{first.pk}/merge/{second.pk}/" in html


@pytest.mark.parametrize("field,value", [("phone", "+4791234567"), ("email", "same@x.no")])
def test_the_same_phone_or_email_is_flagged(centre, field, value):
    a = IntakeFactory(centre=centre, name="A B", **{field: value})
    b = IntakeFactory(centre=centre, name="C D", birth_year=1990, **{field: value})
    assert selectors.near_duplicates(a) == [b]


def test_not_flagged_after_90_days_or_at_another_centre(centre, other_centre):
    a = IntakeFactory(centre=centre, name="Kari Nordmann")
    old = IntakeFactory(centre=centre, name="Kari Nordmann")
    Intake.objects.filter(pk=old.pk).update(created_at=a.created_at - datetime.timedelta(days=91))
    IntakeFactory(centre=other_centre, name="Kari Nordmann")
    assert selectors.near_duplicates(a) == []


def test_merge_keeps_both_histories(pair, staff, staff_client):
    first, second = pair
    ContactAttempt.objects.create(intake=second, kind="no_answer", note="Ringte", by=staff)
    second.availability.set([Slot.objects.get(weekday=2, part="evening")])
    url = f"/admin/intake/intake/{first.pk}/merge/{second.pk}/"

    assert staff_client.get(url).status_code == 200
    assert staff_client.post(url).status_code == 302

    second.refresh_from_db()
    assert second.merged_into == first and second.status == Intake.Status.CLOSED
    assert second.contact_attempts.get().note == "Ringte"  # its own history stays
    assert second.status_changes.filter(to_status="closed").exists()
    assert first.contact_attempts.filter(kind="note").exists()
    assert list(first.availability.all()) == list(second.availability.all())
    assert selectors.near_duplicates(first) == []
    html = staff_client.get(change(first)).content.decode()
    assert change(second) in html


def test_a_form_in_a_group_is_not_merged_away(pair, staff):
    first, second = pair
    Intake.objects.filter(pk=second.pk).update(status=Intake.Status.PLACED)
    with pytest.raises(IntakeError):
        services.merge_intakes(keep=first, duplicate=second, actor=staff)


def test_staff_of_another_centre_cannot_merge(pair, other_centre_staff, other_staff_client):
    first, second = pair
    with pytest.raises(PermissionDenied):
        services.merge_intakes(keep=first, duplicate=second, actor=other_centre_staff)
    url = f"/admin/intake/intake/{first.pk}/merge/{second.pk}/"
    assert other_staff_client.post(url).status_code == 404
    second.refresh_from_db()
    assert second.merged_into is None
