"""Facilitators' reminders before the meetings they attend and before a follow-up is due.

The clock is moved with time-machine; the jobs are called as beat calls them
(through facilitators.jobs, with no arguments).
"""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType

from facilitators import jobs, reminders, services
from facilitators.models import Assignment, FollowUp
from groups import meetings as group_meetings
from groups import schedule
from selvhjelp import messaging
from selvhjelp.messaging import render_message
from selvhjelp.models import MessageOptOut, OutboundMessage
from tests.facilitators.conftest import FIRST, at
from tests.factories import FacilitatorFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
WEEK = datetime.timedelta(weeks=1)
FOLLOW_UP_DUE = datetime.date(2027, 2, 16)  # the day of the group's fifth meeting
HEALTH_MARKER = "HELSEMARKØR-9c1e"


def meeting_reminders():
    return OutboundMessage.objects.filter(message_type=reminders.MEETING_REMINDER)


def follow_up_reminders():
    return OutboundMessage.objects.filter(message_type=reminders.FOLLOW_UP_REMINDER)


def meeting(group, sequence):
    return group.meetings.get(sequence=sequence)


def stop(assignment, message_type):
    MessageOptOut.objects.create(
        content_type=ContentType.objects.get_for_model(Assignment),
        object_id=assignment.pk,
        message_type=message_type,
    )


@pytest.fixture
def group_from(make_group, clock):
    """A group meeting weekly at 18:00 from `first`, formed three weeks before.

    Public holidays in its first 12 weeks are cancelled unless `holiday_choices` says otherwise.
    """

    def make(first, **frame):
        clock.move_to(at(first - 3 * WEEK, 10))
        holidays = schedule.holidays_in(group_meetings.proposed_schedule(first))
        frame.setdefault("holiday_choices", {item.sequence: ("cancel", None) for item in holidays})
        return make_group(weekday=first.weekday(), first_meeting=first, **frame)

    return make


@pytest.fixture
def assign(staff):
    def make(group, facilitator, meetings_attended=1):
        return services.assign_facilitator(
            group=group, facilitator=facilitator, meetings_attended=meetings_attended, actor=staff
        )

    return make


# --- Before a meeting -----------------------------------------------------------------


def test_reminds_the_facilitator_two_days_before_each_meeting_they_attend(
    group, facilitator, assign, clock
):
    assign(group, facilitator, meetings_attended=2)

    clock.move_to(at(FIRST - 2 * DAY, 17, 59))
    assert jobs.remind_facilitators_of_meetings() == {"meeting_reminders": 0}

    clock.move_to(at(FIRST - 2 * DAY, 18, 0))
    assert jobs.remind_facilitators_of_meetings() == {"meeting_reminders": 1}

    clock.move_to(at(FIRST + WEEK - 2 * DAY, 18, 0))
    assert jobs.remind_facilitators_of_meetings() == {"meeting_reminders": 1}

    clock.move_to(at(FIRST + 2 * WEEK - 2 * DAY, 18, 0))
    assert jobs.remind_facilitators_of_meetings() == {"meeting_reminders": 0}

    assert {m.recipient for m in meeting_reminders()} == {facilitator.user.email}
    assert [m.context["first_meeting"] for m in meeting_reminders().order_by("due_at")] == [
        True,
        False,
    ]


def test_each_facilitator_gets_their_own_reminder(
    group, facilitator, other_facilitator, assign, clock
):
    assign(group, facilitator)
    assign(group, other_facilitator)
    clock.move_to(at(FIRST - 2 * DAY, 18, 5))

    assert jobs.remind_facilitators_of_meetings() == {"meeting_reminders": 2}
    assert {m.recipient for m in meeting_reminders()} == {
        facilitator.user.email,
        other_facilitator.user.email,
    }


def test_a_second_run_writes_nothing(group, facilitator, assign, clock):
    assign(group, facilitator)
    clock.move_to(at(FIRST - 2 * DAY, 18, 5))
    jobs.remind_facilitators_of_meetings()

    assert jobs.remind_facilitators_of_meetings() == {"meeting_reminders": 0}


def test_a_late_run_reminds_before_the_meeting_but_not_after_it_began(
    group, facilitator, assign, clock
):
    assign(group, facilitator)

    clock.move_to(at(FIRST, 18, 0))
    assert jobs.remind_facilitators_of_meetings() == {"meeting_reminders": 0}

    clock.move_to(at(FIRST, 17, 30))
    assert jobs.remind_facilitators_of_meetings() == {"meeting_reminders": 1}


def test_withdrawn_and_inactive_facilitators_are_not_reminded(
    group, facilitator, other_facilitator, assign, staff, clock
):
    services.withdraw_facilitator(assignment=assign(group, facilitator), actor=staff)
    assign(group, other_facilitator)
    other_facilitator.active = False
    other_facilitator.save(update_fields=["active"])
    clock.move_to(at(FIRST - 2 * DAY, 18, 5))

    assert jobs.remind_facilitators_of_meetings() == {"meeting_reminders": 0}


def test_when_a_meeting_they_attend_is_cancelled_the_next_one_takes_its_place(
    group, facilitator, assign, staff, clock
):
    assign(group, facilitator)
    group_meetings.cancel_meeting(
        meeting=meeting(group, 1), reason="Rommet er opptatt", actor=staff
    )

    clock.move_to(at(FIRST - 2 * DAY, 18, 5))
    assert jobs.remind_facilitators_of_meetings() == {"meeting_reminders": 0}

    clock.move_to(at(FIRST + WEEK - 2 * DAY, 18, 5))
    assert jobs.remind_facilitators_of_meetings() == {"meeting_reminders": 1}
    assert meeting_reminders().get().context["meeting_id"] == meeting(group, 2).pk


def test_a_meeting_moved_after_its_reminder_gets_a_new_one_and_the_old_is_not_sent(
    group, facilitator, assign, staff, clock
):
    assign(group, facilitator)
    clock.move_to(at(FIRST - 2 * DAY, 18, 5))
    jobs.remind_facilitators_of_meetings()
    group_meetings.move_meeting(meeting=meeting(group, 1), date=FIRST + DAY, actor=staff)

    messaging.send_due_messages()
    assert meeting_reminders().get().status == OutboundMessage.Status.CANCELLED

    clock.move_to(at(FIRST - DAY, 18, 5))
    assert jobs.remind_facilitators_of_meetings() == {"meeting_reminders": 1}
    messaging.send_due_messages()
    sent = meeting_reminders().get(status=OutboundMessage.Status.SENT)
    assert sent.context["meeting_at"] == "2027-01-20T18:00:00+01:00"


def test_a_meeting_moved_off_a_public_holiday_is_reminded_for_its_new_day(
    group_from, facilitator, assign, clock
):
    # Monday 17 May 2027 is Constitution Day: the second meeting moves to Tuesday 18 May.
    group = group_from(
        datetime.date(2027, 5, 10), holiday_choices={2: ("move", datetime.date(2027, 5, 18))}
    )
    assign(group, facilitator, meetings_attended=2)

    clock.move_to(at(datetime.date(2027, 5, 15), 18, 5))
    assert jobs.remind_facilitators_of_meetings() == {"meeting_reminders": 0}

    clock.move_to(at(datetime.date(2027, 5, 16), 18, 0))
    assert jobs.remind_facilitators_of_meetings() == {"meeting_reminders": 1}
    assert meeting_reminders().get().context["meeting_at"] == "2027-05-18T18:00:00+02:00"


def test_clocks_going_back_keep_the_reminder_at_the_meetings_clock_time(
    group_from, facilitator, assign, clock
):
    # Winter time starts at 03:00 on Sunday 31 October 2027. A meeting on
    # Monday 1 November at 18:00 is reminded on Saturday 30 October at 18:00
    # (summer time), 49 hours before.
    group = group_from(datetime.date(2027, 11, 1))
    assign(group, facilitator)

    clock.move_to(at(datetime.date(2027, 10, 30), 17, 59))
    assert jobs.remind_facilitators_of_meetings() == {"meeting_reminders": 0}

    clock.move_to(at(datetime.date(2027, 10, 30), 18, 0))
    assert jobs.remind_facilitators_of_meetings() == {"meeting_reminders": 1}


def test_clocks_going_forward_keep_the_reminder_at_the_meetings_clock_time(
    group_from, facilitator, assign, clock
):
    # Summer time starts at 02:00 on Sunday 29 March 2026: a meeting on
    # Monday 30 March at 18:00 is reminded on Saturday 28 March at 18:00, 47 hours before.
    group = group_from(datetime.date(2026, 3, 30))
    assign(group, facilitator)

    clock.move_to(at(datetime.date(2026, 3, 28), 17, 30))
    assert jobs.remind_facilitators_of_meetings() == {"meeting_reminders": 0}

    clock.move_to(at(datetime.date(2026, 3, 28), 18, 0))
    assert jobs.remind_facilitators_of_meetings() == {"meeting_reminders": 1}


def test_a_facilitator_who_stopped_these_reminders_for_the_group_gets_none(
    group, facilitator, other_facilitator, assign, clock
):
    stop(assign(group, facilitator), reminders.MEETING_REMINDER)
    assign(group, other_facilitator)
    clock.move_to(at(FIRST - 2 * DAY, 18, 5))

    assert jobs.remind_facilitators_of_meetings() == {"meeting_reminders": 1}
    assert meeting_reminders().get().recipient == other_facilitator.user.email


def test_a_facilitator_without_email_gets_an_sms(group, centre, assign, clock):
    texting = FacilitatorFactory(centres=[centre], user__email="", phone="+4795556666")
    assign(group, texting)
    clock.move_to(at(FIRST - 2 * DAY, 18, 5))

    jobs.remind_facilitators_of_meetings()

    reminder = meeting_reminders().get()
    assert (reminder.channel, reminder.recipient) == ("sms", "+4795556666")
    assert "/stopp/" in render_message(reminder).body


def test_the_meeting_reminder_says_where_and_when_and_nothing_about_the_participants(
    make_group, facilitator, assign, clock
):
    group = make_group(members=["Anne", "Bjørn", "Cecilie", "David"])
    for membership in group.memberships.select_related("intake"):
        membership.intake.about = f"{HEALTH_MARKER} noe vanskelig"
        membership.intake.save(update_fields=["about"])
    assign(group, facilitator)
    clock.move_to(at(FIRST - 2 * DAY, 18, 5))
    jobs.remind_facilitators_of_meetings()

    rendered = render_message(meeting_reminders().get())

    assert rendered.subject == "Påminnelse: møte i Tirsdagsgruppa tirsdag 19. januar"
    assert "første møtet i gruppa «Tirsdagsgruppa»: tirsdag 19. januar 2027 kl. 18:00" in (
        rendered.body
    )
    assert "Arna frivilligsentral, møterom 2" in rendered.body
    assert "/igangsetter/" in rendered.body and "/stopp/" in rendered.body
    for name in ("Anne", "Bjørn", "Cecilie", "David", "Kvamsdal", HEALTH_MARKER):
        assert name not in rendered.subject + rendered.body


@pytest.mark.parametrize("groups", [1, 4])
def test_the_meeting_job_costs_the_same_queries_for_one_group_as_for_many(
    groups, make_group, centre, assign, clock, django_assert_max_num_queries
):
    for number in range(groups):
        group = make_group(f"Gruppe {number}")
        assign(group, FacilitatorFactory(centres=[centre]), meetings_attended=2)
        assign(group, FacilitatorFactory(centres=[centre]))
    clock.move_to(at(FIRST - 2 * DAY, 18, 5))

    with django_assert_max_num_queries(7):
        assert jobs.remind_facilitators_of_meetings() == {"meeting_reminders": 2 * groups}


# --- Before a follow-up -----------------------------------------------------------------


def test_reminds_the_groups_facilitators_two_days_before_the_follow_up_at_nine(
    group, facilitator, other_facilitator, assign, clock
):
    assign(group, facilitator)
    assign(group, other_facilitator)
    assert group.follow_ups.get().due_on == FOLLOW_UP_DUE

    clock.move_to(at(FOLLOW_UP_DUE - 2 * DAY, 8, 59))
    assert jobs.remind_facilitators_of_follow_ups() == {"follow_up_reminders": 0}

    clock.move_to(at(FOLLOW_UP_DUE - 2 * DAY, 9, 0))
    assert jobs.remind_facilitators_of_follow_ups() == {"follow_up_reminders": 2}
    assert {m.recipient for m in follow_up_reminders()} == {
        facilitator.user.email,
        other_facilitator.user.email,
    }


def test_the_hour_and_the_days_before_are_settings(group, facilitator, assign, clock, settings):
    settings.FOLLOW_UP_REMINDER_HOUR = 14
    settings.FACILITATOR_REMINDER_DAYS = 3
    assign(group, facilitator)

    clock.move_to(at(FOLLOW_UP_DUE - 3 * DAY, 13, 59))
    assert jobs.remind_facilitators_of_follow_ups() == {"follow_up_reminders": 0}

    clock.move_to(at(FOLLOW_UP_DUE - 3 * DAY, 14, 0))
    assert jobs.remind_facilitators_of_follow_ups() == {"follow_up_reminders": 1}


def test_a_second_follow_up_run_writes_nothing(group, facilitator, assign, clock):
    assign(group, facilitator)
    clock.move_to(at(FOLLOW_UP_DUE - 2 * DAY, 9, 5))
    jobs.remind_facilitators_of_follow_ups()

    assert jobs.remind_facilitators_of_follow_ups() == {"follow_up_reminders": 0}


def test_a_late_run_reminds_on_the_due_day_but_not_after_it(group, facilitator, assign, clock):
    assign(group, facilitator)

    clock.move_to(at(FOLLOW_UP_DUE + DAY, 0, 5))
    assert jobs.remind_facilitators_of_follow_ups() == {"follow_up_reminders": 0}

    clock.move_to(at(FOLLOW_UP_DUE, 23, 0))
    assert jobs.remind_facilitators_of_follow_ups() == {"follow_up_reminders": 1}


def test_a_follow_up_already_done_is_not_reminded(group, facilitator, assign, clock):
    assign(group, facilitator)
    clock.move_to(at(FOLLOW_UP_DUE - 2 * DAY, 8))
    services.complete_follow_up(
        follow_up=group.follow_ups.get(),
        done_on=FOLLOW_UP_DUE - 2 * DAY,
        outcome=FollowUp.Outcome.GOING_WELL,
        actor=facilitator.user,
    )

    clock.move_to(at(FOLLOW_UP_DUE - 2 * DAY, 9, 5))
    assert jobs.remind_facilitators_of_follow_ups() == {"follow_up_reminders": 0}


def test_a_follow_up_that_moves_is_reminded_for_its_new_date(
    group, facilitator, assign, staff, clock
):
    assign(group, facilitator)
    group_meetings.cancel_meeting(
        meeting=meeting(group, 2), reason="Rommet er opptatt", actor=staff
    )
    new_due = FOLLOW_UP_DUE + WEEK

    clock.move_to(at(FOLLOW_UP_DUE - 2 * DAY, 9, 5))
    assert jobs.remind_facilitators_of_follow_ups() == {"follow_up_reminders": 0}

    clock.move_to(at(new_due - 2 * DAY, 9, 5))
    assert jobs.remind_facilitators_of_follow_ups() == {"follow_up_reminders": 1}
    assert follow_up_reminders().get().context["due_on"] == new_due.isoformat()


def test_a_follow_up_moved_after_its_reminder_is_reminded_again_and_the_old_is_not_sent(
    make_group, facilitator, assign, staff, clock, settings
):
    # Due the day after the fourth meeting, so that meeting is still ahead
    # when the reminder is written.
    settings.FOLLOW_UP_OFFSET_DAYS = 1
    group = make_group()
    assign(group, facilitator)
    fourth = FIRST + 3 * WEEK
    clock.move_to(at(fourth - DAY, 9, 5))
    assert jobs.remind_facilitators_of_follow_ups() == {"follow_up_reminders": 1}
    group_meetings.cancel_meeting(meeting=meeting(group, 4), reason="Sykdom", actor=staff)

    messaging.send_due_messages()
    assert follow_up_reminders().get().status == OutboundMessage.Status.CANCELLED

    clock.move_to(at(fourth + WEEK - DAY, 9, 5))
    assert jobs.remind_facilitators_of_follow_ups() == {"follow_up_reminders": 1}
    messaging.send_due_messages()
    sent = follow_up_reminders().get(status=OutboundMessage.Status.SENT)
    assert sent.context["due_on"] == (fourth + WEEK + DAY).isoformat()


def test_the_visit_a_group_asked_for_is_reminded_too(group, facilitator, assign, clock):
    assign(group, facilitator)
    visit_on = datetime.date(2027, 1, 20)
    services.complete_follow_up(
        follow_up=group.follow_ups.get(),
        done_on=datetime.date(2027, 1, 4),
        outcome=FollowUp.Outcome.INVITED_BACK,
        visit_on=visit_on,
        actor=facilitator.user,
    )

    clock.move_to(at(visit_on - 2 * DAY, 9, 5))
    assert jobs.remind_facilitators_of_follow_ups() == {"follow_up_reminders": 1}
    rendered = render_message(follow_up_reminders().get())
    assert "besøket gruppa «Tirsdagsgruppa» har bedt om, onsdag 20. januar 2027" in rendered.body


def test_the_follow_up_reminder_names_group_and_date_and_never_the_note(
    group, facilitator, assign, clock
):
    assign(group, facilitator)
    clock.move_to(at(FOLLOW_UP_DUE - 2 * DAY, 9, 5))
    jobs.remind_facilitators_of_follow_ups()

    rendered = render_message(follow_up_reminders().get())

    assert rendered.subject == "Påminnelse: oppfølging av Tirsdagsgruppa tirsdag 16. februar"
    assert "etter de fire første møtene skal skje tirsdag 16. februar 2027" in rendered.body
    assert "/igangsetter/" in rendered.body and "/stopp/" in rendered.body


def test_a_facilitator_who_stopped_follow_up_reminders_still_gets_meeting_reminders(
    group, facilitator, assign, clock
):
    stop(assign(group, facilitator), reminders.FOLLOW_UP_REMINDER)

    clock.move_to(at(FIRST - 2 * DAY, 18, 5))
    assert jobs.remind_facilitators_of_meetings() == {"meeting_reminders": 1}

    clock.move_to(at(FOLLOW_UP_DUE - 2 * DAY, 9, 5))
    assert jobs.remind_facilitators_of_follow_ups() == {"follow_up_reminders": 0}


@pytest.mark.parametrize("groups", [1, 4])
def test_the_follow_up_job_costs_the_same_queries_for_one_group_as_for_many(
    groups, make_group, centre, assign, clock, django_assert_max_num_queries
):
    for number in range(groups):
        group = make_group(f"Gruppe {number}")
        assign(group, FacilitatorFactory(centres=[centre]))
        assign(group, FacilitatorFactory(centres=[centre]))
    clock.move_to(at(FOLLOW_UP_DUE - 2 * DAY, 9, 5))

    with django_assert_max_num_queries(7):
        assert jobs.remind_facilitators_of_follow_ups() == {"follow_up_reminders": 2 * groups}
