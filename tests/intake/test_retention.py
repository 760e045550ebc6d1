"""The nightly retention job: what is past its period goes, with every trace; the rest stays.

The data ages under time-machine: people are made at one moment and the
job runs a period later, one day short of it and one day past it. Afterwards
a marker string used in the removed person's name, email and own words is
looked for in every text column of every table of the PostgreSQL database
(tests/intake/test_traces.py greps a whole pg_dump after a person's whole life).
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
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone, translation

from groups.models import Group, Membership
from intake import retention, selectors, services
from intake.jobs import apply_retention
from intake.models import ContactAttempt, Intake, Slot, StatusChange, Theme
from selvhjelp import messaging
from selvhjelp.audit import Action, record_access
from selvhjelp.dates import OSLO
from selvhjelp.jobs import run_job
from selvhjelp.models import AccessedPerson, Centre, MessageOptOut, OutboundMessage
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
        record_access(actor=staff, action=Action.OPENED, people=[intake])
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


def result(idle=0, closed=0, deleted=0, anonymised=0):
    """What apply_retention returns, with zeros for the steps that did nothing."""
    return {"idle": idle, "closed": closed, "deleted": deleted, "anonymised": anonymised}


def accessed_rows():
    """The access log's rows about interest forms: (id or None once erased, pseudonym)."""
    return list(
        AccessedPerson.objects.filter(
            person_type=ContentType.objects.get_for_model(Intake)
        ).values_list("person_id", "pseudonym")
    )


def receipt_session(reference, centre):
    """A browser's session still showing the receipt of `reference`, as the receipt page does."""
    session = SessionStore()
    session[retention.RECEIPT_SESSION_KEY] = {"reference": reference, "centre": centre.pk}
    session.create()
    return session.session_key


# --- Deleting forms that ended without a group -----------------------------------


@pytest.mark.parametrize("status", ["withdrawn", "closed"])
def test_an_ended_form_is_kept_until_its_period_is_over_then_goes_without_a_trace(
    centre, handler, clock, status
):
    gone = person(centre, "Zqxgone")
    handle(gone, handler, "Zqxgone", to=status)
    kept = person(centre, "Zqxkept")
    handle(kept, handler, "Zqxkept")
    clock.move_to(months_later(1))
    handle(kept, handler, "Zqxkept")  # still handled: not idle
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
    session = receipt_session(gone.reference, centre)

    clock.move_to(months_later(12, days=-1))
    assert apply_retention() == result()
    assert Intake.objects.filter(pk=gone.pk).exists()

    clock.move_to(months_later(12, days=1))
    assert apply_retention() == result(deleted=1)

    assert not Intake.objects.filter(pk=gone.pk).exists()
    assert find_everywhere("Zqxgone") == {}
    assert not Session.objects.filter(session_key=session).exists()
    # Who opened the form stays in the access log, under a code that leads nowhere.
    rows = accessed_rows()
    assert [code for person_id, code in rows if person_id is None] != []
    assert all(len(code) == 16 for person_id, code in rows if person_id is None)
    assert sorted(person_id for person_id, _code in rows if person_id) == [kept.pk, kept.pk]
    assert Intake.objects.get(pk=kept.pk).name == "Kari Søstrø Zqxkept"
    assert set(find_everywhere("Zqxkept")) >= {
        "intake_intake.name",
        "auditlog_logentry.object_repr",
    }


def test_the_period_comes_from_the_settings(centre, handler, clock, settings):
    settings.INTAKE_RETENTION_MONTHS = 3
    closed = person(centre, "Zqxshort")
    handle(closed, handler, "Zqxshort", to=Intake.Status.CLOSED)

    clock.move_to(months_later(3, days=1))
    assert apply_retention()["deleted"] == 1


def test_a_form_withdrawn_by_the_person_goes_after_the_grace_days(centre, clock, settings):
    settings.WITHDRAWAL_DELETE_AFTER_DAYS = 7
    intake = person(centre, "Zqxlink")
    session = receipt_session(intake.reference, centre)
    retention.withdraw_by_person(token=retention.withdrawal_token(intake.pk))
    # The browser's receipt goes at once: the form is on its way out.
    assert not Session.objects.filter(session_key=session).exists()

    clock.move_to(START + datetime.timedelta(days=6, hours=23))
    assert apply_retention()["deleted"] == 0
    clock.move_to(START + datetime.timedelta(days=7, minutes=1))
    assert apply_retention()["deleted"] == 1
    assert find_everywhere("Zqxlink") == {}


# --- Forms nobody handles: shown to staff, closed, then deleted ----------------------------


def test_an_open_form_with_no_activity_is_shown_to_staff_then_closed_then_deleted(
    centre, handler, clock, settings
):
    settings.INTAKE_IDLE_MONTHS = 12
    settings.INTAKE_IDLE_WARNING_DAYS = 30
    idle = person(centre, "Zqxidle")
    handle(idle, handler, "Zqxidle", to=Intake.Status.WAITING)

    clock.move_to(months_later(12, days=-1))
    assert apply_retention() == result()

    clock.move_to(months_later(12, days=1))
    assert apply_retention() == result(idle=1)
    assert apply_retention() == result()  # shown once
    section = selectors.idle_intakes_section(Centre.objects.all(), timezone.localdate(), None)
    assert section.count == 1 and section.rows[0].label == idle.name_and_reference
    assert selectors.count_idle_intakes(timezone.localdate()) == {centre.pk: 1}
    assert Intake.objects.get(pk=idle.pk).status == Intake.Status.WAITING

    clock.move_to(months_later(12, days=30))
    assert apply_retention() == result()
    clock.move_to(months_later(12, days=31))
    assert apply_retention() == result(closed=1)
    closed = Intake.objects.get(pk=idle.pk)
    assert closed.status == Intake.Status.CLOSED
    change = closed.status_changes.last()
    assert (change.from_status, change.changed_by) == (Intake.Status.WAITING, None)
    assert "ingen aktivitet på 12 måneder" in change.reason
    assert selectors.count_idle_intakes(timezone.localdate()) == {}

    clock.move_to(months_later(24, days=30))
    assert apply_retention() == result()
    clock.move_to(months_later(24, days=32))
    assert apply_retention() == result(deleted=1)
    assert find_everywhere("Zqxidle") == {}


@pytest.mark.parametrize("status", [Intake.Status.NEW, Intake.Status.CONTACTED])
def test_every_open_status_goes_idle(centre, handler, clock, status):
    intake = person(centre, "Zqxopen")
    if status != Intake.Status.NEW:
        handle(intake, handler, "Zqxopen", to=status)

    clock.move_to(months_later(60))
    assert apply_retention() == result(idle=1)


def test_a_logged_call_after_the_notice_keeps_the_form_open(centre, handler, clock):
    intake = person(centre, "Zqxcall")
    clock.move_to(months_later(12, days=1))
    assert apply_retention() == result(idle=1)

    clock.move_to(months_later(12, days=10))
    services.record_contact_attempt(
        intake=intake, kind=ContactAttempt.Kind.NO_ANSWER, actor=handler
    )
    clock.move_to(months_later(12, days=40))
    assert apply_retention() == result()
    assert Intake.objects.get(pk=intake.pk).status == Intake.Status.NEW
    assert selectors.count_idle_intakes(timezone.localdate()) == {}

    # Twelve months after the call, it is idle again.
    clock.move_to(months_later(24, days=11))
    assert apply_retention() == result(idle=1)


def test_a_correction_after_the_notice_keeps_the_form_open(centre, handler, clock):
    intake = person(centre, "Zqxfix")
    clock.move_to(months_later(12, days=1))
    apply_retention()
    clock.move_to(months_later(12, days=2))
    intake.refresh_from_db()
    intake.phone = "+4791234568"
    services.update_intake_details(intake=intake, fields=["phone"], actor=handler)

    clock.move_to(months_later(13, days=5))
    assert apply_retention() == result()


def test_the_idle_section_costs_two_queries_however_many_forms(
    centre, clock, django_assert_num_queries
):
    for number in range(12):
        person(centre, f"Zqxmany{number}")
    clock.move_to(months_later(13))
    apply_retention()

    with django_assert_num_queries(2):
        section = selectors.idle_intakes_section(
            Centre.objects.filter(pk=centre.pk), timezone.localdate(), None
        )
    assert section.count == 12 and len(section.rows) == selectors.SECTION_ROWS
    assert section.more_url == "/admin/intake/intake/?idle=1&status=all"


def test_the_sections_link_lists_the_idle_forms_for_staff(centre, handler, clock, client):
    idle = person(centre, "Zqxlisted")
    busy = person(centre, "Zqxbusy")
    clock.move_to(months_later(13))
    apply_retention()
    clock.move_to(months_later(13, days=1))
    services.record_contact_attempt(intake=busy, kind=ContactAttempt.Kind.NO_ANSWER, actor=handler)
    client.force_login(handler)

    html = client.get("/admin/intake/intake/?idle=1&status=all").content.decode()

    assert idle.name in html and busy.name not in html


def test_the_idle_section_shows_only_the_centres_given(centre, other_centre, clock):
    person(other_centre, "Zqxelsewhere")
    clock.move_to(months_later(13))
    apply_retention()

    section = selectors.idle_intakes_section(
        Centre.objects.filter(pk=centre.pk), timezone.localdate(), None
    )
    assert section.count == 0 and section.rows == []


def test_the_idle_section_and_counter_are_registered():
    from selvhjelp.jobs import DIGEST_COUNTERS
    from selvhjelp.today import sections

    assert DIGEST_COUNTERS["idle_intakes"] is selectors.count_idle_intakes
    assert selectors.idle_intakes_section in [section.load for section in sections()]


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
    assert apply_retention() == result()
    assert Intake.objects.get(pk=intake.pk).anonymised_at is None

    clock.move_to(months_later(24, days=1))
    assert apply_retention() == result(anonymised=1)

    assert find_everywhere("Zqxmember") == {}
    assert find_everywhere("Søstrø") == {}
    assert find_everywhere(old_reference) == {}
    anonymous = Intake.objects.get(pk=intake.pk)
    assert anonymous.name == retention.ANONYMISED
    assert (anonymous.email, anonymous.phone, anonymous.gender, anonymous.about) == ("", "", "", "")
    assert anonymous.birth_year == 1980
    assert anonymous.reference != old_reference
    assert not anonymous.themes.exists() and not anonymous.availability.exists()
    assert not ContactAttempt.objects.filter(intake=anonymous).exists()
    assert not StatusChange.objects.filter(intake=anonymous).exists()
    # The group keeps its member, without a name.
    kept = Membership.objects.get(pk=membership.pk)
    assert (kept.group, kept.joined_on, kept.left_on, kept.left_reason) == (
        group,
        membership.joined_on,
        membership.left_on,
        retention.ANONYMISED,
    )
    assert not MessageOptOut.objects.exists()
    assert not OutboundMessage.objects.filter(recipient__icontains="zqxmember").exists()
    # Nothing in the change history about the person; the group's history says nothing of them.
    assert not AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Intake), object_pk=str(intake.pk)
    ).exists()
    assert AdminEntry.objects.filter(content_type=ContentType.objects.get_for_model(Group)).count()

    clock.move_to(months_later(36))
    assert apply_retention() == result()


def test_anonymisation_counts_from_the_day_the_person_left_the_group(centre, handler, clock):
    intake = person(centre, "Zqxleft")
    member(intake, group_of(centre), handler, "Zqxleft")
    # Back on the waiting list for a while, then the form is closed.
    Intake.objects.filter(pk=intake.pk).update(status=Intake.Status.WAITING)
    clock.move_to(months_later(28))
    Intake.objects.filter(pk=intake.pk).update(
        status=Intake.Status.CLOSED, status_changed_at=timezone.now()
    )

    assert apply_retention() == result(anonymised=1)
    assert find_everywhere("Zqxleft") == {}


def test_a_member_back_on_the_waiting_list_is_not_anonymised(centre, handler, clock):
    intake = person(centre, "Zqxagain")
    member(intake, group_of(centre), handler, "Zqxagain")
    Intake.objects.filter(pk=intake.pk).update(status=Intake.Status.WAITING)

    clock.move_to(months_later(30))
    assert apply_retention()["anonymised"] == 0


def test_an_active_member_is_never_anonymised_nor_idle(centre, handler, clock):
    intake = person(centre, "Zqxactive")
    Membership.objects.create(group=group_of(centre), intake=intake, seat=1)
    Intake.objects.filter(pk=intake.pk).update(status=Intake.Status.PLACED)

    clock.move_to(months_later(60))
    assert apply_retention() == result()


def test_in_a_group_without_an_active_membership_goes_idle(centre, handler, clock):
    intake = person(centre, "Zqxstuck")
    Membership.objects.create(
        group=group_of(centre),
        intake=intake,
        seat=1,
        left_on=timezone.localdate(),
        left_reason="Flyttet",
    )
    Intake.objects.filter(pk=intake.pk).update(status=Intake.Status.PLACED)

    clock.move_to(months_later(13))
    assert apply_retention() == result(idle=1)


def test_anonymised_rows_keep_only_what_the_privacy_page_lists(centre, handler, clock, client):
    intake = person(centre, "Zqxkeep")
    membership = member(intake, group_of(centre), handler, "Zqxkeep")
    Membership.objects.filter(pk=membership.pk).update(
        first_attended_on=membership.joined_on,
        confidentiality_agreed_at=timezone.now(),
        added_by=handler,
    )
    before = Intake.objects.get(pk=intake.pk)
    clock.move_to(months_later(25))

    apply_retention()

    after = Intake.objects.get(pk=intake.pk)
    kept = Membership.objects.get(pk=membership.pk)
    keeps = {(k.model, k.field) for k in retention.ANONYMISED_KEEPS}
    # Every field is listed as kept, or is the same for every anonymised person.
    for model, row, blank, new in [
        (Intake, after, retention.ANONYMISED_INTAKE, retention.ANONYMISED_INTAKE_NEW),
        (Membership, kept, retention.ANONYMISED_MEMBERSHIP, retention.ANONYMISED_MEMBERSHIP_NEW),
    ]:
        fields = {field.name for field in model._meta.concrete_fields} - {"id", "intake"}
        kept_fields = {field for kind, field in keeps if kind is model}
        assert fields == kept_fields | set(blank) | set(new), model
        for field, value in blank.items():
            assert getattr(row, field) == value, field
    assert not after.themes.exists() and not after.availability.exists()
    assert (after.centre_id, after.birth_year) == (before.centre_id, 1980)
    assert after.created_at == datetime.datetime(2026, 3, 1, tzinfo=OSLO)
    assert (kept.group_id, kept.joined_on, kept.left_on) == (
        membership.group_id,
        membership.joined_on,
        membership.left_on,
    )
    # The privacy page lists exactly what is kept, from the same list.
    html = client.get("/personvern/").content.decode()
    with translation.override("nb"):
        for kept_field in retention.ANONYMISED_KEEPS:
            assert str(kept_field.label) in html, kept_field.field


# --- Sessions and keys ---------------------------------------------------------------


def test_messages_to_the_same_address_about_another_kept_form_stay(centre, handler, clock):
    first = person(centre, "Zqxtwice", submission_key="11111111-1111-1111-1111-111111111111")
    handle(first, handler, "Zqxtwice", to=Intake.Status.CLOSED)
    clock.move_to(months_later(11))
    second = person(centre, "Zqxtwice", submission_key="22222222-2222-2222-2222-222222222222")
    kept_session = receipt_session(second.reference, centre)

    clock.move_to(months_later(12, days=1))
    assert apply_retention()["deleted"] == 1

    assert list(OutboundMessage.objects.values_list("object_id", flat=True)) == [second.pk]
    assert Session.objects.filter(session_key=kept_session).exists()


def test_expired_sessions_are_cleared_every_night(settings, centre, clock):
    entry = settings.CELERY_BEAT_SCHEDULE["clear-expired-sessions"]
    assert entry["args"] == ("clear_expired_sessions",)
    assert entry["schedule"].hour == {4}
    old = receipt_session("AAA-AAA", centre)
    clock.move_to(START + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60))
    live = receipt_session("BBB-BBB", centre)

    assert run_job("clear_expired_sessions") == {"expired_sessions": 1}
    assert list(Session.objects.values_list("session_key", flat=True)) == [live]
    assert old != live


def test_submission_keys_are_forgotten_after_a_day(settings, centre, clock):
    entry = settings.CELERY_BEAT_SCHEDULE["clear-submission-keys"]
    assert entry["args"] == ("clear_submission_keys",)
    settings.SUBMISSION_KEY_HOURS = 24
    intake = person(centre, "Zqxkey", submission_key="33333333-3333-3333-3333-333333333333")

    clock.move_to(START + datetime.timedelta(hours=23))
    assert run_job("clear_submission_keys") == {"submission_keys": 0}
    clock.move_to(START + datetime.timedelta(hours=24, minutes=1))
    assert run_job("clear_submission_keys") == {"submission_keys": 1}
    assert Intake.objects.get(pk=intake.pk).submission_key is None
    assert run_job("clear_submission_keys") == {"submission_keys": 0}


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
    assert "Would show 0 interest form(s) to staff" in out.getvalue()
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

    assert run_job("apply_retention") == result(deleted=1)
    assert run_job("apply_retention") == result()


def queries_of_a_night():
    """The number of queries of one run of the job, and what it did."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ContentType.objects.clear_cache()  # every run looks the content types up alike
    with CaptureQueriesContext(connection) as queries:
        outcome = apply_retention()
    return len(queries), outcome


def test_the_job_costs_the_same_queries_for_one_person_or_many(centre, handler, clock):
    group = group_of(centre)

    def make(count, prefix):
        for number in range(count):
            handle(person(centre, f"{prefix}d{number}"), handler, "x", to=Intake.Status.CLOSED)
            member(person(centre, f"{prefix}m{number}"), group, handler, "x")
            person(centre, f"{prefix}i{number}")  # goes idle

    make(1, "Zqxone")
    clock.move_to(months_later(25))
    one = queries_of_a_night()
    clock.move_to(START)
    make(6, "Zqxsix")
    clock.move_to(months_later(25))
    six = queries_of_a_night()

    assert one[1] == result(idle=1, deleted=1, anonymised=1)
    assert six[1] == result(idle=6, deleted=6, anonymised=6)
    # Fixed whatever the number of people; grown with keep-apart pairs, suggested
    # members and the members' link keys (issues 16 and 21).
    assert one[0] == six[0] <= 75
