"""Messages say where and when, never why: a health marker reaches no message and no log.

People write a marker in their own words on the interest form and choose a
theme named with it (their group is "around" that theme too); staff type it
into every note and reason they give (a contact note, why someone left, why a
meeting or the group is cancelled). Then the real services, and every job of
CELERY_BEAT_SCHEDULE run as beat runs them while time-machine moves the
clock, write every message type by every channel it has; the sweep sends
them. The marker must be in no rendered message, no email or SMS sent, no
outbox row and no log record.
"""

import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.loader import get_template

from facilitators import services as facilitator_services
from facilitators import visits
from facilitators.models import FollowUp
from facilitators.reminders import follow_up_reminder_time
from groups import meetings as group_meetings
from groups import members as group_members
from groups import services as group_services
from groups.models import Group, Membership
from intake import services as intake_services
from intake.models import ContactAttempt, Intake, Theme
from selvhjelp import messaging, sms
from selvhjelp.jobs import run_job
from selvhjelp.models import OutboundMessage

# The facilitator tests' clock, autouse: Monday 4 January 2027, 10:00 in Oslo,
# ticking. `clock` below is that fixture (hence noqa: F811).
from tests.facilitators.conftest import EVENING, FIRST, NOW, at, clock  # noqa: F401
from tests.factories import FacilitatorFactory

pytestmark = pytest.mark.django_db

# ASCII, so that no escaping (JSON, MIME) can hide it; searched case-insensitively.
MARKER = "Helsemarkor5e2b"
DAY = datetime.timedelta(days=1)
MESSAGE_TEMPLATES = Path(settings.BASE_DIR) / "templates" / "messages"
EMAIL, SMS = OutboundMessage.Channel.EMAIL, OutboundMessage.Channel.SMS


@pytest.fixture
def sms_outbox(settings):
    settings.SMS_BACKEND = "selvhjelp.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def has_sms_template(name):
    try:
        get_template(f"messages/{name}.sms.txt")
    except TemplateDoesNotExist:
        return False
    return True


def expected_kinds():
    """{(message type, channel)}: every registered type and every template, by each channel.

    Read at run time: other apps add their types in AppConfig.ready(). Every
    type can be produced, so none is left out.
    """
    names = set(messaging.MESSAGE_TYPES) | {
        path.name.split(".")[0] for path in MESSAGE_TEMPLATES.glob("*.txt")
    }
    return {(name, EMAIL) for name in names} | {
        (name, SMS) for name in names if has_sms_template(name)
    }


def beat(traveller, when):
    """Move the clock to `when` and run every job of the beat schedule once, the sweep last."""
    traveller.move_to(when)
    names = [entry["args"][0] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    for name in sorted(names, key=lambda name: name == "send_due_messages"):
        run_job(name)


def submit(centre, first_name, number, theme, contact_by):
    """An interest form through the real service, the marker in all the person wrote or chose."""
    return intake_services.submit_intake(
        centre=centre,
        name=f"{first_name} Testesen",
        birth_year=1980,
        confirmed_adult=True,
        applying_for_self=True,
        consent_given=True,
        email=f"person{number}@example.org",
        phone=f"+479123{number:04d}",
        contact_by=contact_by,
        themes=[theme],
        about=f"Jeg har {MARKER} og vil gjerne møte andre som har det slik.",
    )


def make_ready(intakes, staff):
    for intake in intakes:
        intake_services.record_contact_attempt(
            intake=intake, kind=ContactAttempt.Kind.NOTE, note=f"Fortalte om {MARKER}", actor=staff
        )
        intake_services.change_intake_status(intake=intake, to=Intake.Status.WAITING, actor=staff)


def form(centre, staff, name, intakes, theme):
    """A group around the people's (marked) theme, as staff form one."""
    return group_services.form_group(
        centre=centre,
        intakes=intakes,
        name=name,
        kind=Group.Kind.SAME,
        theme=theme,
        format=Group.Format.PHYSICAL,
        venue="Arna frivilligsentral, møterom 2",
        weekday=FIRST.weekday(),
        start_time=EVENING,
        first_meeting=FIRST,
        actor=staff,
        accept_warnings=True,
    )


@pytest.fixture
def send_every_message(centre, staff, clock, sms_outbox, mailoutbox):  # noqa: F811
    """Drive the services and beat from forms to the end of the 12 weeks; returns the outbox."""

    def run():
        theme = intake_services.save_theme(theme=Theme(name=f"Tema {MARKER}"))
        channels = [Intake.ContactBy.EMAIL, Intake.ContactBy.SMS]
        intakes = [
            submit(centre, first_name, number, theme, channels[number % 2])
            for number, first_name in enumerate(
                ["Anne", "Bjørn", "Cecilie", "David", "Eva", "Frode", "Gro", "Hans", "Ida", "Jon"]
            )
        ]
        # The tenth stays "new", so every morning's digest has something to say.
        make_ready(intakes[:9], staff)

        group = form(centre, staff, "Tirsdagsgruppa", intakes[:5], theme)
        leaving = Membership.objects.get(group=group, intake=intakes[4])
        group_services.remove_member(
            membership=leaving,
            left_on=leaving.joined_on,
            reason=f"Innlagt for {MARKER}",
            intake_status=Intake.Status.WAITING,
            actor=staff,
        )
        doomed = form(centre, staff, "Onsdagsgruppa", intakes[5:9], theme)
        group_services.cancel_group(group=doomed, actor=staff, reason=f"Lederen har {MARKER}")

        # Two facilitators, one reached by email, one by SMS, at the first two meetings.
        emailed = facilitator_services.create_facilitator(
            first_name="Kari",
            last_name="Nordmann",
            email="kari.igangsetter@example.org",
            phone="+4791110000",
            centres=[centre],
            actor=staff,
        )
        texted = FacilitatorFactory(centres=[centre], user__email="", phone="+4795556666")
        facilitator_services.send_password_link(facilitator=texted, purpose="reset")
        for facilitator in (emailed, texted):
            facilitator_services.assign_facilitator(
                group=group, facilitator=facilitator, meetings_attended=2, actor=staff
            )

        group_services.change_place(
            group=group, venue="Arna bibliotek, møterom 1", video_link="", actor=staff
        )
        meetings = {meeting.sequence: meeting for meeting in group.meetings.all()}
        group_meetings.cancel_meeting(
            meeting=meetings[3], reason=f"Tre har {MARKER} denne uka", actor=staff
        )
        group_meetings.move_meeting(
            meeting=meetings[4], date=meetings[4].local_start.date() + 2 * DAY, actor=staff
        )
        beat(clock, NOW + datetime.timedelta(minutes=5))

        # Two days before the first meeting: the members' and facilitators' reminders.
        beat(clock, at(FIRST - 2 * DAY, 18, 5))

        follow_up = FollowUp.objects.get(group=group, kind=FollowUp.Kind.START_UP)
        reminder_at = follow_up_reminder_time(follow_up.due_on, settings.FACILITATOR_REMINDER_DAYS)
        beat(clock, reminder_at + datetime.timedelta(minutes=5))

        # The day the 12 weeks end: the members' notice, and the digest counting them.
        ends_on = Membership.objects.active().filter(group=group).first().commitment_ends_on
        beat(clock, at(ends_on, 10, 5))

        # Through a member's link: can't come and taking it back (by email and
        # by SMS), a visit asked for, declined with a note and planned, the
        # group every other week, and a member leaving.
        active = list(Membership.objects.active().filter(group=group).order_by("pk"))
        ahead = group_meetings.next_meeting(group)
        for membership in active[:2]:
            group_members.report_absence(membership=membership, meeting=ahead)
            group_members.take_back_absence(membership=membership, meeting=ahead)
        visit = group_members.ask_for_visit(membership=active[0])
        visits.decline_visit(visit=visit, facilitator=texted, note=f"Kan ikke, har {MARKER}")
        visits.plan_visit(visit=visit, facilitator=emailed, meeting=ahead)
        group_meetings.change_rhythm(
            group=group, starts_on=ends_on + 7 * DAY, every_weeks=2, actor=staff
        )
        group_members.leave_group(membership=active[-1])
        beat(clock, at(ends_on, 10, 10))

        return list(OutboundMessage.objects.select_related("centre").order_by("pk"))

    return run


def contains_marker(text):
    return MARKER.lower() in str(text).lower()


def test_every_message_type_is_written_by_every_channel_it_has(send_every_message):
    rows = send_every_message()

    written = {(row.message_type, row.channel) for row in rows}
    assert expected_kinds() - written == set()
    assert {row.status for row in rows} == {OutboundMessage.Status.SENT}, [
        (row.message_type, row.status, row.last_error) for row in rows if row.status != "sent"
    ]


def test_no_message_sent_nor_log_carries_what_people_wrote_or_chose(
    send_every_message, sms_outbox, mailoutbox, caplog
):
    with caplog.at_level("DEBUG"):
        rows = send_every_message()
        rendered = [(row.message_type, row.channel, messaging.render_message(row)) for row in rows]

    # The marker is there to be found: the person's words and their theme hold it.
    assert Intake.objects.filter(about__icontains=MARKER).count() == 10
    assert Theme.objects.filter(name__icontains=MARKER, intakes__isnull=False).exists()

    assert [(t, c) for t, c, text in rendered if contains_marker(text.subject + text.body)] == []
    assert [row.message_type for row in rows if contains_marker(row.context)] == []
    assert [
        row["message_type"] for row in OutboundMessage.objects.values() if contains_marker(row)
    ] == []

    assert len(mailoutbox) == sum(row.channel == EMAIL for row in rows)
    assert len(sms_outbox) == sum(row.channel == SMS for row in rows)
    assert [m.subject for m in mailoutbox if contains_marker(m.subject + m.body)] == []
    assert [item["to"] for item in sms_outbox if contains_marker(item["text"])] == []

    assert not contains_marker(caplog.text)
    assert [r.name for r in caplog.records if contains_marker((r.msg, r.args, r.exc_text))] == []
