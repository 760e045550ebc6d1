"""A member's personal link: telling the group they can't come, leaving, asking for a visit.

Each membership has a secret token (Membership.link_token); the link
`/min-gruppe/<token>/` comes in the welcome message and the meeting
reminders, made when the message is sent (`link_context`), so it never sits
in the outbox. The link is the key: no login, and a wrong token is a 404.

Through it a member can:
- say they cannot come to a meeting (`report_absence`), and take it back
  until the meeting starts (`take_back_absence`): the other members, and the
  facilitators while they still attend, are told by the channel each chose;
- leave the group (`leave_group`): the others are told, staff see it on their
  start page;
- ask for a facilitator to come back (`ask_for_visit`, facilitators.visits).

Members never see each other's contact details: messages and pages carry
first names only, and no reason is asked and no text is taken. Every notice
goes through the outbox once: its key carries the notice's revision and the
recipient (outbox_keys.member_absence), and the member's row is locked while
a notice is written, so a double click writes nothing twice.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from facilitators import visits
from facilitators.models import Assignment
from facilitators.selectors import attended_meetings
from intake.models import Intake
from intake.services import message_channel
from selvhjelp import outbox_keys
from selvhjelp.dates import iso, local_date, weekday_date
from selvhjelp.messaging import queue_message

from .messages import where
from .models import Absence, Group, GroupRuleError, Meeting, Membership

# How many meetings ahead the member's page lists.
MEETINGS_SHOWN = 6


class MemberLinkError(GroupRuleError):
    """Something a member cannot do through their link; the text is shown to them as is."""


# --- The link -------------------------------------------------------------------


def member_for(token):
    """The membership whose link has `token`, with its group, or Http404.

    The one access helper for the member's pages. A membership that has ended
    is found too (the page then says so); a wrong or old token is a 404.
    """
    if not token or len(token) > 64:
        raise Http404
    membership = (
        Membership.objects.select_related("group__centre", "intake")
        .filter(link_token=token)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def member_url(membership):
    return settings.SITE_URL + reverse("groups:member", kwargs={"token": membership.link_token})


def link_context(message):
    """The member's link for a message about a membership, made at send time.

    MessageType.send_time_context of the welcome and the reminders: the
    token never sits in the outbox, and staff previews leave it out.
    """
    membership = Membership.objects.active().filter(pk=message.object_id).first()
    return {"member_url": member_url(membership)} if membership else {}


# --- What the member's page shows ---------------------------------------------


def upcoming_meetings(membership, now=None):
    """The group's next meetings, each with `absent` (this member said they can't come)."""
    now = now or timezone.now()
    meetings = list(
        membership.group.meetings.filter(start__gt=now)
        .exclude(cancelled=True, off_rhythm=True)
        .order_by("start")[:MEETINGS_SHOWN]
    )
    absent = set(
        Absence.objects.filter(
            membership=membership, meeting__in=meetings, taken_back_at__isnull=True
        ).values_list("meeting_id", flat=True)
    )
    for meeting in meetings:
        meeting.absent = meeting.pk in absent
    return meetings


def expected_counts(meetings):
    """{meeting id: members expected}: active members who joined by then, less those away.

    For the facilitators' page. Two queries however many meetings.
    """
    meetings = list(meetings)
    if not meetings:
        return {}
    group_ids = {meeting.group_id for meeting in meetings}
    members = list(
        Membership.objects.active().filter(group__in=group_ids).values_list("group_id", "joined_on")
    )
    away = dict(
        Absence.objects.filter(
            meeting__in=meetings, taken_back_at__isnull=True, membership__left_on__isnull=True
        )
        .values("meeting_id")
        .annotate(n=Count("pk"))
        .values_list("meeting_id", "n")
    )
    counts = {}
    for meeting in meetings:
        day = local_date(meeting.start)
        joined = sum(
            1
            for group_id, joined_on in members
            if group_id == meeting.group_id and joined_on <= day
        )
        counts[meeting.pk] = joined - away.get(meeting.pk, 0)
    return counts


# --- Notices ----------------------------------------------------------------------


def _lock_member(membership):
    """Lock the member's row (two tabs, a double click wait here); refuse one who left."""
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("group__centre", "intake")
        .get(pk=membership.pk)
    )
    if not membership.is_active:
        raise MemberLinkError(_("You have left the group, so this link can no longer be used."))
    if not membership.group.is_active:
        raise MemberLinkError(_("The group no longer meets."))
    return membership


def _meeting_ahead(membership, meeting, now):
    meeting = Meeting.objects.filter(
        pk=getattr(meeting, "pk", meeting), group=membership.group
    ).first()
    if meeting is None:
        raise Http404
    if meeting.cancelled:
        raise MemberLinkError(
            _("The meeting on %(date)s is cancelled.") % {"date": weekday_date(meeting.start)}
        )
    if meeting.start <= now:
        raise MemberLinkError(
            _("The meeting on %(date)s has already begun.") % {"date": weekday_date(meeting.start)}
        )
    return meeting


def attending_facilitators(meeting):
    """The active assignments whose facilitator attends `meeting` (facilitators.selectors)."""
    assignments = list(
        Assignment.objects.active()
        .filter(group=meeting.group_id)
        .select_related("facilitator__user", "group")
    )
    return [
        assignment
        for assignment in assignments
        if assignment.facilitator.active
        and meeting.pk in {m.pk for m in attended_meetings([assignment]) if not m.cancelled}
    ]


def _tell_others(membership, *, message_type, about, key, context, facilitators=()):
    """One message to every other active member, and to `facilitators` (assignments).

    Each by the channel they chose; each names the member by first name only.
    """
    group = membership.group
    context = {**where(group), "who": membership.intake.first_name, **context}
    others = group.memberships.active().exclude(pk=membership.pk).select_related("intake")
    for other in others:
        channel, recipient = message_channel(other.intake)
        queue_message(
            centre=group.centre,
            channel=channel,
            recipient=recipient,
            to=other.intake,
            message_type=message_type,
            about=about,
            dedup_key=key(("member", other)),
            context={**context, "first_name": other.intake.first_name},
        )
    for assignment in facilitators:
        facilitator = assignment.facilitator
        channel, recipient = visits.facilitator_channel(facilitator)
        if not recipient:
            continue
        queue_message(
            centre=group.centre,
            channel=channel,
            recipient=recipient,
            to=facilitator,
            message_type=message_type,
            about=about,
            dedup_key=key(("facilitator", assignment)),
            context={**context, "first_name": facilitator.user.first_name},
        )


def _tell_absence(absence, message_type):
    meeting = absence.meeting
    _tell_others(
        absence.membership,
        message_type=message_type,
        about=absence,
        key=lambda recipient: outbox_keys.member_absence(absence, recipient),
        context={"meeting_at": iso(meeting.start), "meeting_id": meeting.pk},
        facilitators=attending_facilitators(meeting),
    )


@transaction.atomic
def report_absence(*, membership, meeting, now=None):
    """The member cannot come to `meeting`: the others are told (meldeplikt).

    A meeting of the member's group that is ahead and not cancelled. Saying
    it twice changes nothing and tells nobody twice. Works whether or not the
    member gets reminders. Returns the Absence.
    """
    now = now or timezone.now()
    membership = _lock_member(membership)
    meeting = _meeting_ahead(membership, meeting, now)
    absence, created = Absence.objects.get_or_create(
        membership=membership, meeting=meeting, defaults={"reported_at": now}
    )
    if not created:
        if absence.is_active:
            return absence
        absence.taken_back_at = None
        absence.reported_at = now
        absence.revision += 1
        absence.save(update_fields=["taken_back_at", "reported_at", "revision"])
    absence.membership, absence.meeting = membership, meeting
    _tell_absence(absence, "member_absent")
    return absence


@transaction.atomic
def take_back_absence(*, membership, meeting, now=None):
    """The member comes after all: until the meeting starts; the others are told again.

    Taking back what is not reported changes nothing. Returns the Absence, or None.
    """
    now = now or timezone.now()
    membership = _lock_member(membership)
    meeting = _meeting_ahead(membership, meeting, now)
    absence = Absence.objects.filter(
        membership=membership, meeting=meeting, taken_back_at__isnull=True
    ).first()
    if absence is None:
        return None
    absence.taken_back_at = now
    absence.revision += 1
    absence.save(update_fields=["taken_back_at", "revision"])
    absence.membership, absence.meeting = membership, meeting
    _tell_absence(absence, "member_coming_after_all")
    return absence


def absence_notices_still_relevant(messages):
    """The ids of absence notices whose meeting is still ahead and not cancelled.

    Asked by the outbox just before sending: news about a meeting that has
    begun or was cancelled is left out. One query for any number.
    """
    ids = {message.context.get("meeting_id") for message in messages} - {None}
    ahead = set(
        Meeting.objects.filter(
            pk__in=ids,
            cancelled=False,
            start__gt=timezone.now(),
            group__status__in=Group.ACTIVE_STATUSES,
        ).values_list("pk", flat=True)
    )
    return {message.pk for message in messages if message.context.get("meeting_id") in ahead}


# --- Leaving ------------------------------------------------------------------------


@transaction.atomic
def leave_group(*, membership, now=None):
    """The member leaves the group through their link; the others are told (first name).

    The membership ends today and the interest form is closed. Nothing is
    asked about why. Staff see it on their start page (`left_by_member`).
    Returns the membership.
    """
    now = now or timezone.now()
    group = Group.objects.lock(membership.group)
    membership = _lock_member(membership)
    membership.group = group
    today = local_date(now)
    with translation.override("nb"):
        reason = _("Left the group through their own link.")
    membership.left_on = max(today, membership.joined_on)
    membership.left_reason = reason
    membership.left_by_member = True
    membership.save(update_fields=["left_on", "left_reason", "left_by_member"])
    if membership.intake.status == Intake.Status.PLACED:
        membership.intake.change_status(Intake.Status.CLOSED, by=None, reason=reason)
    _tell_others(
        membership,
        message_type="member_left",
        about=membership,
        key=lambda recipient: outbox_keys.member_left(membership, recipient),
        context={},
        facilitators=group.assignments.active().select_related("facilitator__user"),
    )
    return membership


def left_by_members(centres, since):
    """Memberships of `centres` ended by the member's own link on or after `since`, newest first."""
    return (
        Membership.objects.filter(
            left_by_member=True, left_on__gte=since, group__centre__in=centres
        )
        .select_related("group", "intake")
        .order_by("-left_on", "-pk")
    )


# --- Asking for a visit --------------------------------------------------------------


def ask_for_visit(*, membership, now=None):
    """The member asks for a facilitator to come back (facilitators.visits.request_visit)."""
    with transaction.atomic():
        membership = _lock_member(membership)
        try:
            return visits.request_visit(group=membership.group, asked_by=membership, now=now)
        except visits.FacilitatorError as error:
            raise MemberLinkError(*error.messages) from error


def open_visit(membership):
    """The group's visit asked for or planned ahead, if any (for the member's page)."""
    return (
        visits.open_visits(membership.group)
        .select_related("visitor__user", "meeting")
        .order_by("-pk")
        .first()
    )


__all__ = [
    "MemberLinkError",
    "ask_for_visit",
    "expected_counts",
    "leave_group",
    "member_for",
    "report_absence",
    "take_back_absence",
    "upcoming_meetings",
]
