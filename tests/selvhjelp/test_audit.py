"""The audit log: who changed or opened people's data, when and what.

Changes go through the real services with auditlog's actor set as its
middleware sets it for a request; reads go through the admin pages.
"""

import datetime

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry as AuditEntry
from dateutil.relativedelta import relativedelta
from django.contrib.contenttypes.models import ContentType

from facilitators import services as facilitator_services
from facilitators.models import Facilitator, FollowUp
from groups import services as group_services
from groups.models import Group, Membership
from intake import services as intake_services
from intake.models import Intake, Slot, Theme
from selvhjelp.audit import (
    MASK,
    Action,
    access_log_url,
    audit_log_url,
    pseudonymise,
    record_access,
)
from selvhjelp.models import AccessedPerson, AccessEntry

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


# --- The access log ---------------------------------------------------------------


def accesses(person, action=None):
    found = AccessEntry.objects.filter(
        people__person_type=ContentType.objects.get_for_model(person),
        people__person_id=person.pk,
    )
    return found.filter(action=action) if action is not None else found


def test_opening_a_persons_page_is_recorded_as_an_access(staff_client, staff, intake):
    assert not accesses(intake).exists()

    assert staff_client.get(f"/admin/intake/intake/{intake.pk}/change/").status_code == 200

    [entry] = accesses(intake, Action.OPENED)
    assert (entry.actor, entry.actor_name, entry.page) == (staff, staff.username, "person")


def test_another_centres_staff_opening_the_page_records_nothing(other_staff_client, intake):
    response = other_staff_client.get(f"/admin/intake/intake/{intake.pk}/change/")

    assert response.status_code == 404
    assert not AccessEntry.objects.exists()


def test_staff_can_neither_read_nor_change_nor_delete_either_log(staff_client, intake, staff):
    staff_client.get(f"/admin/intake/intake/{intake.pk}/change/")
    entry = AccessEntry.objects.get()

    for base in ("/admin/auditlog/logentry/", "/admin/selvhjelp/accessentry/"):
        assert staff_client.get(base).status_code == 403
    assert staff_client.get(f"/admin/selvhjelp/accessentry/{entry.pk}/change/").status_code == 403
    assert staff_client.post(f"/admin/selvhjelp/accessentry/{entry.pk}/delete/").status_code == 403
    assert AccessEntry.objects.filter(pk=entry.pk).exists()


def test_superusers_read_the_access_log_of_one_person_but_cannot_change_it(
    client, superuser, staff_client, intake, centre
):
    other = IntakeFactory(centre=centre, name="Ola Annenmann")
    staff_client.get(f"/admin/intake/intake/{intake.pk}/change/")
    staff_client.get(f"/admin/intake/intake/{other.pk}/change/")
    client.force_login(superuser)

    page = client.get(f"/admin/intake/intake/{intake.pk}/change/").content.decode()
    assert audit_log_url(intake).replace("&", "&amp;") in page
    url = access_log_url(intake)
    assert url.replace("&", "&amp;") in page
    listing = client.get(url).content.decode()

    assert "Kari Nordmann" in listing
    assert "Ola Annenmann" not in listing
    entry = accesses(intake).first()
    assert client.post(f"/admin/selvhjelp/accessentry/{entry.pk}/delete/").status_code == 403
    assert client.get("/admin/selvhjelp/accessentry/add/").status_code == 403


def test_one_entry_per_page_view_names_everyone_shown_in_two_queries(
    staff, centre, django_assert_num_queries
):
    people = IntakeFactory.create_batch(5, centre=centre)

    with django_assert_num_queries(2):
        entry = record_access(actor=staff, action=Action.LISTED, people=people, page="search")

    assert AccessEntry.objects.count() == 1
    assert sorted(entry.people.values_list("person_id", flat=True)) == sorted(
        person.pk for person in people
    )


def test_a_search_in_the_interest_forms_is_an_access_to_each_person_found(
    staff_client, staff, centre
):
    found = IntakeFactory(centre=centre, name="Zqxfound Nordmann")
    IntakeFactory(centre=centre, name="Ikke Funnet")

    staff_client.get("/admin/intake/intake/", {"q": "Zqxfound"})

    [entry] = AccessEntry.objects.all()
    assert (entry.action, entry.page, entry.actor) == (Action.LISTED, "search", staff)
    assert list(entry.people.values_list("person_id", flat=True)) == [found.pk]
    # Not what was searched for: that might be a name.
    assert "Zqxfound" not in str(list(AccessEntry.objects.values()))


def test_the_list_filtered_by_theme_is_an_access_but_the_plain_list_is_not(staff_client, centre):
    theme = Theme.objects.get(is_other=True)
    chosen = IntakeFactory(centre=centre)
    chosen.themes.add(theme)
    IntakeFactory(centre=centre)

    staff_client.get("/admin/intake/intake/")
    assert not AccessEntry.objects.exists()
    staff_client.get("/admin/intake/intake/", {"themes__id__exact": theme.pk})

    [entry] = AccessEntry.objects.all()
    assert entry.page == "theme"
    assert list(entry.people.values_list("person_id", flat=True)) == [chosen.pk]


@pytest.mark.parametrize("size", [2, 6])
def test_the_list_logs_the_page_in_a_fixed_number_of_queries(
    staff_client, centre, size, django_assert_max_num_queries
):
    for number in range(size):
        IntakeFactory(centre=centre, name=f"Zqxmany {number}")

    with django_assert_max_num_queries(20) as captured:
        staff_client.get("/admin/intake/intake/", {"q": "Zqxmany"})

    inserts = [q for q in captured.captured_queries if "selvhjelp_access" in q["sql"]]
    assert len(inserts) == 2
    assert AccessEntry.objects.get().people.count() == size


def test_the_group_page_is_an_access_to_each_member(staff_client, staff, group):  # noqa: F811
    members = set(group.memberships.values_list("intake_id", flat=True))

    staff_client.get(f"/admin/groups/group/{group.pk}/change/")

    [entry] = AccessEntry.objects.all()
    assert (entry.action, entry.page) == (Action.LISTED, "group")
    assert set(entry.people.values_list("person_id", flat=True)) == members


def test_the_outbox_list_is_an_access_to_each_person_a_shown_message_went_to(staff_client, centre):
    intake = IntakeFactory(centre=centre)
    intake_services._queue_confirmation(intake)

    staff_client.get("/admin/selvhjelp/outboundmessage/", {"status": "all"})

    [entry] = AccessEntry.objects.all()
    assert entry.page == "outbox"
    assert list(entry.people.values_list("person_id", flat=True)) == [intake.pk]


def test_the_group_history_names_members_by_number_not_name(
    staff_client,
    group,  # noqa: F811
):
    from django.contrib.admin.models import LogEntry as AdminEntry

    from tests.groups.test_admin import form_data

    url = f"/admin/groups/group/{group.pk}/change/"
    data = form_data(staff_client.get(url))
    first = group.memberships.order_by("pk").first()
    index = next(
        key.split("-")[1]
        for key, value in data.items()
        if key.startswith("memberships-") and key.endswith("-id") and value == str(first.pk)
    )
    data[f"memberships-{index}-confidentiality_agreed_at_0"] = "03.01.2027"
    data[f"memberships-{index}-confidentiality_agreed_at_1"] = "18:30"

    assert staff_client.post(url, data).status_code == 302

    entry = AdminEntry.objects.get(object_id=str(group.pk))
    assert f"medlem nr. {first.pk}" in entry.change_message
    assert first.intake.name not in entry.change_message


def test_old_access_entries_are_pruned_after_the_period(settings, staff, intake):
    import time_machine

    from selvhjelp.jobs import run_job

    settings.ACCESS_LOG_RETENTION_MONTHS = 24
    assert settings.CELERY_BEAT_SCHEDULE["prune-access-log"]["args"] == ("prune_access_log",)
    start = datetime.datetime(2026, 3, 2, 12, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        record_access(actor=staff, action=Action.OPENED, people=[intake])
        traveller.move_to(start + relativedelta(months=1))
        record_access(actor=staff, action=Action.EXPORTED, people=[intake])

        traveller.move_to(start + relativedelta(months=24, days=1))
        assert run_job("prune_access_log") == {"access_entries": 1}

    assert list(AccessEntry.objects.values_list("action", flat=True)) == [Action.EXPORTED]


def test_pseudonymising_keeps_the_entries_and_gives_each_person_one_code(staff, centre):
    first, second = IntakeFactory.create_batch(2, centre=centre)
    record_access(actor=staff, action=Action.OPENED, people=[first])
    record_access(actor=staff, action=Action.LISTED, people=[first, second])
    record_access(actor=staff, action=Action.OPENED, people=[second], reason="for Ola")

    pseudonymise(Intake, [first.pk, second.pk], redact={"Ola"})

    rows = list(AccessedPerson.objects.order_by("entry__pk", "pk"))
    assert [row.person_id for row in rows] == [None] * 4
    codes = [row.pseudonym for row in rows]
    assert codes[0] == codes[1] and codes[2] == codes[3] and codes[0] != codes[2]
    assert AccessEntry.objects.filter(reason="for [anonymisert]").exists()


def test_group_changes_are_kept_after_the_group_ends(group, staff):  # noqa: F811
    with set_actor(staff):
        group_services.cancel_group(group=group, actor=staff, reason="for få")

    entry = entries(Group.objects.get(pk=group.pk), AuditEntry.Action.UPDATE).latest("timestamp")
    assert entry.changes_dict["status"][1] == Group.Status.CANCELLED
