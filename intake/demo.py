"""Demo interest forms for `make run`: a realistic waiting list per centre.

Idempotent: each demo intake has a fixed submission key, so running the seed
again finds it and leaves it as it is (staff may have handled it meanwhile,
or a demo group may have placed it). Nothing is written to the outbox: these
people do not exist and must never get a message.

The history is written directly rather than through the services because it
is backdated over the last months, as if staff had handled the forms then.
"""

import random
import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from selvhjelp.demo import seeder

from .consent import CONSENT_VERSION
from .models import ContactAttempt, Intake, Slot, StatusChange, Theme

Status = Intake.Status
Kind = ContactAttempt.Kind

NAMESPACE = uuid.UUID("6f1c2a4e-1d8b-4c4f-9d55-5b0f3f2f7a10")

# (first name, gender) and last names; some with æ, ø and å on purpose.
FIRST_NAMES = [
    ("Kari", "woman"),
    ("Ingrid", "woman"),
    ("Sølvi", "woman"),
    ("Aisha", "woman"),
    ("Marte", "woman"),
    ("Åshild", "woman"),
    ("Hanne", "woman"),
    ("Nora", "woman"),
    ("Bjørn", "man"),
    ("Ola", "man"),
    ("Håkon", "man"),
    ("Tarik", "man"),
    ("Geir", "man"),
    ("Even", "man"),
    ("Kim", ""),
    ("Robin", "other"),
]
LAST_NAMES = [
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Berg",
    "Dahl",
    "Haugland",
    "Sæther",
    "Bråten",
    "Løvås",
    "Ali",
    "Nguyen",
    "Aasen",
    "Myklebust",
]
# What people write in their own words: short, plain, no names of others.
ABOUT = [
    "Jeg har vært mye alene etter at jeg flyttet hit, og savner noen å snakke med.",
    "Mistet mannen min i fjor. Vil gjerne møte andre som har opplevd noe lignende.",
    "Har vært sykmeldt en stund på grunn av utbrenthet og vil komme meg videre.",
    "Pårørende til en sønn som sliter. Trenger et sted der jeg kan være meg selv.",
    "",
    "Kjenner mye på uro i hverdagen. Har gått på mestringskurs og vil fortsette i en gruppe.",
    "",
    "Ny som pensjonist og litt ute av rytmen.",
]
NOTES = [
    "Foretrekker å bli ringt etter kl. 16.",
    "Ønsker ikke gruppe med folk fra egen arbeidsplass.",
    "Sendt informasjon om hvordan gruppene fungerer.",
    "Kan bare møte på kveldstid.",
]

# Per centre: (status, days since the form came in). Every status but
# "placed", which only forming a group gives.
PLAN = [
    (Status.NEW, 1),
    (Status.NEW, 3),
    (Status.NEW, 9),
    (Status.NEW, 16),
    (Status.CONTACTED, 12),
    (Status.CONTACTED, 24),
    (Status.CONTACTED, 41),
    (Status.WAITING, 20),
    (Status.WAITING, 35),
    (Status.WAITING, 62),
    (Status.WAITING, 95),
    (Status.WITHDRAWN, 48),
    (Status.CLOSED, 130),
]
# The steps that lead to each status, after "new".
PATHS = {
    Status.NEW: [],
    Status.CONTACTED: [Status.CONTACTED],
    Status.WAITING: [Status.CONTACTED, Status.WAITING],
    Status.WITHDRAWN: [Status.CONTACTED, Status.WITHDRAWN],
    Status.CLOSED: [Status.CLOSED],
}
REASONS = {
    Status.WITHDRAWN: "Har fått plass i et kurs i kommunen og vil vente med gruppe.",
    Status.CLOSED: "Fikk ikke tak i personen etter tre forsøk og brev.",
}


def submission_key(centre, number):
    return uuid.uuid5(NAMESPACE, f"demo-intake:{centre.slug}:{number}")


@transaction.atomic
def seed_intakes(centres, *, staff=None):
    """Create the demo interest forms of `centres` that are missing.

    `staff` maps a centre's pk to the user shown as handling its forms.
    Returns how many demo interest forms exist for these centres.
    """
    staff = staff or {}
    themes = list(Theme.objects.filter(active=True))
    slots = list(Slot.objects.all())
    keys = []
    for centre in centres:
        rng = random.Random(centre.slug)  # the same "random" people every run
        for number, (status, days_ago) in enumerate(PLAN):
            key = submission_key(centre, number)
            keys.append(key)
            if not Intake.objects.filter(submission_key=key).exists():
                _create(centre, number, key, status, days_ago, rng, themes, slots, staff)
    return Intake.objects.filter(submission_key__in=keys).count()


def _create(centre, number, key, status, days_ago, rng, themes, slots, staff):
    now = timezone.now()
    received = now - timedelta(days=days_ago, hours=rng.randint(0, 10), minutes=rng.randint(0, 59))
    first, gender = FIRST_NAMES[(number * 5 + len(centre.slug)) % len(FIRST_NAMES)]
    last = rng.choice(LAST_NAMES)
    has_email, has_phone = [(True, True), (True, False), (False, True)][number % 3]
    formats = list(Intake.Format.values)
    if not centre.runs_digital_groups:
        formats.remove(Intake.Format.DIGITAL)
    intake = Intake.objects.create(
        centre=centre,
        submission_key=key,
        name=f"{first} {last}",
        email=f"{first}.{last}.{number}@example.org".lower() if has_email else "",
        phone=f"+479{rng.randint(1000000, 9999999)}" if has_phone else "",
        contact_by=Intake.ContactBy.PHONE if has_phone else Intake.ContactBy.EMAIL,
        birth_year=now.year - rng.randint(19, 78),
        confirmed_adult=True,
        gender=gender,
        about=ABOUT[number % len(ABOUT)],
        format=rng.choice(formats),
        kind=rng.choice(Intake.Kind.values),
        consent_version=CONSENT_VERSION,
        consent_language="nb",
        consent_given_at=received,
        created_at=received,
        status=status,
        status_changed_at=received,
    )
    intake.themes.set(rng.sample(themes, k=min(len(themes), rng.randint(1, 3))))
    # Mostly weekday afternoons and evenings, as most people work by day.
    usual = [s for s in slots if s.weekday < 5 and s.part != Slot.Part.MORNING]
    intake.availability.set(rng.sample(usual, k=min(len(usual), rng.randint(2, 5))))

    handler = staff.get(centre.pk)
    StatusChange.objects.create(intake=intake, to_status=Status.NEW, changed_at=received)
    previous, at = Status.NEW, received
    for step in PATHS[status]:
        at = at + (now - at) / 3
        if step == Status.CONTACTED:
            if number % 2:
                ContactAttempt.objects.create(
                    intake=intake, kind=Kind.NO_ANSWER, by=handler, at=at - timedelta(days=1)
                )
            ContactAttempt.objects.create(
                intake=intake,
                kind=Kind.CALL_ANSWERED,
                note=NOTES[number % len(NOTES)] if number % 3 else "",
                by=handler,
                at=at,
            )
        StatusChange.objects.create(
            intake=intake,
            from_status=previous,
            to_status=step,
            changed_by=handler,
            changed_at=at,
            reason=REASONS.get(step, ""),
        )
        previous = step
    if status == Status.CLOSED:
        for tries in range(3):
            ContactAttempt.objects.create(
                intake=intake,
                kind=Kind.NO_ANSWER if tries < 2 else Kind.MESSAGE_LEFT,
                by=handler,
                at=received + timedelta(days=2 + 5 * tries),
            )
    if status == Status.WAITING and number % 2:
        ContactAttempt.objects.create(
            intake=intake, kind=Kind.NOTE, note=NOTES[1], by=handler, at=at
        )
    intake.status_changed_at = at
    intake.save(update_fields=["status_changed_at"])
    return intake


@seeder
def seed(site):
    """The demo interest forms of every demo centre (demo data registry)."""
    count = seed_intakes(site.centres.values(), staff=site.staff)
    return f"  {count} demo interest forms in every status but placed"
