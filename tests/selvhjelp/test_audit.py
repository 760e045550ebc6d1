"""The audit log: who changed or opened people's data, when and what.

Changes go through the real services with auditlog's actor set as its
middleware sets it for a request; reads go through the admin pages.
"""

import datetime

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry as AuditEntry
from django.contrib.contenttypes.models import ContentType

from facilitators import services as facilitator_services
from facilitators.models import Facilitator, FollowUp
from groups import services as group_services
from groups.models import Group, Membership
from intake import services as intake_services
from intake.models import Intake, Slot, Theme
from selvhjelp.audit import MASK, audit_log_url

# The facilitator tests' clock and groups formed through the real service.
from tests.facilitators.conftest import NOW, clock, group, make_group  # noqa: F401
from tests.factories import IntakeFactory

Status = Intake.Status

# `group` and `clock` below are those fixtures (hence noqa: F811).
pytestmark = pytest.mark.django_db
SECRET_WORDS = "sovner ikke etter skilsmissen"


def entries(obj, action=None):
    content_type = ContentType.objects.get_for_model(obj)
    found = AuditEntry.objects.filter(content_type=content_type, object_pk=str(obj.pk))
    return found.filter(action=action) if action is not None else found


def test_a_change_of_an_intake_is_recorded_with_who_when_and_what(intake, staff):
    intake.phone = "+4791234567"
    with set_actor(staff):
        intake_services.update_intake_details(intake=intake, fields=["phone"], actor=staff)

    entry = entries(intake, AuditEntry.Action.UPDATE).latest("timestamp")
    assert entry.actor == staff
    assert entry.timestamp is not None
    assert entry.changes_dict["phone"][1] == "+4791234567"


def test_what_the_person_wrote_and_chose_is_kept_out_of_the_record(centre):
    theme = Theme.objects.create(name="Tema skilsmissen")
    intake = IntakeFactory(centre=centre, about=SECRET_WORDS)
    intake.themes.add(theme)
    intake.availability.add(Slot.objects.first())

    entry = entries(intake, AuditEntry.Action.CREATE).get()
    assert entry.changes_dict["about"][1] == MASK
    logged = str(list(AuditEntry.objects.values_list("changes", "changes_text")))
    assert "skilsmissen" not in logged
    # The times that suit the person are logged as any other change.
    assert entries(intake, AuditEntry.Action.UPDATE).filter(changes__has_key="availability")


def test_a_status_change_is_recorded(intake, staff):
    with set_actor(staff):
        intake_services.change_intake_status(intake=intake, to=Status.CONTACTED, actor=staff)

    entry = entries(intake, AuditEntry.Action.UPDATE).latest("timestamp")
    assert entry.changes_dict["status"] == [Status.NEW, Status.CONTACTED]
    assert entry.actor == staff


def test_forming_a_group_records_the_group_and_each_membership(group, staff):  # noqa: F811
    assert entries(group, AuditEntry.Action.CREATE).count() == 1
    for membership in Membership.objects.filter(group=group):
        assert entries(membership, AuditEntry.Action.CREATE).count() == 1


def test_leaving_a_group_is_recorded_with_the_reason_masked(group, staff):  # noqa: F811
    membership = group.memberships.first()
    with set_actor(staff):
        group_services.remove_member(
            membership=membership,
            left_on=NOW.date(),
            reason="fikk tilbakefall",
            intake_status=Intake.Status.WAITING,
            actor=staff,
        )

    entry = entries(membership, AuditEntry.Action.UPDATE).latest("timestamp")
    assert entry.actor == staff
    assert entry.changes_dict["left_reason"][1] == MASK
    assert not AuditEntry.objects.filter(changes_text__contains="tilbakefall").exists()
    assert "tilbakefall" not in str(list(AuditEntry.objects.values_list("changes", flat=True)))


def test_facilitators_and_follow_ups_are_recorded(group, centre, staff, clock):  # noqa: F811
    with set_actor(staff):
        facilitator = facilitator_services.create_facilitator(
            first_name="Kari",
            last_name="Igangsetter",
            email="kari@example.org",
            phone="+4791111111",
            centres=[centre],
            actor=staff,
        )
        facilitator_services.assign_facilitator(group=group, facilitator=facilitator, actor=staff)
    follow_up = FollowUp.objects.get(group=group)
    clock.move_to(datetime.datetime.combine(follow_up.due_on, datetime.time(12)))
    with set_actor(facilitator.user):
        facilitator_services.complete_follow_up(
            follow_up=follow_up,
            done_on=follow_up.due_on,
            outcome=FollowUp.Outcome.GOING_WELL,
            note="Alt vel",
            actor=facilitator.user,
        )

    assert entries(Facilitator.objects.get(), AuditEntry.Action.CREATE).get().actor == staff
    done = entries(follow_up, AuditEntry.Action.UPDATE).latest("timestamp")
    assert done.actor == facilitator.user
    assert done.changes_dict["note"][1] == MASK


def test_opening_a_persons_page_is_recorded_as_an_access(staff_client, staff, intake):
    assert not entries(intake, AuditEntry.Action.ACCESS).exists()

    assert staff_client.get(f"/admin/intake/intake/{intake.pk}/change/").status_code == 200

    [entry] = entries(intake, AuditEntry.Action.ACCESS)
    assert entry.actor == staff


def test_another_centres_staff_opening_the_page_records_nothing(other_staff_client, intake):
    response = other_staff_client.get(f"/admin/intake/intake/{intake.pk}/change/")

    assert response.status_code == 404
    assert not entries(intake, AuditEntry.Action.ACCESS).exists()


def test_staff_can_neither_read_nor_change_nor_delete_the_log(staff_client, intake, staff):
    staff_client.get(f"/admin/intake/intake/{intake.pk}/change/")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ACCESS)

    assert staff_client.get("/admin/auditlog/logentry/").status_code == 403
    assert staff_client.get(f"/admin/auditlog/logentry/{entry.pk}/change/").status_code == 403
    assert staff_client.post(f"/admin/auditlog/logentry/{entry.pk}/delete/").status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_superusers_read_the_log_of_one_person_but_cannot_change_it(
    client, superuser, staff_client, intake, centre
):
    other = IntakeFactory(centre=centre, name="Ola Annenmann")
    staff_client.get(f"/admin/intake/intake/{intake.pk}/change/")
    staff_client.get(f"/admin/intake/intake/{other.pk}/change/")
    client.force_login(superuser)

    page = client.get(f"/admin/intake/intake/{intake.pk}/change/").content.decode()
    url = audit_log_url(intake)
    assert url.replace("&", "&amp;") in page
    listing = client.get(url).content.decode()

    assert "Kari Nordmann" in listing
    assert "Ola Annenmann" not in listing
    entry = entries(intake, AuditEntry.Action.ACCESS).first()
    assert client.post(f"/admin/auditlog/logentry/{entry.pk}/delete/").status_code == 403
    assert client.post(
        f"/admin/auditlog/logentry/{entry.pk}/change/", {"action": 0}
    ).status_code in (200, 403)
    assert AuditEntry.objects.get(pk=entry.pk).action == AuditEntry.Action.ACCESS


def test_staff_do_not_see_the_log_link(staff_client, intake):
    page = staff_client.get(f"/admin/intake/intake/{intake.pk}/change/").content.decode()

    assert "/admin/auditlog/" not in page


def test_group_changes_are_kept_after_the_group_ends(group, staff):  # noqa: F811
    with set_actor(staff):
        group_services.cancel_group(group=group, actor=staff, reason="for få")

    entry = entries(Group.objects.get(pk=group.pk), AuditEntry.Action.UPDATE).latest("timestamp")
    assert entry.changes_dict["status"][1] == Group.Status.CANCELLED
