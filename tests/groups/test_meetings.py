"""A group's single meetings: cancelling and moving one, and telling the members."""

import datetime

import pytest

from groups import meetings as group_meetings
from groups import services
from groups.models import Group, GroupRuleError
from intake.models import Intake
from selvhjelp.dates import OSLO
from selvhjelp.models import OutboundMessage
from tests.groups.conftest import FIRST

pytestmark = pytest.mark.django_db

Status = Group.Status


def at(date, hour=18, minute=0):
    return datetime.datetime.combine(date, datetime.time(hour, minute), tzinfo=OSLO)


def meeting(group, sequence):
    return group.meetings.get(sequence=sequence)


def test_cancelling_a_meeting_tells_the_members(group, people, staff):
    cancelled = group_meetings.cancel_meeting(
        meeting=meeting(group, 3), reason="Lokalet er opptatt", actor=staff
    )

    assert cancelled.cancelled
    assert cancelled.cancelled_reason == "Lokalet er opptatt"
    messages = OutboundMessage.objects.filter(message_type="group_meeting_cancelled")
    assert messages.count() == 6
    assert messages[0].context["meeting_at"] == at(FIRST + datetime.timedelta(weeks=2)).isoformat()
    assert "Lokalet" not in str(messages[0].context)


def test_a_member_who_left_is_not_told(group, people, staff):
    services.remove_member(
        membership=group.memberships.get(intake=people[0]),
        left_on=datetime.date(2027, 1, 4),
        reason="Flyttet",
        intake_status=Intake.Status.CLOSED,
        actor=staff,
    )

    group_meetings.cancel_meeting(meeting=meeting(group, 3), reason="Syk", actor=staff)

    recipients = set(
        OutboundMessage.objects.filter(message_type="group_meeting_cancelled").values_list(
            "recipient", flat=True
        )
    )
    assert people[0].email not in recipients
    assert len(recipients) == 5


def test_a_meeting_cannot_be_cancelled_twice_or_after_it_began(group, staff, today):
    group_meetings.cancel_meeting(meeting=meeting(group, 3), reason="Syk", actor=staff)
    with pytest.raises(GroupRuleError, match="allerede avlyst"):
        group_meetings.cancel_meeting(meeting=meeting(group, 3), reason="Syk", actor=staff)

    today.move_to(at(FIRST, 18, 30))
    with pytest.raises(GroupRuleError, match="allerede begynt"):
        group_meetings.cancel_meeting(meeting=meeting(group, 1), reason="Syk", actor=staff)


def test_moving_a_meeting_keeps_where_it_was_and_tells_the_members(group, staff):
    moved = group_meetings.move_meeting(
        meeting=meeting(group, 2),
        date=datetime.date(2027, 1, 27),
        time=datetime.time(17),
        actor=staff,
    )

    assert moved.start == at(datetime.date(2027, 1, 27), 17)
    assert moved.moved_from == at(FIRST + datetime.timedelta(weeks=1))
    context = OutboundMessage.objects.filter(message_type="group_meeting_moved").first().context
    assert context["old_at"] == at(FIRST + datetime.timedelta(weeks=1)).isoformat()
    assert context["new_at"] == at(datetime.date(2027, 1, 27), 17).isoformat()


def test_moving_twice_keeps_the_original_place_and_sends_a_new_message(group, staff):
    group_meetings.move_meeting(
        meeting=meeting(group, 2), date=datetime.date(2027, 1, 27), actor=staff
    )
    group_meetings.move_meeting(
        meeting=meeting(group, 2), date=datetime.date(2027, 1, 28), actor=staff
    )

    assert meeting(group, 2).moved_from == at(FIRST + datetime.timedelta(weeks=1))
    assert OutboundMessage.objects.filter(message_type="group_meeting_moved").count() == 12


def test_a_cancelled_meeting_can_be_moved_instead(group, staff):
    group_meetings.cancel_meeting(meeting=meeting(group, 2), reason="Syk", actor=staff)

    moved = group_meetings.move_meeting(
        meeting=meeting(group, 2), date=datetime.date(2027, 1, 28), actor=staff
    )

    assert not moved.cancelled
    assert moved.cancelled_reason == ""


@pytest.mark.parametrize(
    ("date", "message"),
    [
        (datetime.date(2027, 1, 3), "fram i tid"),
        (datetime.date(2027, 3, 25), "helligdag"),
        (FIRST + datetime.timedelta(weeks=2), "har allerede et møte"),
    ],
)
def test_a_meeting_is_not_moved_to_the_past_a_holiday_or_another_meeting(
    group, staff, date, message
):
    with pytest.raises(GroupRuleError, match=message):
        group_meetings.move_meeting(meeting=meeting(group, 2), date=date, actor=staff)


def test_meetings_of_an_ended_group_cannot_be_changed(group, staff):
    Group.objects.filter(pk=group.pk).update(status=Status.ENDED)

    with pytest.raises(GroupRuleError, match="kan ikke lenger endres"):
        group_meetings.cancel_meeting(meeting=meeting(group, 3), reason="x", actor=staff)
