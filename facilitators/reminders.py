"""Reminders to facilitators, written to the outbox by periodic jobs (facilitators/jobs.py).

Two kinds, both FACILITATOR_REMINDER_DAYS before (in Oslo dates):
- before each meeting a facilitator attends: the group's first
  `Assignment.meetings_attended` meetings that are not cancelled, at the
  meeting's clock time;
- before a follow-up is due, at FOLLOW_UP_REMINDER_HOUR, since a follow-up
  has a date but no time.

As for the participants' reminders (groups.reminders): what is due is read
from the database on each run, every message has a de-duplication key (with
the meeting's or follow-up's revision, so a change gets a fresh reminder),
nothing is written once the meeting has begun or the follow-up's day has
passed, and the outbox checks again just before sending. Facilitators who
stopped a kind of reminder for a group (the link in the message) get no
more of it for that group.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from groups.messages import meeting_context
from groups.models import Group, Meeting
from groups.reminders import meetings_still_ahead, meetings_to_remind
from selvhjelp import outbox_keys
from selvhjelp.dates import local_start
from selvhjelp.messaging import opted_out_ids, queue_messages
from selvhjelp.models import OutboundMessage

from .models import Assignment, FollowUp

MEETING_REMINDER = "facilitator_meeting_reminder"
FOLLOW_UP_REMINDER = "facilitator_follow_up_reminder"


def facilitator_channel(facilitator):
    """(channel, address) for a facilitator: email when the login has one, else SMS; or None."""
    if facilitator.user.email:
        return OutboundMessage.Channel.EMAIL, facilitator.user.email
    if facilitator.phone:
        return OutboundMessage.Channel.SMS, str(facilitator.phone)
    return None


def _active_assignments_by_group(group_ids):
    """{group id: its active assignments of active facilitators}, with each user. One query."""
    by_group = {}
    assignments = (
        Assignment.objects.active()
        .filter(group__in=group_ids, facilitator__active=True, facilitator__user__is_active=True)
        .select_related("facilitator__user")
        .order_by("pk")
    )
    for assignment in assignments:
        by_group.setdefault(assignment.group_id, []).append(assignment)
    return by_group


def _ordinal():
    """Annotation: a meeting's place among its group's meetings that are not cancelled (1, 2...)."""
    earlier = (
        Meeting.objects.not_cancelled()
        .filter(group=OuterRef("group"))
        .filter(
            Q(start__lt=OuterRef("start"))
            | Q(start=OuterRef("start"), sequence__lt=OuterRef("sequence"))
        )
        .order_by()
        .values("group")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(earlier, output_field=IntegerField()), 0) + 1


def _overview_path():
    return reverse("facilitators:overview")


@transaction.atomic
def remind_facilitators_of_meetings(*, now=None):
    """Remind each facilitator of every meeting they attend, FACILITATOR_REMINDER_DAYS before.

    Queries do not grow with the number of groups or facilitators. Returns counts.
    """
    now = now or timezone.now()
    days = settings.FACILITATOR_REMINDER_DAYS
    meetings = meetings_to_remind(
        Meeting.objects.select_related("group__centre").annotate(ordinal=_ordinal()),
        now=now,
        days=days,
    )
    by_group = _active_assignments_by_group({meeting.group_id for meeting in meetings})
    attending = [
        (meeting, assignment)
        for meeting in meetings
        for assignment in by_group.get(meeting.group_id, [])
        if meeting.ordinal <= assignment.meetings_attended
    ]
    stopped = opted_out_ids(Assignment, MEETING_REMINDER, {a.pk for _m, a in attending})
    drafts = []
    for meeting, assignment in attending:
        reach = facilitator_channel(assignment.facilitator)
        if assignment.pk in stopped or reach is None:
            continue
        drafts.append(
            {
                "centre": meeting.group.centre,
                "channel": reach[0],
                "recipient": reach[1],
                "message_type": MEETING_REMINDER,
                "about": assignment,
                "to": assignment.facilitator,
                "dedup_key": outbox_keys.facilitator_meeting_reminder(meeting, assignment),
                "context": {
                    "first_name": assignment.facilitator.user.first_name,
                    **meeting_context(meeting),
                    "first_meeting": meeting.ordinal == 1,
                    "overview_path": _overview_path(),
                },
            }
        )
    return {"meeting_reminders": queue_messages(drafts)}


def _assignments_in_force(messages):
    """{assignment id: group id} of the messages' assignments not withdrawn. One query."""
    return dict(
        Assignment.objects.active()
        .filter(pk__in={message.object_id for message in messages})
        .values_list("pk", "group_id")
    )


def meeting_reminders_still_relevant(messages):
    """The ids of the reminders whose meeting is unchanged and ahead, the facilitator assigned.

    Asked by the outbox just before sending. Two queries for any number.
    """
    meetings = meetings_still_ahead(messages)
    assignments = _assignments_in_force(messages)
    return {
        message.pk
        for message in messages
        if meetings.get(message.context.get("meeting_id"))
        == (message.context.get("revision"), assignments.get(message.object_id))
    }


def follow_up_reminder_time(due_on, days):
    """When to remind of a follow-up due on `due_on`: at FOLLOW_UP_REMINDER_HOUR, `days` before."""
    return local_start(
        due_on - datetime.timedelta(days=days),
        datetime.time(settings.FOLLOW_UP_REMINDER_HOUR),
    )


@transaction.atomic
def remind_facilitators_of_follow_ups(*, now=None):
    """Remind the group's facilitators FACILITATOR_REMINDER_DAYS before a follow-up is due.

    Only follow-ups not done, of active groups, due today or later. Returns counts.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    days = settings.FACILITATOR_REMINDER_DAYS
    follow_ups = [
        follow_up
        for follow_up in FollowUp.objects.open()
        .filter(
            due_on__gte=today,
            due_on__lte=today + datetime.timedelta(days=days),
            group__status__in=Group.ACTIVE_STATUSES,
        )
        .select_related("group__centre")
        .order_by("due_on", "pk")
        if follow_up_reminder_time(follow_up.due_on, days) <= now
    ]
    by_group = _active_assignments_by_group({follow_up.group_id for follow_up in follow_ups})
    owing = [
        (follow_up, assignment)
        for follow_up in follow_ups
        for assignment in by_group.get(follow_up.group_id, [])
    ]
    stopped = opted_out_ids(Assignment, FOLLOW_UP_REMINDER, {a.pk for _f, a in owing})
    drafts = []
    for follow_up, assignment in owing:
        reach = facilitator_channel(assignment.facilitator)
        if assignment.pk in stopped or reach is None:
            continue
        group = follow_up.group
        drafts.append(
            {
                "centre": group.centre,
                "channel": reach[0],
                "recipient": reach[1],
                "message_type": FOLLOW_UP_REMINDER,
                "about": assignment,
                "to": assignment.facilitator,
                "dedup_key": outbox_keys.facilitator_follow_up_reminder(follow_up, assignment),
                "context": {
                    "first_name": assignment.facilitator.user.first_name,
                    "group": group.name,
                    "centre": group.centre.name,
                    "centre_phone": group.centre.phone,
                    "due_on": follow_up.due_on.isoformat(),
                    "visit": follow_up.kind == FollowUp.Kind.VISIT,
                    "overview_path": _overview_path(),
                    "follow_up_id": follow_up.pk,
                    "revision": follow_up.revision,
                },
            }
        )
    return {"follow_up_reminders": queue_messages(drafts)}


def follow_up_reminders_still_relevant(messages):
    """The ids of the reminders whose follow-up is open, on the same date, the facilitator assigned.

    Asked by the outbox just before sending. Two queries for any number.
    """
    follow_ups = {
        pk: (revision, group_id)
        for pk, revision, group_id in FollowUp.objects.open()
        .filter(
            pk__in={message.context.get("follow_up_id") for message in messages} - {None},
            due_on__gte=timezone.localdate(),
            group__status__in=Group.ACTIVE_STATUSES,
        )
        .values_list("pk", "revision", "group_id")
    }
    assignments = _assignments_in_force(messages)
    return {
        message.pk
        for message in messages
        if follow_ups.get(message.context.get("follow_up_id"))
        == (message.context.get("revision"), assignments.get(message.object_id))
    }
