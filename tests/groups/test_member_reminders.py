"""Members are reminded of each meeting after their first, with their personal link."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType

from groups import jobs, members
from groups.models import Membership
from groups.reminders import meeting_reminders_still_relevant
from selvhjelp.dates import OSLO
from selvhjelp.messaging import render_message
from selvhjelp.models import MessageOptOut, OutboundMessage
from tests.groups.conftest import FIRST

pytestmark = pytest.mark.django_db

SECOND = FIRST + datetime.timedelta(weeks=1)


def at(date, hour=18, minute=5):
    return datetime.datetime.combine(date, datetime.time(hour, minute), tzinfo=OSLO)


def reminders():
    return OutboundMessage.objects.filter(message_type="group_meeting_reminder")


def test_the_first_meeting_has_its_own_reminder(group, today):
    today.move_to(at(FIRST - datetime.timedelta(days=2)))
    assert jobs.remind_members_of_meetings() == {"meeting_reminders": 0}


def test_each_member_is_reminded_of_the_next_meeting_once_with_their_link(group, today):
    today.move_to(at(SECOND - datetime.timedelta(days=2), 17, 59))
    assert jobs.remind_members_of_meetings() == {"meeting_reminders": 0}  # not yet
    today.move_to(at(SECOND - datetime.timedelta(days=2)))
    assert jobs.remind_members_of_meetings() == {"meeting_reminders": 6}
    assert jobs.remind_members_of_meetings() == {"meeting_reminders": 0}
    reminder = reminders().first()
    membership = Membership.objects.get(pk=reminder.object_id)
    body = render_message(reminder).body
    assert f"/min-gruppe/{membership.link_token}/" in body
    assert "/stopp/" in body
    assert membership.link_token not in str(reminder.context)


def test_no_reminder_for_a_member_who_said_they_cannot_come_or_stopped_them(group, today):
    anne, bjorn = group.memberships.order_by("pk")[:2]
    second = group.meetings.get(sequence=2)
    members.report_absence(membership=anne, meeting=second)
    MessageOptOut.objects.create(
        content_type=ContentType.objects.get_for_model(Membership),
        object_id=bjorn.pk,
        message_type="group_meeting_reminder",
        centre=group.centre,
    )
    today.move_to(at(SECOND - datetime.timedelta(days=2)))
    assert jobs.remind_members_of_meetings() == {"meeting_reminders": 4}
    assert not reminders().filter(object_id__in=[anne.pk, bjorn.pk]).exists()


def test_a_reminder_written_before_the_member_said_they_cannot_come_is_not_sent(group, today):
    today.move_to(at(SECOND - datetime.timedelta(days=2)))
    jobs.remind_members_of_meetings()
    anne = group.memberships.order_by("pk").first()
    members.report_absence(membership=anne, meeting=group.meetings.get(sequence=2))
    written = list(reminders())
    relevant = meeting_reminders_still_relevant(written)
    assert {m.object_id for m in written if m.pk not in relevant} == {anne.pk}
