"""Demo work for the facilitators in `make run`: groups they start, meetings, follow-ups.

Idempotent: each demo group is found again by its centre and name, each of
its people by a fixed submission key, so running the seed again creates
nothing twice. The demo groups have their own people (placed, with their
history), so they never take people from the waiting lists of the intake
demo. Nothing is written to the outbox: these people do not exist.

Rows are written directly rather than through groups.services because the
"started" group is backdated: its first meetings lie weeks in the past, as
if staff had formed it then. Facilitators are assigned through the service.
"""

import datetime
import uuid

from django.db import transaction
from django.utils import timezone

from groups import schedule
from groups.models import Group, Meeting, Membership
from intake.consent import CONSENT_VERSION
from intake.models import Intake, Slot, StatusChange
from selvhjelp.dates import local_start
from selvhjelp.demo import seeder

from . import services
from .models import Facilitator

NAMESPACE = uuid.UUID("0b7c63d2-6a43-4f53-9d38-3f1b54b5f0c4")
Status = Intake.Status

# name, centre slug, format, weekday, start, weeks from today to the first
# meeting (negative: started), facilitators (username, meetings attended), people.
GROUPS = [
    {
        "name": "Torsdagsgruppa i Arna",
        "centre": "arna",
        "format": Group.Format.PHYSICAL,
        "weekday": 3,
        "start_time": datetime.time(18, 0),
        "weeks": -4,
        "facilitators": [("igangsetter-kari", 2), ("igangsetter-per", 1)],
        "people": ["Hilde Lunde", "Tor Eide", "Silje Moe", "Arne Vik", "Randi Strand"],
    },
    {
        "name": "Tirsdagsgruppa i Arna",
        "centre": "arna",
        "format": Group.Format.PHYSICAL,
        "weekday": 1,
        "start_time": datetime.time(17, 30),
        "weeks": 1,
        "facilitators": [("igangsetter-per", 2), ("igangsetter-kari", 1)],
        "people": [
            "Marit Aune",
            "Jon Bakke",
            "Liv Solberg",
            "Odd Ness",
            "Gro Tangen",
            "Anders Lie",
        ],
    },
    {
        "name": "Mandagsgruppa på video",
        "centre": "asane",
        "format": Group.Format.DIGITAL,
        "weekday": 0,
        "start_time": datetime.time(19, 0),
        "weeks": 2,
        "facilitators": [("igangsetter-kari", 2)],
        "people": ["Tone Fjell", "Ivar Haug", "Berit Rønning", "Sander Ås"],
    },
    {
        "name": "Onsdagsgruppa i sentrum",
        "centre": "link-oslo",
        "format": Group.Format.PHYSICAL,
        "weekday": 2,
        "start_time": datetime.time(12, 0),
        "weeks": 1,
        "facilitators": [("igangsetter-sara", 2)],
        "people": ["Amina Yusuf", "Petter Holt", "Camilla Berg", "Jonas Wold", "Elin Sæle"],
    },
]
VENUES = {
    "arna": "Arna frivilligsentral, møterom 2",
    "link-oslo": "LINK Oslo, Storgata 10, 2. etasje",
}
VIDEO_LINK = "https://video.example.no/selvhjelp-mandag"


def _first_meeting(today, weekday, weeks):
    """The group's first meeting day, counted in weeks from today.

    weeks > 0: the `weeks`-th coming `weekday` (never today). weeks < 0: the
    last `weekday` before today, moved that many weeks back, so a group
    started 4 weeks back had its fourth meeting last week and its follow-up
    is due in the last seven days. A public holiday moves it a week on.
    """
    if weeks > 0:
        day = today + datetime.timedelta(days=(weekday - today.weekday()) % 7 or 7)
        day += datetime.timedelta(weeks=weeks - 1)
    else:
        day = today - datetime.timedelta(days=(today.weekday() - weekday) % 7 or 7)
        day += datetime.timedelta(weeks=weeks)
    while schedule.holiday_name(day):
        day += datetime.timedelta(weeks=1)
    return day


@transaction.atomic
def seed_facilitator_work(*, centres, staff=None):
    """Create the demo groups with their facilitators, meetings and follow-ups.

    `centres` maps a slug to its Centre, `staff` a centre's pk to the user
    shown as forming its groups. Returns the number of demo groups.
    """
    staff = staff or {}
    today = timezone.localdate()
    facilitators = {f.user.username: f for f in Facilitator.objects.select_related("user")}
    count = 0
    for plan in GROUPS:
        centre = centres.get(plan["centre"])
        if centre is None:
            continue
        group = Group.objects.filter(centre=centre, name=plan["name"]).first()
        if group is None:
            group = _create_group(plan, centre, today, staff.get(centre.pk))
        for username, meetings in plan["facilitators"]:
            facilitator = facilitators.get(username)
            if facilitator and not group.assignments.active().filter(facilitator=facilitator):
                services.assign_facilitator(
                    group=group,
                    facilitator=facilitator,
                    meetings_attended=meetings,
                    actor=staff.get(centre.pk),
                )
        count += 1
    return count


def _create_group(plan, centre, today, by):
    first = _first_meeting(today, plan["weekday"], plan["weeks"])
    started = first <= today
    digital = plan["format"] == Group.Format.DIGITAL
    formed = timezone.now() - datetime.timedelta(weeks=max(2, 2 - plan["weeks"]))
    group = Group.objects.create(
        centre=centre,
        name=plan["name"],
        kind=Group.Kind.ACROSS,
        format=plan["format"],
        venue="" if digital else VENUES[plan["centre"]],
        video_link=VIDEO_LINK if digital else "",
        weekday=plan["weekday"],
        start_time=plan["start_time"],
        planned_start=first,
        status=Group.Status.STARTED if started else Group.Status.PLANNED,
        started_on=first if started else None,
        created_by=by,
        created_at=formed,
    )
    weeks = max(12, (today - first).days // 7 + 9)
    Meeting.objects.bulk_create(
        Meeting(
            group=group,
            sequence=planned.sequence,
            start=local_start(planned.date, group.start_time),
            length=group.length,
            cancelled=bool(planned.holiday),
            cancelled_reason=planned.holiday,
            holiday=planned.holiday,
        )
        for planned in schedule.weekly(first, 1, weeks)
    )
    for seat, name in enumerate(plan["people"], start=1):
        intake = _person(centre, name, formed, by, seat, group)
        Membership.objects.create(
            group=group,
            intake=intake,
            seat=seat,
            joined_on=timezone.localdate(formed),
            confidentiality_agreed_at=local_start(first, group.start_time) if started else None,
            added_by=by,
        )
    services.create_follow_up(group=group)
    return group


def _person(centre, name, placed_at, by, number, group):
    """A demo participant, placed in a group, with the history of getting there.

    They can meet at the group's time and have the format it meets in, so the
    group page shows no warnings that are only an artefact of the demo.
    """
    key = uuid.uuid5(NAMESPACE, f"demo-member:{centre.slug}:{name}")
    intake = Intake.objects.filter(submission_key=key).first()
    if intake is not None:
        return intake
    received = placed_at - datetime.timedelta(days=40)
    first, last = name.split(" ", 1)
    intake = Intake.objects.create(
        centre=centre,
        submission_key=key,
        name=name,
        email=f"{first}.{last}@example.org".lower().replace(" ", ""),
        contact_by=Intake.ContactBy.EMAIL,
        birth_year=placed_at.year - 40 - number,
        confirmed_adult=True,
        gender=Intake.Gender.WOMAN if number % 2 else Intake.Gender.MAN,
        format=Intake.Format.EITHER,
        kind=Intake.Kind.ANY,
        consent_version=CONSENT_VERSION,
        consent_language="nb",
        consent_given_at=received,
        created_at=received,
        status=Status.PLACED,
        status_changed_at=placed_at,
    )
    intake.availability.set(
        Slot.objects.filter(weekday=group.weekday, part=Slot.part_of_day(group.start_time))
    )
    steps = [
        (None, Status.NEW, received),
        (Status.NEW, Status.CONTACTED, received + datetime.timedelta(days=3)),
        (Status.CONTACTED, Status.WAITING, received + datetime.timedelta(days=10)),
        (Status.WAITING, Status.PLACED, placed_at),
    ]
    StatusChange.objects.bulk_create(
        StatusChange(
            intake=intake,
            from_status=old or "",
            to_status=new,
            changed_by=by if old else None,
            changed_at=at,
        )
        for old, new, at in steps
    )
    return intake


# username, first name, last name, mobile number, the centres' slugs
FACILITATORS = [
    ("igangsetter-kari", "Kari", "Nordmann", "+4791234567", ["arna", "asane"]),
    ("igangsetter-per", "Per", "Hansen", "+4792345678", ["arna"]),
    ("igangsetter-sara", "Sara", "Ahmed", "+4793456789", ["link-oslo"]),
]


@seeder
def seed(site):
    """The demo facilitators' logins, then their groups (demo data registry)."""
    for username, first, last, phone, slugs in FACILITATORS:
        user = site.make_user(username, first, last)
        facilitator, _created = Facilitator.objects.update_or_create(
            user=user, defaults={"phone": phone, "active": True}
        )
        facilitator.centres.set([site.centres[slug] for slug in slugs if slug in site.centres])
        site.logins.append((username, user, "igangsetter"))
    # After the groups: the facilitators' own demo groups, meetings and follow-ups.
    count = seed_facilitator_work(centres=site.centres, staff=site.staff)
    return f"  {count} demo groups with facilitators and follow-ups"


# --- A group that runs itself (groups.members, groups.meetings.change_rhythm) -----

SELF_RUN_GROUP = {
    "name": "Torsdagsgruppa som går sin egen vei",
    "centre": "arna",
    "weekday": 3,
    "start_time": datetime.time(18, 0),
    "weeks": -20,
    "people": ["Eli Hauge", "Knut Brekke", "Wenche Lia", "Geir Dale", "Anita Vold"],
}


def _self_run_people(plan, centre, staff):
    from intake.services import submit_intake

    slots = Slot.objects.filter(weekday=plan["weekday"], part="evening")
    people = []
    for number, name in enumerate(plan["people"]):
        intake = submit_intake(
            centre=centre,
            name=name,
            email=f"{name.split()[0].lower()}.selvgaende@example.org",
            phone=f"+479877{number:04d}" if number % 2 else "",
            contact_by=Intake.ContactBy.SMS if number % 2 else Intake.ContactBy.EMAIL,
            birth_year=1965 + 3 * number,
            confirmed_adult=True,
            applying_for_self=True,
            consent_given=True,
            availability=slots,
            submission_key=uuid.uuid5(NAMESPACE, f"self-run:{number}"),
        )
        if intake.status == Status.NEW:
            intake.mark_contacted(by=staff)
            intake.mark_waiting(by=staff)
        people.append(intake)
    return people


@seeder
@transaction.atomic
def seed_self_run_group(site):
    """A self-run group meeting every other week, a member who can't come, a visit asked for.

    Through the services: formed 20 weeks ago with Kari as its facilitator,
    started, self-run, every other week from its next meeting, then Kari
    withdrawn. A member tells the group they can't come to the next meeting
    (the notices are in the outbox) and another asks for a visit, which waits
    for Kari's answer. The outbox rows written here are cancelled, never sent.
    """
    from groups import meetings as group_meetings
    from groups import members as group_members
    from groups import services as group_services
    from selvhjelp.models import OutboundMessage

    plan = SELF_RUN_GROUP
    centre = site.centres.get(plan["centre"])
    if centre is None:
        return "  no self-run demo group (no Arna centre)"
    if Group.objects.filter(centre=centre, name=plan["name"]).exists():
        return "  a self-run demo group every other week"
    started_at = timezone.now()
    staff = site.staff.get(centre.pk)
    today = timezone.localdate()
    first = _first_meeting(today, plan["weekday"], plan["weeks"])
    holidays = schedule.holidays_in(schedule.weekly(first, 1, 12))
    group = group_services.form_group(
        centre=centre,
        intakes=_self_run_people(plan, centre, staff),
        name=plan["name"],
        kind=Group.Kind.ACROSS,
        format=Group.Format.PHYSICAL,
        venue="Arna frivilligsentral, møterom 2",
        weekday=plan["weekday"],
        start_time=plan["start_time"],
        first_meeting=first,
        formed_on=first - datetime.timedelta(weeks=2),
        holiday_choices={meeting.sequence: ("cancel", None) for meeting in holidays},
        actor=staff,
        accept_warnings=True,
    )
    kari = Facilitator.objects.filter(user__username="igangsetter-kari").first()
    assignment = None
    if kari is not None and kari.centres.filter(pk=centre.pk).exists():
        assignment = services.assign_facilitator(group=group, facilitator=kari, actor=staff)
    group_services.start_group(group=group, actor=staff, on=first)
    group_services.mark_self_run(group=group, actor=staff, on=first + datetime.timedelta(weeks=4))
    if assignment is not None:
        services.withdraw_facilitator(assignment=assignment, actor=staff)
    group_meetings.extend_schedules()
    group_meetings.change_rhythm(group=group, starts_on=today, every_weeks=2, actor=staff)
    members = list(group.memberships.select_related("intake").order_by("pk"))
    group_members.report_absence(membership=members[0], meeting=group_meetings.next_meeting(group))
    group_members.ask_for_visit(membership=members[1])
    OutboundMessage.objects.filter(
        created_at__gte=started_at, status=OutboundMessage.Status.PENDING
    ).update(status=OutboundMessage.Status.CANCELLED, last_error="Demo data: never sent.")
    return "  a self-run demo group every other week, with a notice and a visit asked for"
