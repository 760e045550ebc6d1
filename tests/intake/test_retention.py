"""The nightly retention job: what is past its period goes, with every trace; the rest stays.

The data ages under time-machine: people are made at one moment and the
job runs a period later, one day short of it and one day past it. Afterwards
a marker string used in the removed person's name, email and own words is
looked for in every text column of every table of the PostgreSQL database.
"""

import datetime
import json
from io import StringIO

import pytest
import time_machine
from auditlog.context import set_actor
from auditlog.models import LogEntry as AuditEntry
from dateutil.relativedelta import relativedelta
from django.contrib.admin.models import CHANGE
from django.contrib.admin.models import LogEntry as AdminEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.utils import timezone

from groups.models import Group, Membership
from intake import retention, services
from intake.jobs import apply_retention
from intake.models import ContactAttempt, Intake, Slot, StatusChange, Theme
from selvhjelp import messaging
from selvhjelp.audit import record_access
from selvhjelp.dates import OSLO
from selvhjelp.jobs import run_job
from selvhjelp.models import MessageOptOut, OutboundMessage
from tests.dbscan import find_everywhere
from tests.factories import StaffFactory

pytestmark = pytest.mark.usefixtures("postgres")

START = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=OSLO)


def months_later(months, days=0):
    return START + relativedelta(months=months) + datetime.timedelta(days=days)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def handler(centre):
    return StaffFactory(centres=[centre], first_name="Siri", last_name="Saksbehandler")


def person(centre, marker, **values):
    """A person who filled in the form, with the marker in their name, email and own words."""
    intake = services.submit_intake(
        centre=centre,
        name=f"Kari Søstrø {marker}",
        email=f"{marker.lower()}@example.org",
        phone="+4791234567",
        contact_by=Intake.ContactBy.EMAIL,
        birth_year=1987,
        confirmed_adult=True,
        applying_for_self=True,
        consent_given=True,
        gender=Intake.Gender.WOMAN,
        about=f"Jeg sliter med {marker} og vil snakke med noen.",
        themes=[Theme.objects.get(is_other=True)],
        availability=[Slot.objects.get(weekday=1, part="evening")],
        **values,
    )
    return intake


def handle(intake, staff, marker, *, to=None):
    """What staff do with a form: a note, a look, an edit in the admin, a status change."""
    with set_actor(staff):
        services.record_contact_attempt(
            intake=intake, kind=ContactAttempt.Kind.NOTE, note=f"Snakket med {marker}", actor=staff
        )
        record_access(intake)
        AdminEntry.objects.create(
            user=staff,
            content_type=ContentType.objects.get_for_model(Intake),
            object_id=str(intake.pk),
            object_repr=str(intake),
            action_flag=CHANGE,
            change_message=json.dumps([{"changed": {"fields": ["Navn"]}}]),
        )
        if to:
            services.change_intake_status(
                intake=intake, to=to, actor=staff, reason=f"Avsluttet for {marker}"
            )


def group_of(centre):
    return Group.objects.create(
        centre=centre,
        name="Tirsdagsgruppa",
        kind=Group.Kind.ACROSS,
        format=Group.Format.PHYSICAL,
        venue="Arna frivilligsentral",
        weekday=1,
        start_time=datetime.time(18),
        planned_start=timezone.localdate(),
    )


def member(intake, group, staff, marker):
    """The person joins `group` and leaves it today, leaving group messages and history."""
    today = timezone.localdate()
    with set_actor(staff):
        membership = Membership.objects.create(
            group=group, intake=intake, seat=1, joined_on=today - datetime.timedelta(days=90)
        )
        messaging.queue_message(
            centre=group.centre,
            channel="email",
            recipient=intake.email,
            message_type="group_meeting_moved",
            about=group,
            to=intake,
            dedup_key=f"group-meeting-moved:{group.pk}:{membership.pk}",
            context={"first_name": intake.first_name},
        )
        MessageOptOut.objects.create(
            centre=group.centre,
            content_type=ContentType.objects.get_for_model(Membership),
            object_id=membership.pk,
            message_type="group_first_meeting_reminder",
        )
        # The group's change page lists its members: the admin keeps their names.
        AdminEntry.objects.create(
            user=staff,
            content_type=ContentType.objects.get_for_model(Group),
            object_id=str(group.pk),
            object_repr=str(group),
            action_flag=CHANGE,
            change_message=json.dumps(
                [{"changed": {"name": "medlemskap", "object": str(membership), "fields": ["x"]}}]
            ),
        )
        membership.left_on = today
        membership.left_reason = f"Flyttet, sa {intake.name}"
        membership.save()
        intake.status = Intake.Status.CLOSED
        intake.status_changed_at = timezone.now()
        intake.save()
    return membership


# --- Deleting forms that ended without a group -----------------------------------


@pytest.mark.parametrize("status", ["withdrawn", "closed"])
def test_an_ended_form_is_kept_until_its_period_is_over_then_goes_without_a_trace(
    centre, handler, clock, status
):
    gone = person(centre, "Zqxgone")
    handle(gone, handler, "Zqxgone", to=status)
    kept = person(centre, "Zqxkept")
    handle(kept, handler, "Zqxkept")
    # The scan sees the traces before: the form, the notes, both histories, the outbox.
    assert set(find_everywhere("Zqxgone")) >= {
        "intake_intake.name",
        "intake_intake.about",
        "intake_contactattempt.note",
        "intake_statuschange.reason",
        "auditlog_logentry.object_repr",
        "django_admin_log.object_repr",
        "selvhjelp_outboundmessage.recipient",
    }

    clock.move_to(months_later(12, days=-1))
    assert apply_retention() == {"deleted": 0, "anonymised": 0}
    assert Intake.objects.filter(pk=gone.pk).exists()

    clock.move_to(months_later(12, days=1))
    assert apply_retention() == {"deleted": 1, "anonymised": 0}

    assert not Intake.objects.filter(pk=gone.pk).exists()
    assert find_everywhere("Zqxgone") == {}
    assert Intake.objects.get(pk=kept.pk).name == "Kari Søstrø Zqxkept"
    assert set(find_everywhere("Zqxkept")) >= {
        "intake_intake.name",
        "auditlog_logentry.object_repr",
    }


def test_an_open_form_is_never_deleted_however_old(centre, handler, clock):
    waiting = person(centre, "Zqxwaiting")
    handle(waiting, handler, "Zqxwaiting", to=Intake.Status.WAITING)

    clock.move_to(months_later(60))
    assert apply_retention() == {"deleted": 0, "anonymised": 0}
    assert Intake.objects.get(pk=waiting.pk).name.endswith("Zqxwaiting")


def test_the_period_comes_from_the_settings(centre, handler, clock, settings):
    settings.INTAKE_RETENTION_MONTHS = 3
    closed = person(centre, "Zqxshort")
    handle(closed, handler, "Zqxshort", to=Intake.Status.CLOSED)

    clock.move_to(months_later(3, days=1))
    assert apply_retention()["deleted"] == 1


def test_a_form_withdrawn_by_the_person_goes_after_the_grace_days(centre, clock, settings):
    settings.WITHDRAWAL_DELETE_AFTER_DAYS = 7
    intake = person(centre, "Zqxlink")
    retention.withdraw_by_person(token=retention.withdrawal_token(intake.pk))

    clock.move_to(START + datetime.timedelta(days=6, hours=23))
    assert apply_retention()["deleted"] == 0
    clock.move_to(START + datetime.timedelta(days=7, minutes=1))
    assert apply_retention()["deleted"] == 1
    assert find_everywhere("Zqxlink") == {}


# --- Anonymising former group members ------------------------------------------


def test_a_former_member_is_anonymised_a_period_after_leaving_and_the_group_keeps_its_numbers(
    centre, handler, clock
):
    intake = person(centre, "Zqxmember")
    handle(intake, handler, "Zqxmember", to=Intake.Status.WAITING)
    group = group_of(centre)
    membership = member(intake, group, handler, "Zqxmember")
    old_reference = intake.reference
    assert set(find_everywhere("Zqxmember")) >= {
        "groups_membership.left_reason",
        "django_admin_log.change_message",
        "auditlog_logentry.object_repr",
        "selvhjelp_outboundmessage.recipient",
    }

    clock.move_to(months_later(24, days=-1))
    assert apply_retention() == {"deleted": 0, "anonymised": 0}
    assert Intake.objects.get(pk=intake.pk).anonymised_at is None

    clock.move_to(months_later(24, days=1))
    assert apply_retention() == {"deleted": 0, "anonymised": 1}

    assert find_everywhere("Zqxmember") == {}
    assert find_everywhere("Søstrø") == {}
    anonymous = Intake.objects.get(pk=intake.pk)
    assert anonymous.name == retention.ANONYMISED
    assert (anonymous.email, anonymous.phone, anonymous.gender, anonymous.about) == ("", "", "", "")
    assert anonymous.birth_year == 1980
    assert anonymous.reference != old_reference
    assert not anonymous.themes.exists() and not anonymous.availability.exists()
    assert not ContactAttempt.objects.filter(intake=anonymous).exists()
    assert set(StatusChange.objects.filter(intake=anonymous).values_list("reason", flat=True)) == {
        ""
    }
    # The group keeps its member, without a name.
    kept = Membership.objects.get(pk=membership.pk)
    assert (kept.group, kept.left_on, kept.left_reason) == (
        group,
        membership.left_on,
        retention.ANONYMISED,
    )
    assert not MessageOptOut.objects.exists()
    assert not OutboundMessage.objects.filter(recipient__icontains="zqxmember").exists()
    # Nothing in the audit log about the person; the group's history says nothing of them.
    assert not AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Intake), object_pk=str(intake.pk)
    ).exists()
    assert AdminEntry.objects.filter(content_type=ContentType.objects.get_for_model(Group)).count()

    clock.move_to(months_later(36))
    assert apply_retention() == {"deleted": 0, "anonymised": 0}


def test_a_member_back_on_the_waiting_list_is_not_anonymised(centre, handler, clock):
    intake = person(centre, "Zqxagain")
    member(intake, group_of(centre), handler, "Zqxagain")
    Intake.objects.filter(pk=intake.pk).update(status=Intake.Status.WAITING)

    clock.move_to(months_later(30))
    assert apply_retention()["anonymised"] == 0


def test_an_active_member_is_never_anonymised(centre, handler, clock):
    intake = person(centre, "Zqxactive")
    Membership.objects.create(group=group_of(centre), intake=intake, seat=1)
    Intake.objects.filter(pk=intake.pk).update(status=Intake.Status.PLACED)

    clock.move_to(months_later(60))
    assert apply_retention() == {"deleted": 0, "anonymised": 0}


def test_messages_to_the_same_address_about_another_kept_form_stay(centre, handler, clock):
    first = person(centre, "Zqxtwice", submission_key="11111111-1111-1111-1111-111111111111")
    handle(first, handler, "Zqxtwice", to=Intake.Status.CLOSED)
    clock.move_to(months_later(11))
    second = person(centre, "Zqxtwice", submission_key="22222222-2222-2222-2222-222222222222")

    clock.move_to(months_later(12, days=1))
    assert apply_retention()["deleted"] == 1

    assert list(OutboundMessage.objects.values_list("object_id", flat=True)) == [second.pk]


# --- Dry run, the command, the job and its cost ------------------------------------


def test_dry_run_changes_nothing_and_prints_the_counts(centre, handler, clock):
    for marker in ("Zqxa", "Zqxb"):
        handle(person(centre, marker), handler, marker, to=Intake.Status.CLOSED)
    member(person(centre, "Zqxc"), group_of(centre), handler, "Zqxc")
    clock.move_to(months_later(25))
    before = find_everywhere("Zqx")

    out = StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)

    assert "Would delete 2 interest form(s)" in out.getvalue()
    assert "Would anonymise 1 former group member(s)" in out.getvalue()
    assert "nothing was changed" in out.getvalue()
    assert find_everywhere("Zqx") == before

    out = StringIO()
    call_command("apply_retention", stdout=out)
    assert "Deleted 2 interest form(s)" in out.getvalue()
    assert "Anonymised 1 former group member(s)" in out.getvalue()
    assert find_everywhere("Zqx") == {}


def test_the_job_is_registered_and_scheduled_at_night(settings, centre, handler, clock):
    entry = settings.CELERY_BEAT_SCHEDULE["apply-retention"]
    assert entry["args"] == ("apply_retention",)
    assert entry["schedule"].hour == {3} and entry["schedule"].minute == {30}
    handle(person(centre, "Zqxjob"), handler, "Zqxjob", to=Intake.Status.CLOSED)
    clock.move_to(months_later(13))

    assert run_job("apply_retention") == {"deleted": 1, "anonymised": 0}
    assert run_job("apply_retention") == {"deleted": 0, "anonymised": 0}


@pytest.mark.parametrize("count", [1, 6])
def test_the_job_costs_the_same_queries_for_one_person_or_many(
    centre, handler, clock, count, django_assert_max_num_queries
):
    group = group_of(centre)
    for number in range(count):
        handle(person(centre, f"Zqxd{number}"), handler, "x", to=Intake.Status.CLOSED)
        member(person(centre, f"Zqxm{number}"), group, handler, "x")
    clock.move_to(months_later(25))

    with django_assert_max_num_queries(60):
        assert apply_retention() == {"deleted": count, "anonymised": count}
