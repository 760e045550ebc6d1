"""The periodic job that lets a group run itself once its facilitators have withdrawn."""

import datetime

import pytest
from django.core.management import call_command

from facilitators import jobs, selectors, services
from groups import meetings as group_meetings
from groups import services as group_services
from groups.models import Group
from selvhjelp.jobs import registered_jobs
from tests.facilitators.conftest import FIRST, at

pytestmark = pytest.mark.django_db

WEEK = datetime.timedelta(weeks=1)


@pytest.fixture
def started(group, staff, clock):
    """The group after its first meeting, started."""
    clock.move_to(at(FIRST, 21))
    return group_services.start_group(group=group, actor=staff)


def status_of(group):
    group.refresh_from_db()
    return group.status


def test_moves_the_group_once_the_last_attended_meeting_has_ended(
    started, facilitator, other_facilitator, staff, clock
):
    services.assign_facilitator(group=started, facilitator=facilitator, actor=staff)
    services.assign_facilitator(
        group=started, facilitator=other_facilitator, meetings_attended=2, actor=staff
    )

    assert jobs.move_groups_to_self_run() == {"self_run": 0}
    assert status_of(started) == Group.Status.STARTED

    clock.move_to(at(FIRST + WEEK, 19, 59))
    assert jobs.move_groups_to_self_run() == {"self_run": 0}

    clock.move_to(at(FIRST + WEEK, 20, 1))
    assert jobs.move_groups_to_self_run() == {"self_run": 1}
    started.refresh_from_db()
    assert started.status == Group.Status.SELF_RUN
    assert started.self_run_on == FIRST + WEEK


def test_running_it_twice_changes_nothing_more(started, facilitator, staff, clock):
    services.assign_facilitator(group=started, facilitator=facilitator, actor=staff)
    clock.move_to(at(FIRST + WEEK))

    assert jobs.move_groups_to_self_run() == {"self_run": 1}
    assert jobs.move_groups_to_self_run() == {"self_run": 0}


def test_a_withdrawn_facilitator_does_not_hold_the_group_back(
    started, facilitator, other_facilitator, staff
):
    services.assign_facilitator(group=started, facilitator=facilitator, actor=staff)
    late = services.assign_facilitator(
        group=started, facilitator=other_facilitator, meetings_attended=6, actor=staff
    )

    services.withdraw_facilitator(assignment=late, actor=staff)
    jobs.move_groups_to_self_run()

    assert status_of(started) == Group.Status.SELF_RUN


def test_a_cancelled_meeting_makes_the_facilitator_stay_a_week_longer(
    started, facilitator, staff, clock
):
    services.assign_facilitator(
        group=started, facilitator=facilitator, meetings_attended=2, actor=staff
    )
    group_meetings.cancel_meeting(
        meeting=started.meetings.get(sequence=2), reason="Lokalet er opptatt", actor=staff
    )

    clock.move_to(at(FIRST + WEEK, 21))
    jobs.move_groups_to_self_run()
    assert status_of(started) == Group.Status.STARTED

    clock.move_to(at(FIRST + 2 * WEEK, 21))
    jobs.move_groups_to_self_run()
    assert status_of(started) == Group.Status.SELF_RUN


def test_a_group_started_late_runs_itself_from_the_day_it_started(group, facilitator, staff, clock):
    services.assign_facilitator(group=group, facilitator=facilitator, actor=staff)
    # Staff mark it started a week after the first meeting, which was the facilitator's last.
    clock.move_to(at(FIRST + WEEK, 21))
    group_services.start_group(group=group, actor=staff)

    assert jobs.move_groups_to_self_run() == {"self_run": 1}

    group.refresh_from_db()
    assert group.status == Group.Status.SELF_RUN
    assert group.self_run_on == group.started_on == FIRST + WEEK


def test_a_group_that_never_had_facilitators_stays_started(started):
    jobs.move_groups_to_self_run()

    assert status_of(started) == Group.Status.STARTED


def test_a_planned_group_is_left_to_the_groups_job(group, facilitator, staff, clock):
    services.assign_facilitator(group=group, facilitator=facilitator, actor=staff)
    clock.move_to(at(FIRST + WEEK))

    jobs.move_groups_to_self_run()

    assert status_of(group) == Group.Status.PLANNED


def test_is_a_registered_job_and_a_management_command(started, facilitator, staff, clock):
    services.assign_facilitator(group=started, facilitator=facilitator, actor=staff)
    clock.move_to(at(FIRST + WEEK))

    assert "move_groups_to_self_run" in registered_jobs()
    call_command("run_job", "move_groups_to_self_run")

    assert status_of(started) == Group.Status.SELF_RUN


@pytest.mark.parametrize("groups", [1, 5])
def test_finding_the_groups_costs_the_same_for_few_and_many(
    make_group, facilitator, staff, clock, groups, django_assert_num_queries
):
    clock.move_to(at(FIRST, 21))
    for number in range(groups):
        group = make_group(f"Gruppe {number}")
        group_services.start_group(group=group, actor=staff)
        services.assign_facilitator(group=group, facilitator=facilitator, actor=staff)
    clock.move_to(at(FIRST + WEEK))

    with django_assert_num_queries(3):
        ready = selectors.groups_ready_for_self_run()

    assert len(ready) == groups
