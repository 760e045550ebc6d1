"""Fixtures for the facilitator tests: a clock, groups formed through the real service."""

import datetime
import itertools

import pytest
import time_machine

from facilitators import services
from groups import services as group_services
from intake.models import Intake
from selvhjelp.dates import OSLO
from tests.factories import IntakeFactory

# A Tuesday; the twelve Tuesdays from it hold no public holiday.
FIRST = datetime.date(2027, 1, 19)
NOW = datetime.datetime(2027, 1, 4, 10, 0, tzinfo=OSLO)  # Monday 4 January 2027
EVENING = datetime.time(18, 0)
# Surnames nobody else uses in these tests, so a page showing one is easy to catch.
SURNAMES = ["Kvamsdal", "Tveiterås", "Sollibråten", "Ulvestad", "Mjelstad", "Hovland"]


def at(date, hour=18, minute=0):
    return datetime.datetime.combine(date, datetime.time(hour, minute), tzinfo=OSLO)


@pytest.fixture(autouse=True)
def clock():
    """Monday 4 January 2027, 10:00 in Oslo, with the clock ticking; move it with move_to."""
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def make_group(centre, staff):
    """Form a group of four or more waiting people through groups.services.form_group."""
    counter = itertools.count(1)

    def make(name="Tirsdagsgruppa", *, members=None, **frame):
        number = next(counter)
        first_names = members or ["Anne", "Bjørn", "Cecilie", "David"]
        intakes = [
            IntakeFactory(
                centre=frame.get("centre", centre),
                name=f"{first} {SURNAMES[index % len(SURNAMES)]}",
                status=Intake.Status.WAITING,
                email=f"g{number}p{index}@example.org",
            )
            for index, first in enumerate(first_names)
        ]
        values = {
            "centre": centre,
            "name": name,
            "kind": "across",
            "format": "physical",
            "venue": "Arna frivilligsentral, møterom 2",
            "weekday": 1,
            "start_time": EVENING,
            "length": 120,
            "first_meeting": FIRST,
            **frame,
        }
        return group_services.form_group(
            intakes=intakes, actor=staff, accept_warnings=True, **values
        )

    return make


@pytest.fixture
def group(make_group):
    """A planned Tuesday evening group of Anne, Bjørn, Cecilie and David from FIRST."""
    return make_group()


@pytest.fixture
def assignment(group, facilitator, staff):
    """`facilitator` starts `group`, attending its first meeting."""
    return services.assign_facilitator(group=group, facilitator=facilitator, actor=staff)


@pytest.fixture
def facilitator_client(client, facilitator):
    client.force_login(facilitator.user)
    return client
