"""Fixtures for the group tests: a well-mixed set of waiting people and a formed group."""

import datetime
import importlib

import pytest
import time_machine
from django.apps import apps

from groups import services
from intake.models import Intake, Slot, Theme
from selvhjelp.dates import OSLO
from tests.factories import IntakeFactory

# A Tuesday; the twelve Tuesdays from it hold no public holiday.
FIRST = datetime.date(2027, 1, 19)
TODAY = datetime.datetime(2027, 1, 4, 10, 0, tzinfo=OSLO)
EVENING = datetime.time(18, 0)


def ensure_reference_data():
    """Put back the times of week and themes the intake migration writes.

    A transactional test (browser, concurrency) ends with a flush that takes
    them away from the transactional tests after it.
    """
    if not Slot.objects.exists():
        migration = importlib.import_module("intake.migrations.0002_slots_and_themes")
        migration.create(apps, None)


@pytest.fixture(autouse=True)
def reference_data(db):
    ensure_reference_data()


@pytest.fixture(autouse=True)
def today():
    """Monday 4 January 2027, 10:00 in Oslo, with the clock ticking."""
    with time_machine.travel(TODAY, tick=True) as traveller:
        yield traveller


def slot(weekday, part="evening"):
    return Slot.objects.get(weekday=weekday, part=part)


@pytest.fixture
def make_person(centre):
    """A person ready for a group at `centre`; every guideline met unless told otherwise."""

    def make(name, **values):
        values.setdefault("centre", centre)
        values.setdefault("status", Intake.Status.WAITING)
        values.setdefault("gender", Intake.Gender.WOMAN)
        values.setdefault("birth_year", 1980)
        values.setdefault("availability", [slot(1)])
        return IntakeFactory(name=name, **values)

    return make


@pytest.fixture
def people(make_person):
    """Six people who fit a Tuesday evening group together: no rule broken, no warning."""
    themes = list(Theme.objects.filter(is_other=False))
    names = [
        ("Anne Berg", "woman", 1978),
        ("Bjørn Dahl", "man", 1982),
        ("Cecilie Eik", "woman", 1985),
        ("David Fjeld", "man", 1976),
        ("Eva Grønn", "woman", 1980),
        ("Frode Holm", "man", 1983),
    ]
    return [
        make_person(name, gender=gender, birth_year=year, themes=[themes[i]])
        for i, (name, gender, year) in enumerate(names)
    ]


@pytest.fixture
def frame(centre):
    """The group's frame as staff would fill it in."""
    return {
        "centre": centre,
        "name": "Tirsdagsgruppa",
        "kind": "across",
        "theme": None,
        "format": "physical",
        "venue": "Arna frivilligsentral, møterom 2",
        "video_link": "",
        "weekday": 1,
        "start_time": EVENING,
        "length": 120,
        "first_meeting": FIRST,
    }


def check_kwargs(frame):
    keys = ("centre", "kind", "theme", "format", "weekday", "start_time", "first_meeting")
    return {key: frame[key] for key in keys}


@pytest.fixture
def form(frame, staff):
    """form_group with the standard frame; keyword arguments override it."""

    def make(intakes, **overrides):
        return services.form_group(intakes=intakes, actor=staff, **{**frame, **overrides})

    return make


@pytest.fixture
def group(form, people):
    """A planned group of the six people, first meeting on FIRST."""
    return form(people)
