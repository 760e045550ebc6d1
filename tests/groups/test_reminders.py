"""Participants' reminders before their first meeting and the notice when their 12 weeks end.

The clock is moved with time-machine; the jobs are called as beat calls them
(through groups.jobs, with no arguments), so they read the time themselves.
"""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from groups import jobs, reminders, schedule, services
from groups import meetings as group_meetings
from groups.models import Group
from intake.models import Intake, Theme
from selvhjelp import jobs as selvhjelp_jobs
from selvhjelp import messaging
from selvhjelp.dates import OSLO
from selvhjelp.messaging import render_message
from selvhjelp.models import MessageOptOut, OutboundMessage
from tests.factories import StaffFactory
from tests.groups.conftest import FIRST

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
WEEK = datetime.timedelta(weeks=1)
HEALTH_MARKER = "HELSEMARKØR-7f3a"


def at(date, hour=18, minute=0):
    return datetime.datetime.combine(date, datetime.time(hour, minute), tzinfo=OSLO)


def reminders_written():
    return OutboundMessage.objects.filter(message_type=reminders.FIRST_MEETING_REMINDER)


def notices_written():
    return OutboundMessage.objects.filter(message_type=reminders.COMMITMENT_END)


def meeting(group, sequence):
    return group.meetings.get(sequence=sequence)


@pytest.fixture
def group_from(make_person, form, today):
    """A group of four meeting weekly at 18:00 from `first`, formed three weeks before.

    Public holidays in its first 12 weeks are cancelled unless `holiday_choices` says otherwise.
    """

    def make(first, **overrides):
        today.move_to(at(first - 3 * WEEK, 10))
        people = [
            make_person(f"{name} Vik", gender=gender)
            for name, gender in (("Anne", "woman"), ("Bjørn", "man"))
            + (("Cecilie", "woman"), ("David", "man"))
        ]
        holidays = schedule.holidays_in(group_meetings.proposed_schedule(first))
        overrides.setdefault(
            "holiday_choices", {item.sequence: ("cancel", None) for item in holidays}
        )
        return form(
            people, weekday=first.weekday(), first_meeting=first, accept_warnings=True, **overrides
        )

    return make


# --- Before the first meeting: when -------------------------------------------------


def test_reminds_every_member_two_days_before_at_the_meetings_clock_time(group, people, today):
    today.move_to(at(FIRST - 2 * DAY, 17, 59))
    assert jobs.remind_first_meetings() == {"reminders": 0}

    today.move_to(at(FIRST - 2 * DAY, 18, 0))
    assert jobs.remind_first_meetings() == {"reminders": 6}

    written = reminders_written()
    assert {m.recipient for m in written} == {person.email for person in people}
    assert {m.about for m in written} == set(group.memberships.all())
    assert all(m.context["meeting_at"] == "2027-01-19T18:00:00+01:00" for m in written)


def test_a_second_run_writes_nothing(group, today):
    today.move_to(at(FIRST - 2 * DAY, 18, 5))
    assert jobs.remind_first_meetings() == {"reminders": 6}

    assert jobs.remind_first_meetings() == {"reminders": 0}
    assert reminders_written().count() == 6


def test_a_late_run_still_reminds_before_the_meeting(group, today):
    today.move_to(at(FIRST, 17, 55))

    assert jobs.remind_first_meetings() == {"reminders": 6}


def test_nobody_is_reminded_once_the_meeting_has_begun(group, today):
    today.move_to(at(FIRST, 18, 0))

    assert jobs.remind_first_meetings() == {"reminders": 0}


def test_only_the_first_meeting_is_reminded(group, today):
    today.move_to(at(FIRST + WEEK - 2 * DAY, 18, 5))

    assert jobs.remind_first_meetings() == {"reminders": 0}


def test_the_job_runs_the_same_from_the_command_line(group, today):
    today.move_to(at(FIRST - 2 * DAY, 18, 5))

    call_command("run_job", "remind_first_meetings")

    assert reminders_written().count() == 6


def test_the_days_before_are_a_setting(group, today, settings):
    settings.PARTICIPANT_REMINDER_DAYS = 3
    today.move_to(at(FIRST - 3 * DAY, 18, 0))

    assert jobs.remind_first_meetings() == {"reminders": 6}


# --- Daylight saving time and public holidays -------------------------------------


def test_clocks_going_forward_keep_the_reminder_at_the_meetings_clock_time(group_from, today):
    # Summer time starts at 02:00 on Sunday 29 March 2026. The first meeting is
    # Monday 30 March at 18:00 (summer time): the reminder is Saturday 28 March
    # at 18:00 (winter time), 47 hours before, not 48 (which would be 17:00).
    group_from(datetime.date(2026, 3, 30))

    today.move_to(at(datetime.date(2026, 3, 28), 17, 30))
    assert jobs.remind_first_meetings() == {"reminders": 0}

    today.move_to(at(datetime.date(2026, 3, 28), 18, 0))
    assert jobs.remind_first_meetings() == {"reminders": 4}


def test_clocks_going_back_keep_the_reminder_at_the_meetings_clock_time(group_from, today):
    # Winter time starts at 03:00 on Sunday 25 October 2026. The first meeting
    # is Monday 26 October at 18:00: the reminder is Saturday 24 October at
    # 18:00 (summer time), 49 hours before, not 48 (which would be 19:00).
    group_from(datetime.date(2026, 10, 26))

    today.move_to(at(datetime.date(2026, 10, 24), 17, 59))
    assert jobs.remind_first_meetings() == {"reminders": 0}

    today.move_to(at(datetime.date(2026, 10, 24), 18, 0))
    assert jobs.remind_first_meetings() == {"reminders": 4}
    (written, *_rest) = reminders_written()
    assert written.context["meeting_at"] == "2026-10-26T18:00:00+01:00"


def test_a_newcomers_first_meeting_moved_off_a_public_holiday_is_reminded_for_its_new_day(
    group_from, make_person, staff, today
):
    # Monday 17 May 2027 is Constitution Day (and Whit Monday): the group's
    # second meeting is moved to Tuesday 18 May. Someone who joins on 11 May
    # has that as their first meeting.
    group = group_from(
        datetime.date(2027, 5, 10), holiday_choices={2: ("move", datetime.date(2027, 5, 18))}
    )
    today.move_to(at(datetime.date(2027, 5, 11), 10))
    newcomer = make_person("Eva Lie", availability=[])
    services.add_member(group=group, intake=newcomer, actor=staff, accept_warnings=True)

    today.move_to(at(datetime.date(2027, 5, 15), 18, 5))  # two days before the holiday
    assert jobs.remind_first_meetings() == {"reminders": 0}

    today.move_to(at(datetime.date(2027, 5, 16), 18, 0))  # two days before the new day
    assert jobs.remind_first_meetings() == {"reminders": 1}
    written = reminders_written().get()
    assert written.recipient == newcomer.email
    assert written.context["meeting_at"] == "2027-05-18T18:00:00+02:00"


# --- Moved and cancelled meetings ---------------------------------------------------


def test_a_cancelled_first_meeting_gets_no_reminder_and_the_next_one_does(group, staff, today):
    group_meetings.cancel_meeting(
        meeting=meeting(group, 1), reason="Rommet er opptatt", actor=staff
    )

    today.move_to(at(FIRST - 2 * DAY, 18, 5))
    assert jobs.remind_first_meetings() == {"reminders": 0}

    today.move_to(at(FIRST + WEEK - 2 * DAY, 18, 5))
    assert jobs.remind_first_meetings() == {"reminders": 6}
    assert {m.context["meeting_id"] for m in reminders_written()} == {meeting(group, 2).pk}


def test_a_moved_first_meeting_is_reminded_for_its_new_time_only(group, staff, today):
    group_meetings.move_meeting(meeting=meeting(group, 1), date=FIRST + 2 * DAY, actor=staff)

    today.move_to(at(FIRST - 2 * DAY, 18, 5))
    assert jobs.remind_first_meetings() == {"reminders": 0}

    today.move_to(at(FIRST, 18, 5))
    assert jobs.remind_first_meetings() == {"reminders": 6}
    assert {m.context["revision"] for m in reminders_written()} == {1}


def test_a_meeting_moved_after_its_reminder_gets_a_new_one_and_the_old_is_not_sent(
    group, staff, today
):
    today.move_to(at(FIRST - 2 * DAY, 18, 5))
    jobs.remind_first_meetings()  # written; the sweep has not sent them yet
    group_meetings.move_meeting(meeting=meeting(group, 1), date=FIRST + DAY, actor=staff)

    messaging.send_due_messages()
    assert set(reminders_written().values_list("status", flat=True)) == {"cancelled"}

    today.move_to(at(FIRST - DAY, 18, 5))
    assert jobs.remind_first_meetings() == {"reminders": 6}
    messaging.send_due_messages()
    assert reminders_written().filter(status="sent").count() == 6
    assert {m.context["revision"] for m in reminders_written().filter(status="sent")} == {1}


def test_a_reminder_written_before_its_meeting_was_cancelled_is_not_sent(group, staff, today):
    today.move_to(at(FIRST - 2 * DAY, 18, 5))
    jobs.remind_first_meetings()
    group_meetings.cancel_meeting(meeting=meeting(group, 1), reason="Sykdom", actor=staff)

    messaging.send_due_messages()
    assert set(reminders_written().values_list("status", flat=True)) == {"cancelled"}


def test_a_reminder_not_sent_before_the_meeting_began_is_never_sent(group, today):
    today.move_to(at(FIRST, 17, 55))
    jobs.remind_first_meetings()

    today.move_to(at(FIRST, 18, 1))
    messaging.send_due_messages()
    assert set(reminders_written().values_list("status", flat=True)) == {"cancelled"}


# --- Who ----------------------------------------------------------------------------


def test_members_who_left_are_not_reminded(group, staff, today):
    leaving = group.memberships.first()
    services.remove_member(
        membership=leaving,
        left_on=datetime.date(2027, 1, 4),
        reason="Flyttet",
        intake_status=Intake.Status.CLOSED,
        actor=staff,
    )
    today.move_to(at(FIRST - 2 * DAY, 18, 5))

    assert jobs.remind_first_meetings() == {"reminders": 5}
    assert leaving.pk not in {m.object_id for m in reminders_written()}


def test_members_are_reminded_by_the_channel_they_chose(make_person, form, today):
    texting = make_person("Sms Siri", phone="+4791234567", contact_by=Intake.ContactBy.SMS)
    calling = make_person("Ring Rolf", phone="+4798765432", gender="man")
    mailing = make_person("Epost Eli", phone="+4790000000", contact_by=Intake.ContactBy.EMAIL)
    others = [make_person(f"Person {n}", gender="man") for n in range(2)]
    form([texting, calling, mailing, *others], accept_warnings=True)
    today.move_to(at(FIRST - 2 * DAY, 18, 5))

    jobs.remind_first_meetings()

    channels = {m.recipient: m.channel for m in reminders_written()}
    assert channels["+4791234567"] == "sms"
    assert channels["+4798765432"] == "sms"  # a phone call is for staff; messages are texts
    assert channels[mailing.email] == "email"


def test_someone_who_joins_after_the_reminder_time_is_not_reminded_again(
    group, make_person, staff, today
):
    # Their welcome message, sent as they join, names the first meeting.
    today.move_to(at(FIRST - DAY, 9))
    newcomer = make_person("Gunn Nes")
    services.add_member(group=group, intake=newcomer, actor=staff, accept_warnings=True)

    jobs.remind_first_meetings()

    assert newcomer.email not in {m.recipient for m in reminders_written()}
    assert reminders_written().count() == 6


def test_members_of_a_cancelled_group_are_not_reminded(group, staff, today):
    services.cancel_group(group=group, actor=staff, reason="For få påmeldte")
    today.move_to(at(FIRST - 2 * DAY, 18, 5))

    assert jobs.remind_first_meetings() == {"reminders": 0}


def test_people_who_stopped_these_reminders_get_none(group, today):
    stopping = group.memberships.first()
    MessageOptOut.objects.create(
        content_type=ContentType.objects.get_for_model(stopping),
        object_id=stopping.pk,
        message_type=reminders.FIRST_MEETING_REMINDER,
    )
    today.move_to(at(FIRST - 2 * DAY, 18, 5))

    assert jobs.remind_first_meetings() == {"reminders": 5}
    assert stopping.pk not in {m.object_id for m in reminders_written()}


# --- What it says -------------------------------------------------------------------


@pytest.fixture
def sensitive_group(make_person, form):
    """A group whose members wrote a marker in their free text and chose a named theme."""
    theme = Theme.objects.create(name="Temamarkør sorg", is_other=False)
    people = [
        make_person(
            f"{name} Dal",
            about=f"{HEALTH_MARKER} noe jeg strever med",
            themes=[theme],
            phone="+4791112222" if index == 0 else "",
            contact_by=Intake.ContactBy.SMS,
            gender="woman" if index % 2 else "man",
        )
        for index, name in enumerate(["Anne", "Bjørn", "Cecilie", "David"])
    ]
    return form(people, kind="same", theme=theme, accept_warnings=True)


def test_reminders_say_where_and_when_with_a_stop_link_and_no_health_details(
    sensitive_group, today
):
    today.move_to(at(FIRST - 2 * DAY, 18, 5))
    jobs.remind_first_meetings()

    written = list(reminders_written())
    assert {m.channel for m in written} == {"sms", "email"}
    for message in written:
        rendered = render_message(message)
        text = rendered.subject + rendered.body
        assert "tirsdag 19. januar" in text and "18:00" in text
        assert "Arna frivilligsentral, møterom 2" in text
        assert "/stopp/" in rendered.body
        assert HEALTH_MARKER not in text and "Temamarkør" not in text
        assert HEALTH_MARKER not in str(message.context) and "Temamarkør" not in str(
            message.context
        )


def test_a_reminder_email_reads_well_in_norwegian(group, people, today):
    today.move_to(at(FIRST - 2 * DAY, 18, 5))
    jobs.remind_first_meetings()

    rendered = render_message(reminders_written().get(recipient=people[0].email))

    assert rendered.subject == "Påminnelse: ditt første møte i Tirsdagsgruppa er tirsdag 19. januar"
    assert rendered.body.startswith("Hei Anne,\n\nDette er en påminnelse om ditt første møte")
    assert "Vil du ikke ha slike påminnelser?" in rendered.body


# --- Query budget -------------------------------------------------------------------


@pytest.mark.parametrize("groups", [1, 4])
def test_the_reminder_job_costs_the_same_queries_for_one_group_as_for_many(
    groups, make_person, form, today, django_assert_max_num_queries
):
    for number in range(groups):
        people = [
            make_person(f"P{number}x{index} Ås", gender="man" if index % 2 else "woman")
            for index in range(6)
        ]
        form(people, name=f"Gruppe {number}", accept_warnings=True)
    today.move_to(at(FIRST - 2 * DAY, 18, 5))

    with django_assert_max_num_queries(7):
        assert jobs.remind_first_meetings() == {"reminders": 6 * groups}


@pytest.mark.parametrize("groups", [1, 4])
def test_the_sweep_checks_reminders_by_the_batch_not_one_by_one(
    groups, make_person, form, today, django_assert_max_num_queries
):
    for number in range(groups):
        people = [
            make_person(f"S{number}x{index} Ås", gender="man" if index % 2 else "woman")
            for index in range(6)
        ]
        form(people, name=f"Gruppe {number}", accept_warnings=True)
    today.move_to(at(FIRST - 2 * DAY, 18, 5))
    messaging.send_due_messages()  # the welcome messages
    jobs.remind_first_meetings()

    # Claiming and finishing each message, reading the member's link as it is
    # sent (groups.members.link_context: never stored in the outbox), and a
    # fixed number per batch of 100.
    with django_assert_max_num_queries(3 * 6 * groups + 8):
        assert messaging.send_due_messages() == {"sent": 6 * groups}


# --- The end of the 12-week commitment ----------------------------------------------

# FIRST is Tuesday 19 January 2027: the 12 weeks end on Monday 12 April.
ENDS = FIRST + 12 * WEEK - DAY


def test_members_are_told_on_the_day_their_twelve_weeks_end(group, people, today):
    today.move_to(at(ENDS - DAY, 23, 59))
    assert jobs.tell_commitment_ends() == {"commitment_ends": 0}

    today.move_to(at(ENDS, 0, 1))
    assert jobs.tell_commitment_ends() == {"commitment_ends": 6}
    assert {m.recipient for m in notices_written()} == {person.email for person in people}
    assert {m.context["ends_on"] for m in notices_written()} == {"2027-04-12"}


def test_telling_twice_writes_nothing_new(group, today):
    today.move_to(at(ENDS, 10))
    jobs.tell_commitment_ends()

    assert jobs.tell_commitment_ends() == {"commitment_ends": 0}


def test_a_late_run_tells_within_a_week_but_not_after(group, today):
    today.move_to(at(ENDS + 7 * DAY, 10))
    assert jobs.tell_commitment_ends() == {"commitment_ends": 0}

    today.move_to(at(ENDS + 6 * DAY, 10))
    assert jobs.tell_commitment_ends() == {"commitment_ends": 6}


def test_the_twelve_weeks_count_from_the_first_meeting_attended_when_recorded(group, today):
    late = group.memberships.first()
    late.first_attended_on = FIRST + 2 * WEEK
    late.save(update_fields=["first_attended_on"])

    today.move_to(at(ENDS, 10))
    assert jobs.tell_commitment_ends() == {"commitment_ends": 5}

    today.move_to(at(ENDS + 2 * WEEK, 10))
    assert jobs.tell_commitment_ends() == {"commitment_ends": 1}
    assert notices_written().get(object_id=late.pk).context["ends_on"] == "2027-04-26"


def test_a_cancelled_first_meeting_moves_the_end(group, staff, today):
    group_meetings.cancel_meeting(
        meeting=meeting(group, 1), reason="Rommet er opptatt", actor=staff
    )

    today.move_to(at(ENDS, 10))
    assert jobs.tell_commitment_ends() == {"commitment_ends": 0}

    today.move_to(at(ENDS + WEEK, 10))
    assert jobs.tell_commitment_ends() == {"commitment_ends": 6}


def test_members_who_left_are_not_told(group, staff, today):
    today.move_to(at(FIRST + 3 * WEEK, 10))
    services.remove_member(
        membership=group.memberships.first(),
        left_on=FIRST + 3 * WEEK,
        reason="Flyttet",
        intake_status=Intake.Status.CLOSED,
        actor=staff,
    )

    today.move_to(at(ENDS, 10))
    assert jobs.tell_commitment_ends() == {"commitment_ends": 5}


def test_the_day_is_the_oslo_day_across_the_clock_change(group_from, today):
    # A Tuesday group from 6 January 2026: the 12 weeks end on Monday 30 March,
    # the day after summer time starts. At 00:30 in Oslo it is 30 March, while
    # in UTC it is still 29 March.
    group_from(datetime.date(2026, 1, 6))

    today.move_to(at(datetime.date(2026, 3, 29), 23, 59))
    assert jobs.tell_commitment_ends() == {"commitment_ends": 0}

    today.move_to(at(datetime.date(2026, 3, 30), 0, 30))
    assert jobs.tell_commitment_ends() == {"commitment_ends": 4}


def test_the_notice_is_not_optional_and_carries_no_health_details(sensitive_group, today):
    today.move_to(at(ENDS, 10))
    jobs.tell_commitment_ends()

    for message in notices_written():
        rendered = render_message(message)
        text = rendered.subject + rendered.body
        assert "12 ukene" in text
        assert "/stopp/" not in text
        assert HEALTH_MARKER not in text and "Temamarkør" not in text


def test_the_notice_reads_well_in_norwegian(group, people, today):
    today.move_to(at(ENDS, 10))
    jobs.tell_commitment_ends()

    rendered = render_message(notices_written().get(recipient=people[0].email))

    assert rendered.subject == "Dine 12 uker i Tirsdagsgruppa"
    assert "mandag 12. april 2027" in rendered.body
    assert "Du er velkommen til å fortsette" in rendered.body


def test_staff_see_the_count_in_the_mornings_digest(group, centre, today):
    StaffFactory(centres=[centre], email="ansatt@arna.example")
    today.move_to(at(ENDS, 7))

    selvhjelp_jobs.staff_digest()

    digest = OutboundMessage.objects.get(
        message_type="staff_digest", recipient="ansatt@arna.example"
    )
    assert digest.context["commitments_ending"] == 6
    body = render_message(digest).body
    assert "6 deltakere" in body and "Tirsdagsgruppa" not in body


def test_no_digest_line_on_other_days(group, centre, today):
    StaffFactory(centres=[centre], email="ansatt@arna.example")
    today.move_to(at(ENDS + DAY, 7))

    assert reminders.count_commitments_ending(ENDS + DAY) == {}


@pytest.mark.parametrize("groups", [1, 4])
def test_the_notice_job_costs_the_same_queries_for_one_group_as_for_many(
    groups, make_person, form, today, django_assert_max_num_queries
):
    for number in range(groups):
        people = [
            make_person(f"Q{number}x{index} Ås", gender="man" if index % 2 else "woman")
            for index in range(5)
        ]
        form(people, name=f"Gruppe {number}", accept_warnings=True)
    today.move_to(at(ENDS, 10))

    with django_assert_max_num_queries(5):
        assert jobs.tell_commitment_ends() == {"commitment_ends": 5 * groups}


def test_an_ended_group_gets_no_notices(group, staff, today):
    today.move_to(at(FIRST + 4 * WEEK, 10))
    services.start_group(group=group, actor=staff)
    services.end_group(group=group, actor=staff, reason="Gruppa ble enige om å slutte")

    today.move_to(at(ENDS, 10))
    assert jobs.tell_commitment_ends() == {"commitment_ends": 0}
    assert Group.objects.get(pk=group.pk).status == Group.Status.ENDED
