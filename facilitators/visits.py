"""A group asks a facilitator back: the request, who answers it, and the visit.

There is one way to record a visit: a FollowUp of kind VISIT. A follow-up
whose outcome is "invited back" creates one with its date
(services.complete_follow_up); a member creates one through their link
(`request_visit`, called by groups.members.ask_for_visit). Either is
answered here: a facilitator who has started the group (now or before)
picks a meeting to come to (`plan_visit`, and the group is told who comes
and when), or declines with a short note for the centre's staff
(`decline_visit`). Staff see open requests and declines on their start page.

Messages name the group and the time, never who asked or why.
"""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from groups.messages import meeting_context, queue_to_members
from groups.models import Group, Meeting
from selvhjelp import outbox_keys
from selvhjelp.dates import local_date, weekday_date
from selvhjelp.messaging import queue_message
from selvhjelp.models import OutboundMessage, StaffMembership

from .models import NOTE_MAX_LENGTH, Assignment, Facilitator, FollowUp, VisitDecline
from .services import FacilitatorError

# A request waits this long for an answer before it shows as overdue.
ANSWER_WITHIN_DAYS = 7
# How many of the group's meetings ahead a facilitator can choose from.
MEETINGS_TO_CHOOSE_FROM = 6


def facilitator_channel(facilitator):
    """(channel, address) for a facilitator: email when they have one, else SMS."""
    user = facilitator.user
    if user.email:
        return OutboundMessage.Channel.EMAIL, user.email
    return OutboundMessage.Channel.SMS, facilitator.phone


def group_facilitators(group):
    """The active facilitators who have started `group`, withdrawn since or not."""
    return list(
        Facilitator.objects.filter(active=True, assignments__group=group)
        .select_related("user")
        .distinct()
        .order_by("pk")
    )


def may_answer(facilitator, group):
    """A facilitator who is active and has ever been assigned to `group`."""
    return (
        facilitator.active
        and Assignment.objects.filter(facilitator=facilitator, group=group).exists()
    )


def open_visits(group):
    """The group's visits not done and not yet past: asked for, or planned ahead."""
    today = timezone.localdate()
    return FollowUp.objects.filter(
        group=group, kind=FollowUp.Kind.VISIT, done_on__isnull=True
    ).filter(Q(meeting__isnull=True) | Q(due_on__gte=today))


def meetings_to_choose(group, now=None):
    """The group's next meetings a visitor can come to."""
    return list(
        group.meetings.not_cancelled()
        .filter(start__gt=now or timezone.now())
        .order_by("start")[:MEETINGS_TO_CHOOSE_FROM]
    )


@transaction.atomic
def request_visit(*, group, asked_by, now=None):
    """A member asks for a facilitator to come back; the group's facilitators and staff hear.

    Only a group that has started and still meets can ask, and one request
    at a time: while one is open (unanswered, or planned ahead) a new one is
    refused. Returns the visit (a FollowUp of kind VISIT, pending until a
    facilitator picks a meeting).
    """
    now = now or timezone.now()
    group = Group.objects.lock(group)
    if group.status not in (Group.Status.STARTED, Group.Status.SELF_RUN):
        raise FacilitatorError(
            _("The group has not started yet: the facilitators are still with it.")
        )
    if open_visits(group).exists():
        raise FacilitatorError(
            _("The group has already asked for a visit. You will hear when someone comes.")
        )
    today = local_date(now)
    visit = FollowUp.objects.create(
        group=group,
        kind=FollowUp.Kind.VISIT,
        due_on=today + datetime.timedelta(days=ANSWER_WITHIN_DAYS),
        asked_by=asked_by,
        asked_at=now,
    )
    _tell_visit_requested(visit)
    return visit


def _tell_visit_requested(visit):
    group = visit.group
    context = {"group": group.name, "centre": group.centre.name}
    facilitator_url = settings.SITE_URL + reverse("facilitators:visit", args=[visit.pk])
    staff_url = settings.SITE_URL + reverse("admin:index")
    for facilitator in group_facilitators(group):
        channel, recipient = facilitator_channel(facilitator)
        if not recipient:
            continue
        queue_message(
            centre=group.centre,
            channel=channel,
            recipient=recipient,
            to=facilitator,
            message_type="visit_requested",
            about=visit,
            dedup_key=outbox_keys.visit_requested(visit, ("facilitator", facilitator)),
            context={
                **context,
                "first_name": facilitator.user.first_name,
                "for_staff": False,
                "answer_url": facilitator_url,
            },
        )
    staff = StaffMembership.objects.filter(
        centre=group.centre, user__is_active=True
    ).select_related("user")
    for membership in staff:
        user = membership.user
        if not user.email:
            continue
        queue_message(
            centre=group.centre,
            channel=OutboundMessage.Channel.EMAIL,
            recipient=user.email,
            to=user,
            message_type="visit_requested",
            about=visit,
            dedup_key=outbox_keys.visit_requested(visit, ("staff", user)),
            context={
                **context,
                "first_name": user.first_name,
                "for_staff": True,
                "answer_url": staff_url,
            },
        )


def _lock_open_visit(visit, facilitator):
    group = Group.objects.lock(visit.group)
    visit = FollowUp.objects.select_for_update().get(pk=visit.pk, group=group)
    visit.group = group
    if visit.kind != FollowUp.Kind.VISIT or visit.is_done:
        raise FacilitatorError(_("This visit is already done."))
    if not may_answer(facilitator, group):
        raise FacilitatorError(
            _("Only the facilitators who started “%(group)s” can answer.") % {"group": group.name}
        )
    if visit.visitor_id is not None:
        raise FacilitatorError(
            _("%(who)s already visits the group on %(date)s.")
            % {"who": visit.visitor, "date": weekday_date(visit.due_on)}
        )
    if not group.is_active:
        raise FacilitatorError(
            _("The group “%(group)s” is %(status)s: no visit can be planned.")
            % {"group": group.name, "status": group.get_status_display().lower()}
        )
    return visit


@transaction.atomic
def plan_visit(*, visit, facilitator, meeting, now=None):
    """`facilitator` comes to `meeting`: the visit gets its date and the members are told.

    The first facilitator to answer takes the visit; a second is refused.
    The meeting is one of the group's ahead that is not cancelled. Returns
    the visit.
    """
    now = now or timezone.now()
    visit = _lock_open_visit(visit, facilitator)
    group = visit.group
    meeting = Meeting.objects.filter(pk=getattr(meeting, "pk", meeting), group=group).first()
    if meeting is None or meeting.cancelled or meeting.start <= now:
        raise FacilitatorError(_("Choose one of the group's meetings ahead."))
    visit.visitor = facilitator
    visit.meeting = meeting
    visit.due_on = local_date(meeting.start)
    visit.revision += 1
    visit.save(update_fields=["visitor", "meeting", "due_on", "revision"])
    queue_to_members(
        group,
        message_type="visit_planned",
        about=visit,
        key=outbox_keys.visit_planned(visit),
        context={**meeting_context(meeting), "visitor": facilitator.user.first_name},
    )
    return visit


@transaction.atomic
def decline_visit(*, visit, facilitator, note=""):
    """`facilitator` cannot come; the note is for the centre's staff, who are told.

    Once per facilitator and visit. Other facilitators may still take it.
    Returns the VisitDecline.
    """
    visit = _lock_open_visit(visit, facilitator)
    note = " ".join((note or "").split())
    if len(note) > NOTE_MAX_LENGTH:
        raise FacilitatorError(
            _("The note can be at most %(max)s characters long.") % {"max": NOTE_MAX_LENGTH}
        )
    try:
        with transaction.atomic():
            decline = VisitDecline.objects.create(
                follow_up=visit, facilitator=facilitator, note=note
            )
    except IntegrityError as error:
        raise FacilitatorError(_("You have already said you cannot come.")) from error
    group = visit.group
    staff = StaffMembership.objects.filter(
        centre=group.centre, user__is_active=True
    ).select_related("user")
    for membership in staff:
        user = membership.user
        if not user.email:
            continue
        # The note stays in the portal: free text never goes into a message.
        queue_message(
            centre=group.centre,
            channel=OutboundMessage.Channel.EMAIL,
            recipient=user.email,
            to=user,
            message_type="visit_declined",
            about=visit,
            dedup_key=outbox_keys.visit_declined(decline, user),
            context={
                "first_name": user.first_name,
                "group": group.name,
                "facilitator": facilitator.user.first_name,
            },
        )
    return decline


def visits_to_answer(facilitator):
    """Visits asked for and not yet taken, of active groups the facilitator has started."""
    return (
        FollowUp.objects.filter(
            kind=FollowUp.Kind.VISIT,
            done_on__isnull=True,
            visitor__isnull=True,
            group__status__in=Group.ACTIVE_STATUSES,
            group__assignments__facilitator=facilitator,
        )
        .exclude(declines__facilitator=facilitator)
        .select_related("group")
        .distinct()
        .order_by("due_on", "pk")
    )


def visits_to_make(facilitator, *, since=None):
    """Visits the facilitator has taken, from `since` (today) on, the earliest first.

    For the overview and the calendar feed: a former facilitator no longer
    sees the group, but sees the visit they said they make.
    """
    return (
        FollowUp.objects.filter(
            kind=FollowUp.Kind.VISIT,
            visitor=facilitator,
            due_on__gte=since or timezone.localdate(),
            group__status__in=Group.ACTIVE_STATUSES,
        )
        .select_related("group", "meeting")
        .order_by("due_on", "pk")
    )


def pending_visits(centres):
    """Visits asked for and not yet planned, of active groups of `centres`, oldest first."""
    return (
        FollowUp.objects.filter(
            kind=FollowUp.Kind.VISIT,
            done_on__isnull=True,
            visitor__isnull=True,
            group__centre__in=centres,
            group__status__in=Group.ACTIVE_STATUSES,
        )
        .select_related("group")
        .order_by("due_on", "pk")
    )
