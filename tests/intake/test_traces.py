"""A person's whole life in the portal, then erasure: a full pg_dump holds nothing of them.

A person sends the form with a unique marker in every field they fill in.
Staff log a call, change the status, correct the name and the phone number,
put the person in a group, record their confidentiality agreement on the
group's page, move a meeting (every member gets a message) and let them
leave; staff open, search for and export the form. Then the person is
erased in one of three ways: by staff (asked by one, confirmed by another),
by their own withdrawal link followed by the nightly job, or by the nightly
job alone years later. A complete `pg_dump` of the test database, and every
session decoded, is then searched for every marker, the reference included.

The tests commit (transactional), as pg_dump reads only committed data.
"""

import datetime
import os
import subprocess

import pytest
import time_machine
from auditlog.context import set_actor
from dateutil.relativedelta import relativedelta
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client

from groups import services as group_services
from groups.models import Group, Membership
from intake import retention
from intake.models import Intake, Slot, Theme
from selvhjelp.audit import Action
from selvhjelp.dates import OSLO
from selvhjelp.jobs import run_job
from selvhjelp.models import AccessedPerson, AccessEntry, OutboundMessage
from tests.factories import IntakeFactory, StaffFactory, intake_form_data
from tests.groups.test_admin import form_data as group_form_data
from tests.intake.test_admin_change import form_data as intake_change_data
from tests.intake.test_admin_change import new_attempt_prefix

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgres")]

START = datetime.datetime(2027, 1, 4, 10, 0, tzinfo=OSLO)  # a Monday
FIRST_MEETING = datetime.date(2027, 1, 19)  # a Tuesday

# One marker per field the person or staff fill in about them.
NAME = "Zqxfirst Zqxlast"
NEW_NAME = "Zqxrenamed Zqxlast"
EMAIL = "zqxmail@example.org"
PHONE, PHONE_DIGITS = "482 61 739", "48261739"
NEW_PHONE, NEW_PHONE_DIGITS = "+4748261793", "48261793"
ABOUT = "Zqxwords about my situation"
NOTE = "Zqxnote from the call"
STATUS_REASON = "Zqxstatusreason"
LEFT_REASON = "Zqxleftreason"
# Staff wrote the person's name into the reason for erasing: it stays, without the name.
ERASE_REASON = f"Brev fra {NAME} 2. desember"
MARKERS = [
    "Zqxfirst",
    "Zqxlast",
    "Zqxrenamed",
    "zqxmail",
    PHONE_DIGITS,
    NEW_PHONE_DIGITS,
    "Zqxwords",
    "Zqxnote",
    "Zqxstatusreason",
    "Zqxleftreason",
]


def pg_dump():
    """The whole test database as pg_dump writes it (data and schema)."""
    db = connection.settings_dict
    command = ["pg_dump", "--no-owner", "--no-privileges", "--dbname", db["NAME"]]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            command += [flag, str(db[key])]
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    return subprocess.run(command, capture_output=True, check=True, env=env).stdout.decode()


def traces(reference):
    """Every marker (and the reference) found in the dump or in a decoded session."""
    dump = pg_dump()
    sessions = " ".join(str(session.get_decoded()) for session in Session.objects.all())
    found = [m for m in MARKERS if m.lower() in dump.lower() or m.lower() in sessions.lower()]
    if os.environ.get("SHOW_TRACES"):
        for line in dump.splitlines():
            if any(m.lower() in line.lower() for m in found) or reference in line:
                print("TRACE:", line[:300])
    # The reference is upper case; uuids and hashes in the dump are lower case.
    if reference in dump or reference in sessions:
        found.append(reference)
    return found


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=True) as traveller:
        yield traveller


@pytest.fixture
def siri(centre):
    return StaffFactory(centres=[centre], first_name="Siri", last_name="Saksbehandler")


@pytest.fixture
def kari(centre):
    return StaffFactory(centres=[centre], first_name="Kari", last_name="Kollega")


def send_the_form(client, centre):
    """The person sends the form: the receipt page (a cookie, no session), the receipt message."""
    data = intake_form_data(
        centre,
        name=NAME,
        email=EMAIL,
        phone=PHONE,
        contact_by="email",
        about=ABOUT,
        availability=[str(Slot.objects.get(weekday=1, part="evening").pk)],
    )
    response = client.post("/meld-interesse/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert client.get(response.url).status_code == 200  # the receipt page
    intake = Intake.objects.get(name=NAME)
    assert not Session.objects.exists()  # the receipt is a signed cookie in the browser
    return intake


def handle_as_staff(client, staff, intake):
    """A call logged, status changes, a corrected name and phone: through the admin's pages."""
    client.force_login(staff)
    change = f"/admin/intake/intake/{intake.pk}/change/"
    data = intake_change_data(client, intake)
    prefix = new_attempt_prefix(data)
    data[f"{prefix}-0-kind"] = "answered"
    data[f"{prefix}-0-note"] = NOTE
    assert client.post(change, data).status_code == 302
    assert client.post(f"/admin/intake/intake/{intake.pk}/status/contacted/").status_code == 302
    data = intake_change_data(client, intake)
    data.update(name=NEW_NAME, phone=NEW_PHONE)
    assert client.post(change, data).status_code == 302
    assert client.post(f"/admin/intake/intake/{intake.pk}/status/waiting/").status_code == 302
    client.get("/admin/intake/intake/", {"q": "Zqxrenamed"})
    client.get(f"/admin/intake/intake/{intake.pk}/export/")
    intake.refresh_from_db()
    assert intake.name == NEW_NAME


def group_life(client, staff, intake, clock):
    """In a group: formed, agreement on the group's page, a meeting moved, then leaving."""
    others = [
        IntakeFactory(centre=intake.centre, status=Intake.Status.WAITING, name=f"Annen {n}")
        for n in range(3)
    ]
    with set_actor(staff):
        group = group_services.form_group(
            intakes=[intake, *others],
            actor=staff,
            accept_warnings=True,
            centre=intake.centre,
            name="Tirsdagsgruppa",
            kind="across",
            format="physical",
            venue="Arna frivilligsentral",
            weekday=1,
            start_time=datetime.time(18),
            length=120,
            first_meeting=FIRST_MEETING,
        )
    membership = Membership.objects.get(intake=intake)
    url = f"/admin/groups/group/{group.pk}/change/"
    data = group_form_data(client.get(url))
    index = next(
        key.split("-")[1]
        for key, value in data.items()
        if key.startswith("memberships-") and key.endswith("-id") and value == str(membership.pk)
    )
    data[f"memberships-{index}-confidentiality_agreed_at_0"] = "04.01.2027"
    data[f"memberships-{index}-confidentiality_agreed_at_1"] = "09:00"
    assert client.post(url, data).status_code == 302
    meeting = group.meetings.get(sequence=3)
    moved = client.post(
        f"{url.removesuffix('change/')}meetings/{meeting.pk}/move/",
        {"date": "2027-02-03", "time": "17:30"},
    )
    assert moved.status_code == 302
    assert OutboundMessage.objects.filter(
        message_type="group_meeting_moved", person_id=intake.pk
    ).exists()
    run_job("send_due_messages")
    clock.move_to(datetime.datetime(2027, 2, 10, 10, tzinfo=OSLO))
    client.force_login(staff)  # a new working day, a new login
    removed = client.post(
        f"{url.removesuffix('change/')}members/{membership.pk}/remove/",
        {"left_on": "2027-02-10", "reason": LEFT_REASON, "after": "closed"},
    )
    assert removed.status_code == 302
    assert Membership.objects.get(pk=membership.pk).left_reason == LEFT_REASON
    return group


def lived_everywhere(reference):
    """The markers are in the database before: the test can see them."""
    found = traces(reference)
    assert set(found) >= {"Zqxfirst", "Zqxrenamed", "zqxmail", PHONE_DIGITS, NEW_PHONE_DIGITS}
    assert reference in found


def test_erasure_by_staff_leaves_nothing_in_a_full_dump(
    client, centre, siri, kari, form_choices, clock
):
    intake = send_the_form(client, centre)
    reference = intake.reference
    staff_client = Client()
    handle_as_staff(staff_client, siri, intake)
    group_life(staff_client, siri, intake, clock)
    lived_everywhere(reference)
    accesses_before = AccessEntry.objects.count()

    erase = f"/admin/intake/intake/{intake.pk}/erase/"
    assert staff_client.post(erase, {"reason": ERASE_REASON}).status_code == 302
    assert Intake.objects.filter(pk=intake.pk).exists()  # one person is not enough
    staff_client.force_login(kari)
    assert staff_client.post(erase).status_code == 302

    assert traces(reference) == []
    anonymous = Intake.objects.get(pk=intake.pk)  # was in a group: anonymised
    assert anonymous.anonymised_at is not None
    assert Membership.objects.filter(intake=anonymous, group=Group.objects.get()).exists()
    # The access log outlives the person: every entry, plus the two steps, by pseudonym.
    assert AccessEntry.objects.count() == accesses_before + 2
    assert not AccessedPerson.objects.filter(person_id=intake.pk).exists()
    erased = AccessEntry.objects.get(action=Action.ERASED, actor=kari)
    asked = AccessEntry.objects.get(action=Action.ERASURE_REQUESTED, actor=siri)
    assert erased.reason == asked.reason == "Brev fra [anonymisert] 2. desember"


def test_withdrawal_by_link_and_the_nightly_job_leave_nothing_in_a_full_dump(
    client, centre, siri, form_choices, clock, settings
):
    settings.WITHDRAWAL_DELETE_AFTER_DAYS = 7
    intake = send_the_form(client, centre)
    reference = intake.reference
    staff_client = Client()
    handle_as_staff(staff_client, siri, intake)
    staff_client.post(
        f"/admin/intake/intake/{intake.pk}/status/contacted/", {"reason": STATUS_REASON}
    )
    lived_everywhere(reference)

    link = f"/meld-interesse/trekk/{retention.withdrawal_token(intake.pk)}/"
    assert client.get(link).status_code == 200
    assert client.post(link).status_code == 302
    assert Intake.objects.get(pk=intake.pk).status == Intake.Status.WITHDRAWN
    clock.move_to(START + datetime.timedelta(days=8))
    assert run_job("apply_retention")["deleted"] == 1

    assert traces(reference) == []
    assert AccessedPerson.objects.filter(person_id__isnull=True).exists()


def test_the_nightly_job_alone_leaves_nothing_of_a_former_member_or_an_idle_form(
    client, centre, siri, form_choices, clock
):
    intake = send_the_form(client, centre)
    reference = intake.reference
    staff_client = Client()
    handle_as_staff(staff_client, siri, intake)
    group_life(staff_client, siri, intake, clock)
    idle = IntakeFactory(centre=centre, name="Zqxidle Zqxlast", about="Zqxidle words")
    lived_everywhere(reference)

    left = datetime.datetime(2027, 2, 10, 10, tzinfo=OSLO)
    clock.move_to(left + relativedelta(months=12, days=1))
    assert run_job("apply_retention")["idle"] == 1
    clock.move_to(left + relativedelta(months=13, days=2))
    assert run_job("apply_retention")["closed"] == 1
    clock.move_to(left + relativedelta(months=24, days=1))
    assert run_job("apply_retention") == {"idle": 0, "closed": 0, "deleted": 0, "anonymised": 1}
    clock.move_to(left + relativedelta(months=25, days=3))
    assert run_job("apply_retention")["deleted"] == 1
    run_job("clear_expired_sessions")

    assert traces(reference) == []
    assert "zqxidle" not in pg_dump().lower()
    assert not Intake.objects.filter(pk=idle.pk).exists()
    assert Theme.objects.exists()  # the reference data is untouched
