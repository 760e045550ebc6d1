"""Staff of two centres may move a person between them, but not while the person is in a group.

Every member of a group belongs to the group's centre (DESIGN.md), so the
move is refused by the service and shown next to the field in the admin.
"""

import pytest

from groups.models import Membership
from intake import services
from intake.models import Intake, IntakeError
from tests.factories import CentreFactory
from tests.groups.conftest import (  # noqa: F401 - fixtures
    form,
    frame,
    group,
    make_person,
    people,
    reference_data,
    today,
)
from tests.intake.test_admin_change import change_url, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_centre(staff):
    centre = CentreFactory(name="Åsane frivilligsentral", slug="asane")
    staff.staff_memberships.create(centre=centre)
    return centre


@pytest.fixture
def member(group):  # noqa: F811
    return Membership.objects.filter(group=group).select_related("intake").first().intake


def test_a_member_of_a_group_cannot_be_moved_to_another_centre(member, second_centre, staff):
    old_centre = member.centre
    member.centre = second_centre

    with pytest.raises(IntakeError, match="er med i en gruppe"):
        services.update_intake_details(intake=member, fields=["centre"], actor=staff)

    assert Intake.objects.get(pk=member.pk).centre == old_centre


def test_a_former_member_may_be_moved(member, second_centre, staff):
    Membership.objects.filter(intake=member).update(
        left_on=member.created_at.date(), left_reason="Flyttet"
    )
    member.centre = second_centre

    services.update_intake_details(intake=member, fields=["centre"], actor=staff)

    assert Intake.objects.get(pk=member.pk).centre == second_centre


def test_the_admin_says_why_next_to_the_centre_field(staff_client, member, second_centre):
    data = {**form_data(staff_client, member), "centre": str(second_centre.pk)}

    response = staff_client.post(change_url(member), data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "er med i en gruppe" in errors["centre"][0]
    assert Intake.objects.get(pk=member.pk).centre != second_centre
