"""The weekly schedule in Oslo time: public holidays, daylight saving, rolling forward."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from groups import meetings as group_meetings
from groups import schedule, services
from groups.models import Group, GroupRuleError
from selvhjelp.dates import OSLO, local_start
from selvhjelp.models import OutboundMessage

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
D = datetime.date


def at(date, hour=18):
    return datetime.datetime.combine(date, datetime.time(hour), tzinfo=OSLO)


def holidays_of(first):
    return [
        (m.sequence, m.date, m.holiday)
        for m in schedule.holidays_in(group_meetings.proposed_schedule(first))
    ]


# --- Which meetings fall on a public holiday ------------------------------------------


def test_a_thursday_group_meets_maundy_thursday_and_ascension_day_2027():
    assert holidays_of(D(2027, 3, 4)) == [
        (4, D(2027, 3, 25), "Skjærtorsdag"),
        (10, D(2027, 5, 6), "Kristi himmelfartsdag"),
    ]


def test_a_monday_group_meets_easter_monday_and_17_may_2027():
    assert holidays_of(D(2027, 3, 1)) == [
        (5, D(2027, 3, 29), "Andre påskedag"),
        (12, D(2027, 5, 17), "Andre pinsedag; Grunnlovsdag"),
    ]


def test_a_friday_group_meets_christmas_day_and_new_years_day():
    assert holidays_of(D(2026, 12, 4)) == [
        (4, D(2026, 12, 25), "Første juledag"),
        (5, D(2027, 1, 1), "Første nyttårsdag"),
    ]


def test_a_tuesday_group_in_winter_meets_no_holiday():
    assert holidays_of(D(2027, 1, 19)) == []


# --- Forming a group with holidays in its schedule ----------------------------------------


@pytest.fixture
def monday(frame):
    return {
        **frame,
        "name": "Mandagsgruppa",
        "weekday": 0,
        "first_meeting": D(2027, 3, 1),
        "accept_warnings": True,  # the people suit Tuesdays
    }


def test_forming_asks_what_happens_to_each_holiday(form, people, monday):
    with pytest.raises(GroupRuleError) as raised:
        form(people, **monday)

    assert raised.value.messages == [
        "Velg om møtet 29. mars 2027 (Andre påskedag) skal avlyses eller flyttes.",
        "Velg om møtet 17. mai 2027 (Andre pinsedag; Grunnlovsdag) skal avlyses eller flyttes.",
    ]
    assert not Group.objects.exists()


def test_a_holiday_is_cancelled_or_moved_as_chosen_and_shown(form, people, monday):
    group = form(
        people,
        **monday,
        holiday_choices={5: ("cancel", None), 12: ("move", D(2027, 5, 18))},
    )

    easter = group.meetings.get(sequence=5)
    assert easter.cancelled
    assert easter.start == at(D(2027, 3, 29))
    assert easter.holiday == "Andre påskedag"
    assert easter.cancelled_reason == "Helligdag: Andre påskedag"
    may = group.meetings.get(sequence=12)
    assert not may.cancelled
    assert may.start == at(D(2027, 5, 18))
    assert may.moved_from == at(D(2027, 5, 17))
    assert may.holiday == "Andre pinsedag; Grunnlovsdag"
    assert group.meetings.count() == 12  # never silently dropped


@pytest.mark.parametrize(
    ("new_date", "message"),
    [
        (None, "Velg datoen møtet 17. mai 2027"),
        (D(2027, 5, 1), "også en helligdag"),
        (D(2027, 5, 10), "har allerede et møte 10. mai 2027"),
        (D(2027, 1, 1), "også en helligdag"),
        (D(2027, 1, 2), "har vært"),
    ],
)
def test_a_holiday_is_not_moved_to_a_date_that_makes_no_sense(
    form, people, monday, new_date, message
):
    with pytest.raises(GroupRuleError, match=message):
        form(people, **monday, holiday_choices={5: ("cancel", None), 12: ("move", new_date)})


def test_christmas_and_new_year_for_a_friday_group(form, people, frame, today):
    today.move_to(datetime.datetime(2026, 11, 20, 10, tzinfo=OSLO))
    for person in people:
        person.availability.add(*person.availability.model.objects.filter(weekday=4))

    group = form(
        people,
        weekday=4,
        first_meeting=D(2026, 12, 4),
        holiday_choices={4: ("move", D(2026, 12, 23)), 5: ("cancel", None)},
    )

    assert group.meetings.get(sequence=4).start == at(D(2026, 12, 23))
    assert group.meetings.get(sequence=5).cancelled
    assert group.meetings.get(sequence=6).start == at(D(2027, 1, 8))


# --- Daylight saving -------------------------------------------------------------------


def test_meetings_stay_at_18_local_across_the_spring_change(form, people, frame):
    # Summer time starts on Sunday 28 March 2027 at 02:00.
    for person in people:
        person.availability.add(*person.availability.model.objects.filter(weekday=5))
    group = form(
        people, weekday=5, first_meeting=D(2027, 3, 20), holiday_choices={7: ("cancel", None)}
    )

    before, after = (group.meetings.get(sequence=n).start for n in (2, 3))

    assert before.astimezone(UTC) == datetime.datetime(2027, 3, 27, 17, tzinfo=UTC)
    assert after.astimezone(UTC) == datetime.datetime(2027, 4, 3, 16, tzinfo=UTC)
    assert after - before == datetime.timedelta(days=7, hours=-1)
    assert {m.local_start.time() for m in group.meetings.all()} == {datetime.time(18)}


def test_meetings_stay_at_18_local_across_the_autumn_change(form, people, frame, today):
    # Summer time ends on Sunday 31 October 2027 at 03:00; that Sunday is no holiday.
    today.move_to(datetime.datetime(2027, 9, 1, 10, tzinfo=OSLO))
    for person in people:
        person.availability.add(*person.availability.model.objects.filter(weekday=6))
    group = form(
        people, weekday=6, first_meeting=D(2027, 10, 17), holiday_choices={11: ("cancel", None)}
    )

    starts = [group.meetings.get(sequence=n).start.astimezone(UTC) for n in (2, 3)]

    assert starts == [
        datetime.datetime(2027, 10, 24, 16, tzinfo=UTC),
        datetime.datetime(2027, 10, 31, 17, tzinfo=UTC),
    ]


def test_a_time_that_does_not_exist_on_the_spring_night_is_still_a_time():
    start = local_start(D(2027, 3, 28), datetime.time(2, 30))

    assert start.astimezone(UTC) == datetime.datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


# --- Rolling forward -----------------------------------------------------------------------


@pytest.fixture
def thursday_group(form, people, frame):
    for person in people:
        person.availability.add(*person.availability.model.objects.filter(weekday=3))
    # Meetings 4 Feb .. 22 April; number 8 is Maundy Thursday.
    return form(
        people,
        weekday=3,
        first_meeting=D(2027, 2, 4),
        holiday_choices={8: ("cancel", None)},
    )


def test_the_schedule_rolls_forward_to_keep_eight_meetings_ahead(thursday_group, today):
    today.move_to(datetime.datetime(2027, 4, 1, 10, tzinfo=OSLO))

    created = group_meetings.extend_schedules()

    assert created == 5
    upcoming = thursday_group.meetings.filter(start__gt=at(D(2027, 4, 1), 10))
    assert upcoming.filter(cancelled=False).count() == 8
    assert list(upcoming.values_list("sequence", flat=True)) == list(range(9, 18))


def test_a_holiday_met_while_rolling_forward_is_cancelled_shown_and_told(thursday_group, today):
    today.move_to(datetime.datetime(2027, 4, 1, 10, tzinfo=OSLO))

    group_meetings.extend_schedules()

    ascension = thursday_group.meetings.get(start=at(D(2027, 5, 6)))
    assert ascension.cancelled
    assert ascension.holiday == "Kristi himmelfartsdag"
    messages = OutboundMessage.objects.filter(
        message_type="group_meeting_cancelled", object_id=ascension.pk
    )
    assert messages.count() == 6
    assert messages[0].context["holiday"] == "Kristi himmelfartsdag"


def test_rolling_forward_twice_adds_nothing_more(thursday_group, today):
    today.move_to(datetime.datetime(2027, 4, 1, 10, tzinfo=OSLO))
    group_meetings.extend_schedules()
    count = thursday_group.meetings.count()

    assert group_meetings.extend_schedules() == 0
    assert thursday_group.meetings.count() == count


def test_a_new_group_already_has_enough_meetings(thursday_group):
    assert group_meetings.extend_schedules() == 0


def test_ended_and_cancelled_groups_do_not_roll_forward(thursday_group, today):
    Group.objects.filter(pk=thursday_group.pk).update(status=Group.Status.ENDED)
    today.move_to(datetime.datetime(2027, 6, 1, 10, tzinfo=OSLO))

    assert group_meetings.extend_schedules() == 0


def test_the_job_starts_groups_that_have_met_and_rolls_forward(thursday_group, today):
    today.move_to(datetime.datetime(2027, 4, 1, 10, tzinfo=OSLO))
    out = StringIO()

    call_command("extend_group_schedules", stdout=out)

    thursday_group.refresh_from_db()
    assert thursday_group.status == Group.Status.STARTED
    assert thursday_group.started_on == D(2027, 4, 1)
    assert "Groups started: 1. Meetings added: 5." in out.getvalue()


def test_the_job_leaves_a_group_too_small_to_start_planned(thursday_group, people, staff, today):
    from intake.models import Intake

    for person in people[:3]:
        services.remove_member(
            membership=thursday_group.memberships.get(intake=person),
            left_on=D(2027, 1, 4),
            reason="Flyttet",
            intake_status=Intake.Status.CLOSED,
            actor=staff,
        )
    today.move_to(datetime.datetime(2027, 2, 5, 10, tzinfo=OSLO))

    result = services.roll_forward()

    thursday_group.refresh_from_db()
    assert thursday_group.status == Group.Status.PLANNED
    assert result["started"] == 0


def test_the_periodic_job_runs_the_same_roll_forward(thursday_group, today):
    from selvhjelp.jobs import run_job

    today.move_to(datetime.datetime(2027, 4, 1, 10, tzinfo=OSLO))

    assert run_job("roll_groups_forward") == {"started": 1, "meetings": 5}
    assert run_job("roll_groups_forward") == {"started": 0, "meetings": 0}
