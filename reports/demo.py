"""Two years of history for the reports in `make run`: forms, groups and their outcomes.

Idempotent: every demo form has a fixed submission key and every group a
fixed name at its centre, so running the seed again finds them and creates
nothing twice (each form and group draws its "random" choices from its own
seed, so a second run makes the same choices). Rows are written directly
with bulk_create (not through the services), as they lie in the past;
nothing goes to the outbox, as these people do not exist.

Every history group has ended, and every form is placed, withdrawn or
closed, but for the last few still waiting for a group: the waiting lists
and the active groups of the other demo modules stay as they are.
"""

import datetime
import random
import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from facilitators.models import Assignment, Facilitator, FollowUp
from groups.models import Group, Meeting, Membership
from intake.consent import CONSENT_VERSION
from intake.demo import FIRST_NAMES, LAST_NAMES
from intake.models import ContactAttempt, Intake, StatusChange, Theme
from selvhjelp.dates import local_start
from selvhjelp.demo import seeder

from .periods import MONTH_NAMES

NAMESPACE = uuid.UUID("9d3f5b2e-7a41-4c8e-b6d2-2f0e8c1a5b77")
MONTHS = 24
Status = Intake.Status


def _at(day, hour):
    return local_start(day, datetime.time(hour))


def _month_start(today, months_back):
    month = today.month - 1 - months_back
    return datetime.date(today.year + month // 12, month % 12 + 1, 1)


@dataclass
class _Form:
    """A planned demo form, with the history that leads to its status."""

    intake: Intake
    themes: list
    changes: list = field(default_factory=list)
    attempts: list = field(default_factory=list)


@transaction.atomic
def seed_report_history(centres, *, today=None):
    """Create the missing history of `centres` (an iterable of Centre).

    Returns (forms, groups): how many history forms and groups exist for them.
    """
    today = today or timezone.localdate()
    themes = list(Theme.objects.filter(active=True).order_by("pk"))
    forms = groups = 0
    for centre in sorted(centres, key=lambda c: c.slug):
        made_forms, made_groups = _centre_history(centre, today, themes)
        forms += made_forms
        groups += made_groups
    return forms, groups


def _centre_history(centre, today, themes):
    months = [_month_start(today, back) for back in range(MONTHS, 0, -1)]
    planned = {}  # key -> _Form, in the order the forms came in
    for month in months:
        # Fewer forms in the summer holidays, more after New Year and in the autumn.
        usual = {7: 5, 8: 8, 1: 12, 9: 12, 10: 11}.get(month.month, 9)
        count = usual + random.Random(f"{centre.slug}:{month:%Y-%m}:count").randint(-2, 3)
        for number in range(count):
            key = uuid.uuid5(NAMESPACE, f"{centre.slug}:{month:%Y-%m}:{number}")
            planned[key] = _plan_form(centre, month, number, key, themes)
    intakes = _create_forms(planned)

    facilitators = list(Facilitator.objects.filter(centres=centre, active=True).order_by("pk")[:2])
    existing_groups = set(Group.objects.filter(centre=centre).values_list("name", flat=True))
    waiting = []  # forms ready for the next group, oldest first
    count = 0
    for back, month in zip(range(MONTHS, 0, -1), months, strict=True):
        waiting += [
            intakes[key]
            for key, form in planned.items()
            if form.intake.created_at.date().replace(day=1) == month
            and form.intake.status in (Status.WAITING, Status.PLACED)
        ]
        # Up to two groups a month from the people waiting, five to seven in each.
        rng = random.Random(f"{centre.slug}:{month:%Y-%m}:groups")
        for number in range(2):
            size = rng.randint(5, 7)
            if len(waiting) < size or back < 3:
                break
            members, waiting = waiting[:size], waiting[size:]
            name = f"{['Tirsdagsgruppa', 'Torsdagsgruppa'][number]} fra "
            name += f"{MONTH_NAMES[month.month - 1]} {month.year}"
            if name not in existing_groups:
                _group(centre, name, month, number, members, facilitators, today, themes)
            count += 1
    return len(planned), count


def _plan_form(centre, month, number, key, themes):
    """The form `number` of `month`: ready for a group, withdrawn or closed, with its history."""
    rng = random.Random(str(key))
    received = _at(month + datetime.timedelta(days=rng.randint(0, 27)), rng.randint(7, 22))
    roll = rng.random()
    status = Status.WAITING if roll < 0.68 else Status.WITHDRAWN if roll < 0.86 else Status.CLOSED
    first, gender = rng.choice(FIRST_NAMES)
    last = rng.choice(LAST_NAMES)
    intake = Intake(
        centre=centre,
        submission_key=key,
        name=f"{first} {last}",
        email=f"{first}.{last}.{month:%Y%m}{number}@example.org".lower(),
        contact_by=Intake.ContactBy.EMAIL,
        birth_year=received.year - rng.choice([22, 27, 33, 38, 41, 47, 52, 58, 63, 70, 75]),
        confirmed_adult=True,
        gender=gender,
        consent_version=CONSENT_VERSION,
        consent_language="nb",
        consent_given_at=received,
        created_at=received,
        status=status,
        status_changed_at=received,
    )
    form = _Form(intake, rng.sample(themes, k=min(len(themes), rng.randint(1, 3))))
    form.changes.append(StatusChange(to_status=Status.NEW, changed_at=received))
    contacted = received + datetime.timedelta(days=rng.choice([0, 1, 1, 2, 3, 4, 6, 8, 12]))
    if status == Status.CLOSED and rng.random() < 0.5:
        # Never reached: closed after a call nobody answered.
        form.attempts.append(ContactAttempt(kind=ContactAttempt.Kind.NO_ANSWER, at=contacted))
        form.changes.append(
            StatusChange(
                from_status=Status.NEW,
                to_status=status,
                changed_at=contacted + datetime.timedelta(days=14),
                reason="Fikk ikke tak i personen.",
            )
        )
        return form
    form.attempts.append(ContactAttempt(kind=ContactAttempt.Kind.CALL_ANSWERED, at=contacted))
    previous, at = Status.NEW, contacted
    for step in (Status.CONTACTED, status):
        form.changes.append(StatusChange(from_status=previous, to_status=step, changed_at=at))
        previous, at = step, at + datetime.timedelta(days=rng.randint(1, 10))
    return form


def _create_forms(planned):
    """Write the planned forms that are missing; return every one of them by key."""
    existing = set(
        Intake.objects.filter(submission_key__in=planned).values_list("submission_key", flat=True)
    )
    missing = [form for key, form in planned.items() if key not in existing]
    Intake.objects.bulk_create([form.intake for form in missing])
    for form in missing:
        for row in [*form.changes, *form.attempts]:
            row.intake = form.intake
    StatusChange.objects.bulk_create([row for form in missing for row in form.changes])
    ContactAttempt.objects.bulk_create([row for form in missing for row in form.attempts])
    Intake.themes.through.objects.bulk_create(
        Intake.themes.through(intake=form.intake, theme=theme)
        for form in missing
        for theme in form.themes
    )
    return Intake.objects.filter(submission_key__in=planned).in_bulk(field_name="submission_key")


def _group(centre, name, month, number, members, facilitators, today, themes):
    rng = random.Random(f"{centre.slug}:{name}")
    started = month + datetime.timedelta(days=35)
    weekday = 1 + 2 * number  # Tuesday or Thursday
    started += datetime.timedelta(days=(weekday - started.weekday()) % 7)
    digital = centre.runs_digital_groups and rng.random() < 0.35
    same = rng.random() < 0.25
    weeks = rng.choice([6, 10, 14, 20, 28, 36, 52, 70])
    ended = min(started + datetime.timedelta(weeks=weeks), today - datetime.timedelta(days=7))
    ended = max(ended, started + datetime.timedelta(weeks=4))
    group = Group.objects.create(
        centre=centre,
        name=name,
        kind=Group.Kind.SAME if same else Group.Kind.ACROSS,
        theme=themes[0] if same and themes else None,
        format=Group.Format.DIGITAL if digital else Group.Format.PHYSICAL,
        venue="" if digital else f"{centre.name}, møterom",
        video_link="https://video.example.no/selvhjelp-historikk" if digital else "",
        weekday=started.weekday(),
        start_time=datetime.time(18),
        status=Group.Status.ENDED,
        started_on=started,
        self_run_on=started + datetime.timedelta(weeks=3),
        ended_on=ended,
        closing_reason="Gruppa valgte å avslutte.",
        created_at=_at(started - datetime.timedelta(weeks=2), 10),
        planned_start=started,
    )
    joined = started - datetime.timedelta(days=7)
    Intake.objects.filter(pk__in=[m.pk for m in members]).update(
        status=Status.PLACED, status_changed_at=_at(joined, 12)
    )
    StatusChange.objects.bulk_create(
        StatusChange(
            intake=intake,
            from_status=Status.WAITING,
            to_status=Status.PLACED,
            changed_at=_at(joined, 12),
        )
        for intake in members
    )
    memberships = []
    for seat, intake in enumerate(members, start=1):
        leaves = rng.random() < 0.3
        left = started + datetime.timedelta(days=rng.randint(10, 200)) if leaves else ended
        memberships.append(
            Membership(
                group=group,
                intake=intake,
                seat=seat,
                joined_on=joined,
                left_on=min(left, ended),
                left_reason="Sluttet i gruppa." if leaves else "Gruppa ble avsluttet.",
                confidentiality_agreed_at=_at(started, 18),
            )
        )
    Membership.objects.bulk_create(memberships)
    Meeting.objects.bulk_create(
        Meeting(
            group=group,
            sequence=sequence,
            start=_at(started + datetime.timedelta(weeks=sequence - 1), 18),
            cancelled=sequence == 7 and rng.random() < 0.3,
        )
        for sequence in range(1, 13)
        if started + datetime.timedelta(weeks=sequence - 1) <= ended
    )
    Assignment.objects.bulk_create(
        Assignment(
            group=group,
            facilitator=facilitator,
            meetings_attended=2 if order == 0 else 1,
            assigned_at=_at(started - datetime.timedelta(weeks=2), 10),
            withdrawn_on=group.self_run_on,
        )
        for order, facilitator in enumerate(facilitators)
    )
    due = started + datetime.timedelta(weeks=4)
    roll = rng.random()
    done = due - datetime.timedelta(days=2) if roll < 0.75 else due + datetime.timedelta(days=9)
    FollowUp.objects.create(
        group=group,
        kind=FollowUp.Kind.START_UP,
        due_on=due,
        done_on=done if roll < 0.9 else None,
        outcome=FollowUp.Outcome.GOING_WELL if roll < 0.9 else "",
        created_at=_at(started, 10),
    )


@seeder
def seed(site):
    """Two years of handled forms and ended groups for the reports' charts (demo registry)."""
    forms, groups = seed_report_history(site.centres.values())
    return f"  {forms} history forms and {groups} ended groups for the reports (two years)"
