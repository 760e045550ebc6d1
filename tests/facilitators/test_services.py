"""Assigning facilitators to groups: the rules, the warnings, attending and withdrawing."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from facilitators import selectors, services
from facilitators.models import Assignment
from groups import meetings as group_meetings
from groups import services as group_services
from tests.facilitators.conftest import FIRST, NOW, at
from tests.factories import FacilitatorFactory

pytestmark = pytest.mark.django_db


def test_assigns_an_active_facilitator_of_the_groups_centre(group, facilitator, staff):
    assignment = services.assign_facilitator(
        group=group, facilitator=facilitator, meetings_attended=3, actor=staff
    )

    assert assignment.group == group
    assert assignment.facilitator == facilitator
    assert assignment.meetings_attended == 3
    assert assignment.assigned_by == staff
    assert assignment.is_active


def test_attends_only_the_first_meeting_by_default(group, facilitator, staff):
    assignment = services.assign_facilitator(group=group, facilitator=facilitator, actor=staff)

    assert assignment.meetings_attended == 1
    assert [m.sequence for m in selectors.attended_meetings([assignment])] == [1]


def test_refuses_an_inactive_facilitator_and_names_them(group, facilitator, staff):
    facilitator.active = False
    facilitator.save()

    with pytest.raises(services.FacilitatorError) as error:
        services.assign_facilitator(group=group, facilitator=facilitator, actor=staff)

    assert error.value.messages == ["Kari Nordmann er ikke aktiv som igangsetter."]
    assert not Assignment.objects.exists()


def test_refuses_a_facilitator_of_another_centre_and_names_both(group, other_centre, staff):
    outsider = FacilitatorFactory(
        centres=[other_centre], user__first_name="Ola", user__last_name="Oslo"
    )

    with pytest.raises(services.FacilitatorError) as error:
        services.assign_facilitator(group=group, facilitator=outsider, actor=staff)

    assert error.value.messages == [
        "Ola Oslo er ikke igangsetter for Arna frivilligsentral, som gruppen hører til."
    ]


def test_refuses_the_same_facilitator_twice(assignment, group, facilitator, staff):
    with pytest.raises(services.FacilitatorError) as error:
        services.assign_facilitator(group=group, facilitator=facilitator, actor=staff)

    assert "Kari Nordmann er allerede igangsetter for «Tirsdagsgruppa»." in error.value.messages


def test_the_database_refuses_a_second_active_assignment(assignment, group, facilitator):
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(group=group, facilitator=facilitator)


def test_refuses_a_cancelled_group(group, facilitator, staff):
    group_services.cancel_group(group=group, reason="For få kunne komme", actor=staff)
    group.refresh_from_db()

    with pytest.raises(services.FacilitatorError) as error:
        services.assign_facilitator(group=group, facilitator=facilitator, actor=staff)

    assert "Gruppen «Tirsdagsgruppa» er avlyst" in error.value.messages[0]


@pytest.mark.parametrize("meetings", [0, 13])
def test_refuses_fewer_than_one_or_more_than_twelve_meetings(group, facilitator, staff, meetings):
    with pytest.raises(services.FacilitatorError) as error:
        services.assign_facilitator(
            group=group, facilitator=facilitator, meetings_attended=meetings, actor=staff
        )

    assert error.value.messages == ["En igangsetter er med på mellom 1 og 12 av de første møtene."]


def test_warns_when_only_one_facilitator_starts_the_group(assignment, group):
    assert services.assignment_warnings(group) == [
        "Kari Nordmann er eneste igangsetter for «Tirsdagsgruppa»; "
        "vanligvis starter to en gruppe sammen."
    ]


def test_check_warns_before_the_first_assignment_but_not_the_second(
    group, facilitator, other_facilitator, staff
):
    first = services.check_assignment(group=group, facilitator=facilitator)
    services.assign_facilitator(group=group, facilitator=facilitator, actor=staff)
    second = services.check_assignment(group=group, facilitator=other_facilitator)

    assert first.ok and len(first.warnings) == 1
    assert "eneste igangsetter" in first.warnings[0]
    assert second.ok and second.warnings == []


def test_two_facilitators_give_no_warning(assignment, group, other_facilitator, staff):
    services.assign_facilitator(group=group, facilitator=other_facilitator, actor=staff)

    assert services.assignment_warnings(group) == []


def test_warns_when_the_facilitator_would_be_at_two_meetings_at_once(
    make_group, facilitator, other_facilitator, staff
):
    tuesday = make_group("Tirsdagsgruppa")
    overlapping = make_group("Kveldsgruppa", start_time=datetime.time(19, 0))
    for group in (tuesday, overlapping):
        services.assign_facilitator(group=group, facilitator=other_facilitator, actor=staff)
    services.assign_facilitator(group=tuesday, facilitator=facilitator, actor=staff)

    check = services.check_assignment(group=overlapping, facilitator=facilitator)

    assert check.ok
    assert check.warnings == [
        "Kari Nordmann blir på to møter samtidig: «Kveldsgruppa» tirsdag 19. januar 2027 "
        "kl. 19:00 og «Tirsdagsgruppa» tirsdag 19. januar 2027 kl. 18:00."
    ]
    assignment = services.assign_facilitator(
        group=overlapping, facilitator=facilitator, actor=staff
    )
    assert assignment.is_active  # a warning never blocks
    assert check.warnings[0] in services.assignment_warnings(overlapping)


def test_no_overlap_warning_for_meetings_on_other_days(make_group, facilitator, staff):
    tuesday = make_group("Tirsdagsgruppa")
    wednesday = make_group("Onsdagsgruppa", weekday=2, first_meeting=FIRST + datetime.timedelta(1))
    services.assign_facilitator(group=tuesday, facilitator=facilitator, actor=staff)

    check = services.check_assignment(group=wednesday, facilitator=facilitator)

    assert not any("samtidig" in warning for warning in check.warnings)


def test_no_overlap_warning_when_the_other_group_only_meets_later(make_group, facilitator, staff):
    # The other group meets at the same time of week, but the facilitator
    # attends only its first meeting, a week before this group's first.
    earlier = make_group("Første", first_meeting=FIRST - datetime.timedelta(weeks=1))
    later = make_group("Andre")
    services.assign_facilitator(group=earlier, facilitator=facilitator, actor=staff)

    check = services.check_assignment(group=later, facilitator=facilitator)

    assert not any("samtidig" in warning for warning in check.warnings)


def test_attending_more_meetings_can_create_an_overlap(make_group, facilitator, staff):
    earlier = make_group("Første", first_meeting=FIRST - datetime.timedelta(weeks=1))
    later = make_group("Andre")
    services.assign_facilitator(group=later, facilitator=facilitator, actor=staff)
    mine = services.assign_facilitator(group=earlier, facilitator=facilitator, actor=staff)

    services.change_attendance(assignment=mine, meetings_attended=2, actor=staff)

    assert any("samtidig" in warning for warning in services.assignment_warnings(earlier))


def test_change_attendance_keeps_the_rules(assignment, staff):
    with pytest.raises(services.FacilitatorError):
        services.change_attendance(assignment=assignment, meetings_attended=0, actor=staff)

    services.change_attendance(assignment=assignment, meetings_attended=4, actor=staff)
    assignment.refresh_from_db()
    assert assignment.meetings_attended == 4


def test_a_cancelled_meeting_is_replaced_by_the_next_held_one(assignment, group, staff):
    services.change_attendance(assignment=assignment, meetings_attended=2, actor=staff)
    second = group.meetings.get(sequence=2)
    group_meetings.cancel_meeting(meeting=second, reason="Lokalet er opptatt", actor=staff)
    assignment.refresh_from_db()

    meetings = selectors.attended_meetings([assignment])

    assert [(m.sequence, m.cancelled) for m in meetings] == [(1, False), (2, True), (3, False)]
    assert meetings[-1].is_last_attended
    assert selectors.last_attended_meeting(assignment).start == at(FIRST + datetime.timedelta(14))


def test_withdrawal_keeps_the_date_and_who(assignment, staff):
    withdrawn = services.withdraw_facilitator(assignment=assignment, actor=staff)

    assert withdrawn.withdrawn_on == NOW.date()
    assert withdrawn.withdrawn_by == staff
    assert not withdrawn.is_active
    assert Assignment.objects.filter(pk=assignment.pk).exists()


def test_cannot_withdraw_twice(assignment, staff):
    services.withdraw_facilitator(assignment=assignment, actor=staff)

    with pytest.raises(services.FacilitatorError) as error:
        services.withdraw_facilitator(assignment=assignment, actor=staff)

    assert "allerede trukket" in error.value.messages[0]


def test_cannot_withdraw_on_a_future_day(assignment, staff):
    with pytest.raises(services.FacilitatorError):
        services.withdraw_facilitator(
            assignment=assignment, on=NOW.date() + datetime.timedelta(1), actor=staff
        )


def test_a_withdrawn_facilitator_can_be_assigned_again(assignment, group, facilitator, staff):
    services.withdraw_facilitator(assignment=assignment, actor=staff)

    again = services.assign_facilitator(group=group, facilitator=facilitator, actor=staff)

    assert again.pk != assignment.pk
    assert group.assignments.count() == 2


def test_new_calendar_token_replaces_the_old(facilitator):
    old = facilitator.calendar_token

    services.regenerate_calendar_token(facilitator=facilitator)
    facilitator.refresh_from_db()

    assert facilitator.calendar_token != old
    assert len(facilitator.calendar_token) >= 40
