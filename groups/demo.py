"""Demo groups for `make run`: one in every status, formed through the services.

Idempotent: a demo group is found again by its centre and name, its people by
fixed submission keys, so running the seed again creates nothing twice.

Each group gets its own demo people (submitted with intake.services and moved
to "ready for a group"), so the intake demo's waiting list stays as it is for
trying "Form a group of the selected". The groups are formed, started, handed
over and ended through groups.services, so the rules, schedules and histories
are real; only the dates are moved back afterwards, as if staff had formed the
older groups months ago. These people do not exist: every message the seed
writes to the outbox is marked cancelled before anything is sent.
"""

import datetime
import uuid

from django.db import transaction
from django.utils import timezone

from intake.models import Intake, Slot, Theme
from intake.services import keep_apart, submit_intake
from selvhjelp.dates import local_start
from selvhjelp.demo import seeder
from selvhjelp.models import OutboundMessage

from . import meetings, schedule, services
from .models import Group

NAMESPACE = uuid.UUID("3c9e4d7a-52f1-4b8e-a0c6-1e2f7d9b8a41")
Status = Group.Status

PEOPLE = [
    ("Tove Lind", "woman", 1968),
    ("Kjell Haga", "man", 1972),
    ("Mona Aas", "woman", 1975),
    ("Stian Rød", "man", 1980),
    ("Ragnhild Ek", "woman", 1970),
    ("Jørgen Bø", "man", 1977),
]

# weeks: from today to the first meeting (negative: in the past).
GROUPS = [
    {
        "name": "Onsdagsgruppa i Arna",
        "centre": "arna",
        "status": Status.PLANNED,
        "format": Group.Format.PHYSICAL,
        "weekday": 2,
        "start_time": datetime.time(18, 0),
        "weeks": 2,
        "people": 5,
    },
    {
        "name": "Kveldsgruppa på video",
        "centre": "asane",
        "status": Status.STARTED,
        "format": Group.Format.DIGITAL,
        "weekday": 1,
        "start_time": datetime.time(19, 0),
        "weeks": -3,
        "people": 6,
    },
    {
        "name": "Fredagsgruppa i Oslo",
        "centre": "link-oslo",
        "status": Status.SELF_RUN,
        "format": Group.Format.PHYSICAL,
        "weekday": 4,
        "start_time": datetime.time(11, 0),
        "weeks": -10,
        "people": 6,
    },
    {
        "name": "Vårgruppa i Arna",
        "centre": "arna",
        "status": Status.ENDED,
        "format": Group.Format.PHYSICAL,
        "weekday": 0,
        "start_time": datetime.time(18, 0),
        "weeks": -30,
        "people": 5,
    },
    {
        "name": "Torsdagsgruppa i Åsane",
        "centre": "asane",
        "status": Status.CANCELLED,
        "format": Group.Format.PHYSICAL,
        "weekday": 3,
        "start_time": datetime.time(12, 0),
        "weeks": 3,
        "people": 4,
    },
]
VENUES = {
    "arna": "Arna frivilligsentral, møterom 1",
    "asane": "Åsane frivilligsentral, peisestua",
    "link-oslo": "LINK Oslo, Storgata 10, 2. etasje",
}
VIDEO_LINK = "https://video.example.no/selvhjelp-kveld"


def _first_meeting(today, weekday, weeks):
    """The `weekday` `weeks` weeks from this week (never today); a holiday moves it on."""
    day = today + datetime.timedelta(days=(weekday - today.weekday()) % 7 or 7)
    day += datetime.timedelta(weeks=weeks - 1 if weeks > 0 else weeks)
    while schedule.holiday_name(day):
        day += datetime.timedelta(weeks=1)
    return day


def _people(plan, centre, staff):
    """The group's own demo people, ready for a group."""
    slots = Slot.objects.filter(weekday=plan["weekday"], part=Slot.part_of_day(plan["start_time"]))
    themes = list(Theme.objects.filter(active=True, is_other=False))
    people = []
    for number, (name, gender, born) in enumerate(PEOPLE[: plan["people"]]):
        intake = submit_intake(
            centre=centre,
            name=name,
            email=f"{name.split()[0].lower()}.{plan['weekday']}.{number}@example.org",
            birth_year=born,
            confirmed_adult=True,
            applying_for_self=True,
            consent_given=True,
            contact_by=Intake.ContactBy.EMAIL,
            gender=gender,
            themes=[themes[(number + plan["weekday"]) % len(themes)]] if themes else [],
            format=Intake.Format.EITHER,
            availability=slots,
            submission_key=uuid.uuid5(NAMESPACE, f"{centre.slug}:{plan['name']}:{number}"),
        )
        if intake.status == Intake.Status.NEW:
            intake.mark_contacted(by=staff)
            intake.mark_waiting(by=staff)
        people.append(intake)
    return people


def _form(plan, centre, staff, today):
    first = _first_meeting(today, plan["weekday"], plan["weeks"])
    holidays = schedule.holidays_in(meetings.proposed_schedule(first))
    digital = plan["format"] == Group.Format.DIGITAL
    # A group that has met already is formed as if two weeks before its first meeting.
    formed = first - datetime.timedelta(weeks=2) if first < today else today
    group = services.form_group(
        centre=centre,
        intakes=_people(plan, centre, staff),
        name=plan["name"],
        kind=Group.Kind.ACROSS,
        format=plan["format"],
        venue="" if digital else VENUES[plan["centre"]],
        video_link=VIDEO_LINK if digital else "",
        weekday=plan["weekday"],
        start_time=plan["start_time"],
        first_meeting=first,
        actor=staff,
        accept_warnings=True,
        holiday_choices={meeting.sequence: ("cancel", None) for meeting in holidays},
        formed_on=formed,
    )
    if formed < today:
        Group.objects.filter(pk=group.pk).update(created_at=local_start(formed, datetime.time(10)))
    return group, first


def _move_to_status(group, plan, staff, first, today):
    status = plan["status"]
    if status == Status.CANCELLED:
        services.cancel_group(group=group, actor=staff, reason="Fant ikke et egnet lokale.")
        return
    if status == Status.PLANNED:
        return
    services.start_group(group=group, actor=staff, on=first)
    if status == Status.STARTED:
        return
    services.mark_self_run(group=group, actor=staff, on=first + datetime.timedelta(weeks=4))
    if status == Status.ENDED:
        services.end_group(
            group=group,
            actor=staff,
            on=first + datetime.timedelta(weeks=11, days=1),
            reason="Gruppen valgte å avslutte etter de tolv ukene.",
        )


@transaction.atomic
def seed_groups(centres, *, staff=None):
    """Create the demo groups of `centres` that are missing, one in every status.

    `centres` is an iterable of Centre (or a dict of them), `staff` maps a
    centre's pk to the user shown as forming its groups. Returns the number of
    demo groups.
    """
    centres = centres.values() if isinstance(centres, dict) else centres
    by_slug = {centre.slug: centre for centre in centres}
    staff = staff or {}
    today = timezone.localdate()
    started_at = timezone.now()
    count = 0
    for plan in GROUPS:
        centre = by_slug.get(plan["centre"])
        if centre is None:
            continue
        count += 1
        if Group.objects.filter(centre=centre, name=plan["name"]).exists():
            continue
        by = staff.get(centre.pk)
        group, first = _form(plan, centre, by, today)
        _move_to_status(group, plan, by, first, today)
    meetings.extend_schedules()
    OutboundMessage.objects.filter(
        created_at__gte=started_at, status=OutboundMessage.Status.PENDING
    ).update(status=OutboundMessage.Status.CANCELLED, last_error="Demo data: never sent.")
    return count


@seeder
def seed(site):
    """The demo groups, one in every status (demo data registry)."""
    count = seed_groups(site.centres.values(), staff=site.staff)
    return f"  {count} demo groups, one in every status"


# --- A waiting list that suggests groups (groups.suggestions) ----------------------

SUGGESTIONS_CENTRE = "arna"
# (name, gender, born, times of week, format, kind, days waiting)
WAITING = [
    *[
        (name, gender, born, [(1, "evening")], Intake.Format.EITHER, Intake.Kind.ANY, days)
        for name, gender, born, days in [
            ("Liv Strand", "woman", 1971, 120),
            ("Arne Vik", "man", 1966, 110),
            ("Siri Moe", "woman", 1975, 95),
            ("Tor Lie", "man", 1969, 90),
            ("Berit Nes", "woman", 1963, 80),
            ("Per Sund", "man", 1972, 60),
            ("Hilde Li", "woman", 1978, 45),
        ]
    ],
    *[
        (
            name,
            gender,
            born,
            [(3, "afternoon"), (1, "evening")],
            Intake.Format.PHYSICAL,
            Intake.Kind.ACROSS,
            days,
        )
        for name, gender, born, days in [
            ("Anita Ås", "woman", 1990, 100),
            ("Jon Bakke", "man", 1988, 85),
            ("Emma Foss", "woman", 1994, 70),
            ("Ali Rana", "man", 1992, 55),
            ("Ida Lunde", "woman", 1996, 30),
            ("Ole Dale", "man", 1986, 20),
        ]
    ],
    # Nobody else can meet on Saturday mornings.
    ("Randi Hov", "woman", 1958, [(5, "morning")], Intake.Format.EITHER, Intake.Kind.ANY, 140),
    # Only in person on Friday afternoon, with nobody else.
    ("Finn Sæle", "man", 1961, [(4, "afternoon")], Intake.Format.PHYSICAL, Intake.Kind.ANY, 75),
]


def _waiting_person(centre, staff, number, row, slots):
    name, gender, born, times, format, kind, days = row
    intake = submit_intake(
        centre=centre,
        name=name,
        email=f"{name.split()[0].lower()}.venter.{number}@example.org",
        birth_year=born,
        confirmed_adult=True,
        applying_for_self=True,
        consent_given=True,
        contact_by=Intake.ContactBy.EMAIL,
        gender=gender,
        themes=[],
        format=format,
        kind=kind,
        availability=[slots[time] for time in times],
        submission_key=uuid.uuid5(NAMESPACE, f"suggestions:{centre.slug}:{number}"),
    )
    if intake.status == Intake.Status.NEW:
        received = timezone.now() - datetime.timedelta(days=days)
        intake.mark_contacted(by=staff)
        intake.mark_waiting(by=staff)
        Intake.objects.filter(pk=intake.pk).update(created_at=received)
    return intake


@transaction.atomic
def seed_waiting_list(centres, *, staff=None):
    """People ready for a group at one demo centre: two or three suggested groups, and some
    nobody can be placed with. Idempotent (fixed submission keys). Returns how many."""
    by_slug = {centre.slug: centre for centre in centres}
    centre = by_slug.get(SUGGESTIONS_CENTRE)
    if centre is None:
        return 0
    staff = (staff or {}).get(centre.pk)
    slots = {(slot.weekday, slot.part): slot for slot in Slot.objects.all()}
    started_at = timezone.now()
    people = [
        _waiting_person(centre, staff, number, row, slots) for number, row in enumerate(WAITING)
    ]
    # Neighbours: staff noted after a call that they should not meet in a group.
    keep_apart(intake=people[0], other=people[3], actor=staff)
    OutboundMessage.objects.filter(
        created_at__gte=started_at, status=OutboundMessage.Status.PENDING
    ).update(status=OutboundMessage.Status.CANCELLED, last_error="Demo data: never sent.")
    return len(people)


@seeder
def seed_suggestions(site):
    """A waiting list that suggests groups (demo data registry)."""
    count = seed_waiting_list(site.centres.values(), staff=site.staff)
    return f"  {count} people ready for a group in Arna, for the suggested groups"
