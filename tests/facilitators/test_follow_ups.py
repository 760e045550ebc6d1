"""The follow-up after four meetings: its due date, completing it, and the visit on request."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from facilitators import services
from facilitators.models import FollowUp
from groups import meetings as group_meetings
from tests.facilitators.conftest import FIRST, NOW
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

WEEK = datetime.timedelta(weeks=1)
FOURTH = FIRST + 3 * WEEK  # Tuesday 9 February 2027


def follow_up_of(group):
    return group.follow_ups.get(kind=FollowUp.Kind.START_UP)


# --- The due date -------------------------------------------------------------------


def test_forming_a_group_creates_its_follow_up_on_the_day_of_the_fifth_meeting(group):
    follow_up = follow_up_of(group)

    assert follow_up.due_on == FOURTH + WEEK == datetime.date(2027, 2, 16)
    assert not follow_up.is_done
    assert follow_up.revision == 0


def test_the_offset_after_the_fourth_meeting_is_a_setting(make_group, settings):
    settings.FOLLOW_UP_OFFSET_DAYS = 3

    assert follow_up_of(make_group()).due_on == FOURTH + datetime.timedelta(3)


def test_creating_the_follow_up_twice_keeps_one(group):
    again = services.create_follow_up(group=group)

    assert group.follow_ups.count() == 1
    assert again == follow_up_of(group)


def test_a_cancelled_meeting_among_the_first_four_moves_it_a_week(group, staff):
    second = group.meetings.get(sequence=2)

    group_meetings.cancel_meeting(meeting=second, reason="Lokalet er opptatt", actor=staff)

    follow_up = follow_up_of(group)
    assert follow_up.due_on == FOURTH + 2 * WEEK
    assert follow_up.revision == 1


def test_a_cancelled_meeting_after_the_fourth_does_not_move_it(group, staff):
    sixth = group.meetings.get(sequence=6)

    group_meetings.cancel_meeting(meeting=sixth, reason="Vinterferie", actor=staff)

    follow_up = follow_up_of(group)
    assert follow_up.due_on == FOURTH + WEEK
    assert follow_up.revision == 0


def test_moving_the_fourth_meeting_moves_it_along(group, staff):
    fourth = group.meetings.get(sequence=4)

    group_meetings.move_meeting(meeting=fourth, date=FOURTH + datetime.timedelta(2), actor=staff)

    assert follow_up_of(group).due_on == FOURTH + datetime.timedelta(2) + WEEK


def test_moving_a_cancelled_meeting_back_in_restores_it(group, staff):
    second = group.meetings.get(sequence=2)
    group_meetings.cancel_meeting(meeting=second, reason="Lokalet er opptatt", actor=staff)

    group_meetings.move_meeting(
        meeting=second, date=FIRST + WEEK + datetime.timedelta(1), actor=staff
    )

    follow_up = follow_up_of(group)
    assert follow_up.due_on == FOURTH + WEEK
    assert follow_up.revision == 2


def test_a_public_holiday_among_the_first_meetings_counts_as_not_held(make_group):
    # Thursdays from 11 March 2027: 25 March is Maundy Thursday (skjærtorsdag).
    first = datetime.date(2027, 3, 11)
    group = make_group(
        "Torsdagsgruppa",
        weekday=3,
        first_meeting=first,
        holiday_choices={3: ("cancel", None), 9: ("cancel", None)},
    )

    assert follow_up_of(group).due_on == datetime.date(2027, 4, 8) + WEEK


def test_a_follow_up_already_done_keeps_its_date(group, staff):
    follow_up = follow_up_of(group)
    services.complete_follow_up(
        follow_up=follow_up,
        done_on=NOW.date(),
        outcome=FollowUp.Outcome.GOING_WELL,
        actor=staff,
    )

    group_meetings.cancel_meeting(
        meeting=group.meetings.get(sequence=2), reason="Lokalet er opptatt", actor=staff
    )

    assert follow_up_of(group).due_on == FOURTH + WEEK


# --- Completing it ------------------------------------------------------------------


def test_the_facilitator_records_date_outcome_and_note(assignment, group, facilitator):
    follow_up = services.complete_follow_up(
        follow_up=follow_up_of(group),
        done_on=NOW.date(),
        outcome=FollowUp.Outcome.NEEDS_SUPPORT,
        note="  Ønsker hjelp til   å finne nytt rom. ",
        actor=facilitator.user,
    )

    follow_up.refresh_from_db()
    assert follow_up.done_on == NOW.date()
    assert follow_up.done_by == facilitator.user
    assert follow_up.outcome == FollowUp.Outcome.NEEDS_SUPPORT
    assert follow_up.note == "Ønsker hjelp til å finne nytt rom."
    assert follow_up.revision == 1
    assert not group.follow_ups.filter(kind=FollowUp.Kind.VISIT).exists()


def test_invited_back_creates_a_visit_with_its_own_date(assignment, group, facilitator):
    visit_on = NOW.date() + 3 * WEEK
    follow_up = services.complete_follow_up(
        follow_up=follow_up_of(group),
        done_on=NOW.date(),
        outcome=FollowUp.Outcome.INVITED_BACK,
        visit_on=visit_on,
        actor=facilitator.user,
    )

    visit = group.follow_ups.get(kind=FollowUp.Kind.VISIT)
    assert visit.due_on == visit_on
    assert visit.requested_by == follow_up
    assert not visit.is_done


def test_a_visit_can_itself_lead_to_another_visit(assignment, group, facilitator):
    services.complete_follow_up(
        follow_up=follow_up_of(group),
        done_on=NOW.date(),
        outcome=FollowUp.Outcome.INVITED_BACK,
        visit_on=NOW.date() + WEEK,
        actor=facilitator.user,
    )
    visit = group.follow_ups.get(kind=FollowUp.Kind.VISIT)

    services.complete_follow_up(
        follow_up=visit,
        done_on=NOW.date(),
        outcome=FollowUp.Outcome.INVITED_BACK,
        visit_on=NOW.date() + 2 * WEEK,
        actor=facilitator.user,
    )

    assert group.follow_ups.filter(kind=FollowUp.Kind.VISIT).count() == 2


def test_invited_back_needs_the_date_of_the_visit(assignment, group, facilitator):
    with pytest.raises(services.FacilitatorError) as error:
        services.complete_follow_up(
            follow_up=follow_up_of(group),
            done_on=NOW.date(),
            outcome=FollowUp.Outcome.INVITED_BACK,
            actor=facilitator.user,
        )

    assert error.value.messages == ["Skriv inn datoen for besøket gruppen ba om."]
    assert not follow_up_of(group).is_done


def test_a_visit_cannot_be_in_the_past(assignment, group, facilitator):
    with pytest.raises(services.FacilitatorError):
        services.complete_follow_up(
            follow_up=follow_up_of(group),
            done_on=NOW.date(),
            outcome=FollowUp.Outcome.INVITED_BACK,
            visit_on=NOW.date() - datetime.timedelta(1),
            actor=facilitator.user,
        )


def test_cannot_be_done_twice(assignment, group, facilitator):
    kwargs = {"done_on": NOW.date(), "outcome": "going_well", "actor": facilitator.user}
    services.complete_follow_up(follow_up=follow_up_of(group), **kwargs)

    with pytest.raises(services.FacilitatorError) as error:
        services.complete_follow_up(follow_up=follow_up_of(group), **kwargs)

    assert "allerede" in error.value.messages[0]


def test_refuses_a_date_in_the_future(assignment, group, facilitator):
    with pytest.raises(services.FacilitatorError):
        services.complete_follow_up(
            follow_up=follow_up_of(group),
            done_on=NOW.date() + datetime.timedelta(1),
            outcome="going_well",
            actor=facilitator.user,
        )


def test_refuses_a_note_longer_than_300_characters(assignment, group, facilitator):
    with pytest.raises(services.FacilitatorError) as error:
        services.complete_follow_up(
            follow_up=follow_up_of(group),
            done_on=NOW.date(),
            outcome="going_well",
            note="x" * 301,
            actor=facilitator.user,
        )

    assert error.value.messages == ["Notatet kan være høyst 300 tegn langt."]


def test_refuses_an_unknown_outcome(assignment, group, facilitator):
    with pytest.raises(services.FacilitatorError):
        services.complete_follow_up(
            follow_up=follow_up_of(group),
            done_on=NOW.date(),
            outcome="fine",
            actor=facilitator.user,
        )


def test_staff_of_the_centre_may_record_it(group, staff):
    follow_up = services.complete_follow_up(
        follow_up=follow_up_of(group), done_on=NOW.date(), outcome="dissolving", actor=staff
    )

    assert follow_up.done_by == staff


@pytest.mark.parametrize("who", ["other_facilitator", "other_centre_staff"])
def test_others_may_not_record_it(assignment, group, request, who):
    person = request.getfixturevalue(who)
    user = getattr(person, "user", person)

    with pytest.raises(PermissionDenied):
        services.complete_follow_up(
            follow_up=follow_up_of(group), done_on=NOW.date(), outcome="going_well", actor=user
        )


def test_a_withdrawn_facilitator_may_not_record_it(assignment, group, facilitator, staff):
    services.withdraw_facilitator(assignment=assignment, actor=staff)

    with pytest.raises(PermissionDenied):
        services.complete_follow_up(
            follow_up=follow_up_of(group),
            done_on=NOW.date(),
            outcome="going_well",
            actor=facilitator.user,
        )


def test_staff_of_several_centres_may_record_it_for_each(group, centre, other_centre):
    both = StaffFactory(centres=[centre, other_centre])

    services.complete_follow_up(
        follow_up=follow_up_of(group), done_on=NOW.date(), outcome="going_well", actor=both
    )

    assert follow_up_of(group).is_done
