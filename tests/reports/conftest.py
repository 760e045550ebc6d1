"""Known data for the report tests: what each figure must come to, worked out by hand.

`known_data(centre)` writes, at one centre, the forms, groups, meetings,
facilitators and follow-ups described in test_figures.py. Rows are written
directly (not through the services) because they lie in the past.
"""

import datetime

import pytest

from facilitators.models import Assignment, FollowUp
from groups.models import Group, Meeting, Membership
from intake.models import ContactAttempt, StatusChange, Theme
from selvhjelp.dates import OSLO
from tests import factories

NOW = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=OSLO)  # a Tuesday


def at(day, hour=10):
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=OSLO)


D = datetime.date


def form(centre, received, *, status="new", birth_year=1980, gender="", themes=()):
    intake = factories.IntakeFactory(
        centre=centre, created_at=at(received), status=status, birth_year=birth_year, gender=gender
    )
    intake.themes.set(themes)
    return intake


def contact(intake, day, kind=ContactAttempt.Kind.CALL_ANSWERED):
    ContactAttempt.objects.create(intake=intake, kind=kind, at=at(day, 14))


def moved(intake, day, to, frm="new"):
    StatusChange.objects.create(
        intake=intake, from_status=frm, to_status=to, changed_at=at(day, 15)
    )


def group(centre, name, *, started_on, fmt="physical", kind="across", **fields):
    """A group row; the one place the tests name its planned first meeting."""
    theme = Theme.objects.filter(is_other=False).first() if kind == "same" else None
    return Group.objects.create(
        centre=centre,
        name=name,
        kind=kind,
        theme=theme,
        format=fmt,
        venue="Rom 1" if fmt == "physical" else "",
        video_link="https://video.example.no/x" if fmt == "digital" else "",
        weekday=started_on.weekday(),
        start_time=datetime.time(18),
        planned_start=started_on,
        started_on=started_on,
        **{"status": "started", **fields},
    )


def member(group_, intake, seat, *, joined_on, left_on=None, first_attended_on=None):
    return Membership.objects.create(
        group=group_,
        intake=intake,
        seat=seat,
        joined_on=joined_on,
        left_on=left_on,
        left_reason="Flyttet" if left_on else "",
        first_attended_on=first_attended_on,
    )


def known_data(centre):
    """The rows of one centre; returns them by name."""
    themes = list(Theme.objects.filter(is_other=False).order_by("pk")[:2])
    f1 = form(
        centre, D(2026, 1, 5), status="placed", birth_year=1996, gender="woman", themes=themes[:1]
    )
    contact(f1, D(2026, 1, 7))  # Monday to Wednesday: 2 working days
    moved(f1, D(2026, 1, 7), "contacted")
    f2 = form(centre, D(2026, 1, 9), status="placed", birth_year=2000, gender="man", themes=themes)
    moved(f2, D(2026, 1, 19), "contacted")  # Friday to Monday a week later: 6
    f3 = form(centre, D(2026, 1, 10), status="placed", birth_year=1980, gender="woman")
    contact(f3, D(2026, 1, 12), ContactAttempt.Kind.MESSAGE_LEFT)  # Saturday to Monday: 0
    f4 = form(centre, D(2026, 4, 1), status="placed", birth_year=1950)
    contact(f4, D(2026, 4, 1), ContactAttempt.Kind.NO_ANSWER)  # not a contact
    contact(f4, D(2026, 4, 7))  # Wednesday to Tuesday over Easter: 1
    f5 = form(centre, D(2026, 3, 2))  # never reached, still new: a miss
    contact(f5, D(2026, 3, 3), ContactAttempt.Kind.NO_ANSWER)
    f6 = form(centre, D(2026, 3, 2), status="withdrawn")  # withdrew before contact: left out
    moved(f6, D(2026, 3, 4), "withdrawn")
    form(centre, D(2026, 11, 24))  # new, promise not yet run out
    f9 = form(centre, D(2026, 2, 2), status="closed", themes=themes[1:])
    contact(f9, D(2026, 2, 3))  # 1
    moved(f9, D(2026, 2, 10), "closed", frm="new")
    f10 = form(centre, D(2025, 11, 3), status="placed", birth_year=1990, gender="other")

    g1 = group(centre, "G1", started_on=D(2026, 5, 4), self_run_on=D(2026, 6, 1))
    member(g1, f1, 1, joined_on=D(2026, 4, 20), left_on=D(2026, 10, 1))
    member(g1, f2, 2, joined_on=D(2026, 4, 20), left_on=D(2026, 5, 20))
    member(g1, f3, 3, joined_on=D(2026, 4, 20), left_on=D(2026, 7, 1))
    member(g1, f4, 4, joined_on=D(2026, 4, 20), first_attended_on=D(2026, 5, 11))
    member(g1, f10, 5, joined_on=D(2026, 4, 20))
    g2 = group(
        centre,
        "G2",
        started_on=D(2026, 9, 7),
        fmt="digital",
        kind="same",
        self_run_on=D(2026, 11, 20),
    )
    g3 = group(
        centre,
        "G3",
        started_on=D(2026, 2, 2),
        self_run_on=D(2026, 2, 16),
        ended_on=D(2026, 3, 2),
        status="ended",
    )
    g4 = group(centre, "G4", started_on=D(2025, 10, 1))

    for sequence, day, cancelled in [
        (1, D(2026, 5, 4), False),
        (2, D(2026, 5, 11), True),
        (3, D(2026, 5, 18), False),
        (4, D(2026, 5, 25), False),
    ]:
        Meeting.objects.create(group=g1, sequence=sequence, start=at(day, 18), cancelled=cancelled)
    Meeting.objects.create(group=g3, sequence=1, start=at(D(2026, 2, 2), 18))
    Meeting.objects.create(group=g4, sequence=1, start=at(D(2025, 10, 1), 18))
    kari = factories.FacilitatorFactory(centres=[centre])
    per = factories.FacilitatorFactory(centres=[centre])
    Assignment.objects.create(group=g1, facilitator=kari, meetings_attended=2)
    Assignment.objects.create(
        group=g1, facilitator=per, meetings_attended=1, withdrawn_on=D(2026, 5, 1)
    )
    Assignment.objects.create(group=g3, facilitator=kari, meetings_attended=1)
    Assignment.objects.create(group=g4, facilitator=per, meetings_attended=1)
    visit = FollowUp.Kind.VISIT
    FollowUp.objects.create(
        group=g1, kind=visit, due_on=D(2026, 6, 1), done_on=D(2026, 5, 30), outcome="going_well"
    )
    FollowUp.objects.create(group=g3, kind=visit, due_on=D(2026, 2, 23))
    FollowUp.objects.create(group=g1, kind=visit, due_on=D(2026, 12, 10))
    FollowUp.objects.create(
        group=g4, kind=visit, due_on=D(2025, 11, 1), done_on=D(2025, 11, 20), outcome="going_well"
    )
    return {"themes": themes, "groups": [g1, g2, g3, g4]}


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
