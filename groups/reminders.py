"""Reminders and notices to participants, written to the outbox by periodic jobs.

The jobs in groups/jobs.py call these functions; so do the tests and
`manage.py run_job`. Each picks up what is due now from the database (no
countdown tasks): a run every few minutes, an hour late or twice at once
writes each message once, because every message has a de-duplication key.

Times are worked out in Oslo dates and clock times: "two days before a
meeting at 18:00" is 18:00 two calendar days earlier, whether or not the
clocks change in between. A reminder is written once its time has come and
the meeting has not begun, so a late run still reminds, never after the
meeting. A moved meeting (a new `Meeting.revision`) gets a reminder for its
new time; a cancelled one gets none. Just before sending, the outbox asks
`first_meeting_reminders_still_relevant`, so a reminder written and then
overtaken by a change is not sent.

Messages say where and when, never why: no themes, nothing the person wrote.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from intake.services import message_channel
from selvhjelp import outbox_keys
from selvhjelp.dates import local, local_midnight, local_start
from selvhjelp.messaging import opted_out_ids, queue_messages

from .messages import meeting_context
from .models import COMMITMENT_WEEKS, Absence, Group, Meeting, Membership
from .selectors import memberships_with_commitment

FIRST_MEETING_REMINDER = "group_first_meeting_reminder"
MEETING_REMINDER = "group_meeting_reminder"
COMMITMENT_END = "group_commitment_end"
# A run that comes late (beat or the workers were down) still tells people
# whose 12 weeks ended this many days ago or less; the message names the date.
COMMITMENT_END_LOOKBACK_DAYS = 7


def reminder_time(start, days):
    """When to remind of something starting at `start`: its Oslo clock time, `days` dates earlier.

    Across a change to or from summer time this is 47 or 49 hours before,
    not 48: the reminder keeps the meeting's clock time.
    """
    start = local(start)
    return local_start(start.date() - datetime.timedelta(days=days), start.time())


def meetings_to_remind(queryset, *, now, days):
    """The meetings of `queryset` whose reminder time has come and which have not begun.

    Only meetings that are not cancelled, of active groups. One query,
    bounded by the meetings of the next `days` + 1 days, however many
    groups there are.
    """
    horizon = now + datetime.timedelta(days=days + 1)
    candidates = queryset.filter(
        cancelled=False,
        start__gt=now,
        start__lte=horizon,
        group__status__in=Group.ACTIVE_STATUSES,
    )
    return [meeting for meeting in candidates if reminder_time(meeting.start, days) <= now]


def _member_first_meeting():
    """Subquery: the id of a membership's first meeting, the first not cancelled after joining."""
    return (
        Meeting.objects.not_cancelled()
        .filter(group=OuterRef("group"), start__date__gte=OuterRef("joined_on"))
        .order_by("start", "sequence")
        .values("pk")[:1]
    )


@transaction.atomic
def remind_first_meetings(*, now=None):
    """Remind active members of their first meeting PARTICIPANT_REMINDER_DAYS before it.

    A member's first meeting is the first one not cancelled on or after the
    day they joined (so people who join a running group are reminded too),
    unless staff recorded that they have attended one. Someone who joined
    on the reminder day or later is not reminded: their welcome message,
    just sent, names the meeting. Members who stopped these reminders are
    skipped. Each goes by the channel the person chose. Returns counts.
    """
    now = now or timezone.now()
    days = settings.PARTICIPANT_REMINDER_DAYS
    meetings = {
        meeting.pk: meeting
        for meeting in meetings_to_remind(
            # Nobody is reminded of a group they have not been invited to yet.
            Meeting.objects.select_related("group__centre").filter(group__invitations_held=False),
            now=now,
            days=days,
        )
    }
    if not meetings:
        return {"reminders": 0}
    members = list(
        Membership.objects.active()
        .filter(
            group__in={meeting.group_id for meeting in meetings.values()},
            first_attended_on__isnull=True,
        )
        .annotate(first_meeting_id=Subquery(_member_first_meeting()))
        .filter(first_meeting_id__in=list(meetings))
        .select_related("intake")
        .order_by("pk")
    )
    stopped = opted_out_ids(Membership, FIRST_MEETING_REMINDER, [m.pk for m in members])
    drafts = []
    for membership in members:
        meeting = meetings[membership.first_meeting_id]
        reminder_day = reminder_time(meeting.start, days).date()
        if membership.pk in stopped or membership.joined_on >= reminder_day:
            continue
        channel, recipient = message_channel(membership.intake)
        drafts.append(
            {
                "centre": meeting.group.centre,
                "channel": channel,
                "recipient": recipient,
                "message_type": FIRST_MEETING_REMINDER,
                "about": membership,
                "to": membership.intake,
                # The revision: a moved meeting is a new reminder.
                "dedup_key": outbox_keys.member_first_meeting_reminder(meeting, membership),
                "context": {
                    "first_name": membership.intake.first_name,
                    **meeting_context(meeting),
                },
            }
        )
    return {"reminders": queue_messages(drafts)}


def meetings_still_ahead(messages):
    """{meeting id: (revision, group id)} of the messages' meetings not cancelled and ahead.

    For the outbox's check just before sending: `context["meeting_id"]`
    names the meeting. One query for any number of messages.
    """
    ids = {message.context.get("meeting_id") for message in messages}
    return {
        pk: (revision, group_id)
        for pk, revision, group_id in Meeting.objects.filter(
            pk__in=ids - {None},
            cancelled=False,
            start__gt=timezone.now(),
            group__status__in=Group.ACTIVE_STATUSES,
        ).values_list("pk", "revision", "group_id")
    }


def first_meeting_reminders_still_relevant(messages):
    """The ids of the reminders whose meeting is as it was when written, and ahead.

    Asked by the outbox just before sending: a meeting moved or cancelled
    since, one that has begun, or a member who left gets no reminder. Two
    queries for any number of reminders.
    """
    meetings = meetings_still_ahead(messages)
    members = dict(
        Membership.objects.active()
        .filter(pk__in={message.object_id for message in messages})
        .values_list("pk", "group_id")
    )
    return {
        message.pk
        for message in messages
        if meetings.get(message.context.get("meeting_id"))
        == (message.context.get("revision"), members.get(message.object_id))
    }


# --- Every meeting after the first ----------------------------------------------


@transaction.atomic
def remind_meetings(*, now=None):
    """Remind active members of each meeting after their first, PARTICIPANT_REMINDER_DAYS before.

    Each reminder carries the member's personal link (groups.members), so
    telling the group "I can't come" is one tap away. The first meeting has
    its own reminder (remind_first_meetings); a member who joined on the
    reminder day or later, who stopped these reminders, or who has already
    said they cannot come, gets none. Every other week, the weeks the group
    does not meet have no meeting, so no reminder. Returns counts.
    """
    now = now or timezone.now()
    days = settings.PARTICIPANT_REMINDER_DAYS
    meetings = meetings_to_remind(
        Meeting.objects.select_related("group__centre"), now=now, days=days
    )
    if not meetings:
        return {"meeting_reminders": 0}
    members = list(
        Membership.objects.active()
        .filter(group__in={meeting.group_id for meeting in meetings})
        .annotate(first_meeting_id=Subquery(_member_first_meeting()))
        .select_related("intake")
        .order_by("pk")
    )
    stopped = opted_out_ids(Membership, MEETING_REMINDER, [m.pk for m in members])
    away = set(
        Absence.objects.filter(meeting__in=meetings, taken_back_at__isnull=True).values_list(
            "membership_id", "meeting_id"
        )
    )
    drafts = []
    for meeting in meetings:
        reminder_day = reminder_time(meeting.start, days).date()
        for membership in members:
            if (
                membership.group_id != meeting.group_id
                or membership.pk in stopped
                or membership.joined_on >= reminder_day
                or (
                    membership.first_attended_on is None
                    and membership.first_meeting_id == meeting.pk
                )
                or (membership.pk, meeting.pk) in away
            ):
                continue
            channel, recipient = message_channel(membership.intake)
            drafts.append(
                {
                    "centre": meeting.group.centre,
                    "channel": channel,
                    "recipient": recipient,
                    "message_type": MEETING_REMINDER,
                    "about": membership,
                    "to": membership.intake,
                    "dedup_key": outbox_keys.member_meeting_reminder(meeting, membership),
                    "context": {
                        "first_name": membership.intake.first_name,
                        **meeting_context(meeting),
                    },
                }
            )
    return {"meeting_reminders": queue_messages(drafts)}


def meeting_reminders_still_relevant(messages):
    """As first_meeting_reminders_still_relevant, and the member has not said they can't come.

    Three queries for any number of reminders.
    """
    relevant = first_meeting_reminders_still_relevant(messages)
    away = set(
        Absence.objects.filter(
            membership__in={message.object_id for message in messages},
            meeting__in={message.context.get("meeting_id") for message in messages} - {None},
            taken_back_at__isnull=True,
        ).values_list("membership_id", "meeting_id")
    )
    return {
        message.pk
        for message in messages
        if message.pk in relevant
        and (message.object_id, message.context.get("meeting_id")) not in away
    }


# --- The end of the 12-week commitment ---------------------------------------


def memberships_ending(first_day, last_day):
    """Active memberships whose 12-week commitment ends between the two days (inclusive).

    The commitment runs from the first meeting attended, or else the first
    meeting after joining (Membership.commitment_ends_on). One query.
    """
    # The commitment ends on its first day + 12 weeks - 1 day.
    length = datetime.timedelta(weeks=COMMITMENT_WEEKS, days=-1)
    first_start, last_start = first_day - length, last_day - length
    candidates = memberships_with_commitment(
        Membership.objects.active().filter(
            group__status__in=Group.ACTIVE_STATUSES, joined_on__lte=last_start
        )
    ).filter(
        Q(first_attended_on__range=(first_start, last_start))
        | Q(
            first_attended_on__isnull=True,
            expected_first_meeting__gte=local_midnight(first_start),
            expected_first_meeting__lt=local_midnight(last_start + datetime.timedelta(days=1)),
        )
    )
    return [
        membership
        for membership in candidates.select_related("group__centre").order_by("pk")
        if first_day <= membership.commitment_ends_on <= last_day
    ]


@transaction.atomic
def tell_commitment_ends(*, now=None):
    """Tell each member on the day their 12-week commitment ends that they may stay on.

    A run that comes late tells those whose commitment ended in the last
    COMMITMENT_END_LOOKBACK_DAYS days (the message gives the date). Staff
    hear of it in the morning's digest (count_commitments_ending). Once per
    membership. Returns counts.
    """
    today = timezone.localdate(now or timezone.now())
    lookback = datetime.timedelta(days=COMMITMENT_END_LOOKBACK_DAYS - 1)
    drafts = []
    for membership in memberships_ending(today - lookback, today):
        group = membership.group
        channel, recipient = message_channel(membership.intake)
        drafts.append(
            {
                "centre": group.centre,
                "channel": channel,
                "recipient": recipient,
                "message_type": COMMITMENT_END,
                "about": membership,
                "to": membership.intake,
                "dedup_key": outbox_keys.commitment_end(membership),
                "context": {
                    "first_name": membership.intake.first_name,
                    "group": group.name,
                    "centre": group.centre.name,
                    "centre_phone": group.centre.phone,
                    "ends_on": membership.commitment_ends_on.isoformat(),
                },
            }
        )
    return {"commitment_ends": queue_messages(drafts)}


def count_commitments_ending(today):
    """{centre id: members whose 12-week commitment ends `today`}, for the staff digest."""
    counts = {}
    for membership in memberships_ending(today, today):
        counts[membership.group.centre_id] = counts.get(membership.group.centre_id, 0) + 1
    return counts
