"""The report's 6-month share counts a member who left through their own link as gone."""

import datetime

import pytest

from groups import members
from intake.models import Intake
from reports import figures, periods
from selvhjelp.dates import OSLO
from tests import factories
from tests.reports.conftest import NOW, group, member

pytestmark = pytest.mark.django_db

D = datetime.date


def test_leaving_by_link_before_six_months_counts_against_the_share(postgres, centre, time_machine):
    started = D(2026, 1, 6)
    tuesdays = group(centre, "Tirsdagsgruppa", started_on=started, status="self_run")
    people = [
        member(
            tuesdays,
            factories.IntakeFactory(centre=centre, status=Intake.Status.PLACED),
            seat,
            joined_on=started,
        )
        for seat in range(1, 6)
    ]
    # One leaves in week 10, one in week 28 (after the 26 weeks), by their own link.
    time_machine.move_to(datetime.datetime(2026, 3, 10, 12, tzinfo=OSLO), tick=False)
    members.leave_group(membership=people[0])
    time_machine.move_to(datetime.datetime(2026, 7, 15, 12, tzinfo=OSLO), tick=False)
    members.leave_group(membership=people[1])
    time_machine.move_to(NOW, tick=False)

    result = figures.compute(period=periods.parse("2026"), centres=[centre], now=NOW)

    assert result.holding == [
        ("week_4", 4, 5, 5),
        ("week_12", 12, 5, 4),
        ("month_6", 26, 5, 4),
    ]
