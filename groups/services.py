"""Workflows around groups: forming one, members joining and leaving, status, place.

Every function here is keyword-only, runs in one transaction and locks the
group row (Group.objects.lock) before it reads what it checks, so two staff
acting at once cannot break a rule. The rules themselves live in
groups.rules (check_group and the guidelines), the meetings in
groups.meetings and the messages' context in groups.messages. A broken rule
raises GroupRuleError with a Norwegian message that names the person and the
rule. Guidelines (a good mix of people) are warnings: check_group returns
them and the caller must pass accept_warnings=True to go ahead anyway.
"""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from facilitators import services as facilitator_services
from intake.models import Intake
from selvhjelp import outbox_keys
from selvhjelp.dates import iso, local_date, long_date

from . import meetings, rules
from .messages import queue_to_members, queue_welcome
from .models import MAX_MEMBERS, MIN_MEMBERS, Group, GroupRuleError, Membership
from .rules import UnacceptedWarnings

__all__ = [
    "GroupRuleError",
    "UnacceptedWarnings",
    "add_member",
    "cancel_group",
    "change_place",
    "end_group",
    "form_group",
    "mark_self_run",
    "record_agreement",
    "undo_agreement",
    "remove_member",
    "roll_forward",
    "start_group",
    "start_groups_that_have_met",
]


def _free_seat(group):
    taken = set(group.memberships.active().values_list("seat", flat=True))
    return next(seat for seat in range(1, MAX_MEMBERS + 1) if seat not in taken)


def _join(*, group, intake, seat, joined_on, actor):
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                group=group, intake=intake, seat=seat, joined_on=joined_on, added_by=actor
            )
    except IntegrityError as error:
        # The lock makes this rare; the constraints are the last line of defence.
        raise GroupRuleError(
            _("%(who)s could not join “%(group)s”: they are in another group, or it is full.")
            % {"who": intake.name_and_reference, "group": group.name}
        ) from error
    intake.mark_placed(by=actor, reason=_("Joined the group “%(group)s”.") % {"group": group.name})
    return membership


@transaction.atomic
def form_group(
    *,
    centre,
    intakes,
    name,
    kind,
    theme=None,
    format,
    venue="",
    video_link="",
    weekday,
    start_time,
    length=120,
    first_meeting,
    actor,
    accept_warnings=False,
    holiday_choices=None,
    facilitators=(),
    formed_on=None,
    send_invitations=True,
    meetings_attended=None,
):
    """Form a group of `intakes` with its memberships, meeting schedule and welcome messages.

    The intakes become placed (with history). Meetings are generated weekly
    for the 12-week commitment; `holiday_choices` maps the sequence number of
    every meeting that falls on a public holiday to ("cancel", None) or
    ("move", date). The first meeting cannot be in the past.

    `facilitators` (at most two Facilitator instances; none is fine) are
    assigned to start the group, each attending its first meeting, in the
    same transaction: if one cannot be assigned, nothing is formed. Their
    rules and warnings are part of check_group's.

    `formed_on` is for recording a group formed on an earlier day (the demo
    data): the members joined then and the first meeting may be from then
    on. Today by default; never a day to come.

    Raises GroupRuleError when a rule is broken, and UnacceptedWarnings when
    guidelines are not met and `accept_warnings` is false. Returns the group.
    """
    theme = theme if kind == Group.Kind.SAME else None
    facilitators = list(facilitators)
    formed_on = formed_on or timezone.localdate()
    rules.raise_frame_errors(
        centre=centre,
        kind=kind,
        theme=theme,
        format=format,
        venue=venue,
        video_link=video_link,
        weekday=weekday,
        length=length,
        first=first_meeting,
        formed_on=formed_on,
    )
    # Locking the people first makes a second group formed from the same
    # person wait here, then see them placed.
    ids = Intake.objects.lock(intakes)
    check = rules.check_group(
        centre=centre,
        intakes=ids,
        kind=kind,
        theme=theme,
        format=format,
        weekday=weekday,
        start_time=start_time,
        first_meeting=first_meeting,
        name=name.strip(),
        length=length,
        facilitators=facilitators,
    )
    if check.errors:
        raise GroupRuleError(*check.errors)
    planned = meetings.proposed_schedule(first_meeting)
    moves = meetings.holiday_moves(planned, holiday_choices)
    if check.warnings and not accept_warnings:
        raise UnacceptedWarnings(check.warnings)

    group = Group(
        centre=centre,
        name=name.strip(),
        kind=kind,
        theme=theme,
        format=format,
        venue=venue.strip() if format == Group.Format.PHYSICAL else "",
        video_link=video_link.strip() if format == Group.Format.DIGITAL else "",
        weekday=weekday,
        start_time=start_time,
        length=length,
        planned_start=first_meeting,
        created_by=actor,
    )
    group.invitations_held = not send_invitations
    group.save()
    meetings.create_meetings(group, planned, moves)
    for seat, intake in enumerate(rules.load_intakes(ids), start=1):
        membership = _join(group=group, intake=intake, seat=seat, joined_on=formed_on, actor=actor)
        if send_invitations:
            queue_welcome(membership)
    # The facilitators' follow-up after the first meetings (facilitators app).
    facilitator_services.create_follow_up(group=group)
    for facilitator in facilitators:
        try:
            facilitator_services.assign_facilitator(
                group=group,
                facilitator=facilitator,
                meetings_attended=meetings_attended or centre.facilitator_meetings,
                actor=actor,
            )
        except facilitator_services.FacilitatorError as error:
            # Raised out of this transaction: the group, its members, meetings
            # and messages are rolled back with it. Formed with its chosen
            # facilitators, or not at all.
            raise GroupRuleError(*error.messages) from error
    return group


@transaction.atomic
def add_member(*, group, intake, actor, joined_on=None, group_agreed=False, accept_warnings=False):
    """Add `intake` to an existing group while it has room (never above 8).

    A group that has started is closed: a newcomer joins only when the group
    has agreed (`group_agreed`). The same rules as when forming hold. Writes
    the welcome message with the next meeting. Returns the membership.
    """
    group = Group.objects.lock(group)
    (intake_id,) = Intake.objects.lock([intake])
    joined_on = joined_on or timezone.localdate()
    check = rules.check_new_member(group=group, intake=intake_id, joined_on=joined_on)
    if check.errors:
        raise GroupRuleError(*check.errors)
    if group.status != Group.Status.PLANNED and not group_agreed:
        raise GroupRuleError(
            _("The group “%(group)s” has started: it has to agree before someone new joins.")
            % {"group": group.name}
        )
    if check.warnings and not accept_warnings:
        raise UnacceptedWarnings(check.warnings)
    intake = Intake.objects.get(pk=intake_id)
    membership = _join(
        group=group, intake=intake, seat=_free_seat(group), joined_on=joined_on, actor=actor
    )
    if not group.invitations_held:  # held invitations go out to everyone together
        queue_welcome(membership)
    return membership


@transaction.atomic
def send_invitations(*, group, actor):
    """Send the held "you have a place" messages to the group's members, once.

    For a group formed with its invitations held. Raises GroupRuleError when
    they were sent already or the group is no longer active. Returns how
    many members are told.
    """
    group = Group.objects.lock(group)
    if not group.invitations_held:
        raise GroupRuleError(
            _("The invitations to “%(group)s” have been sent already.") % {"group": group.name}
        )
    if not group.is_active:
        raise GroupRuleError(
            _("The group “%(group)s” has ended or was cancelled.") % {"group": group.name}
        )
    members = list(group.memberships.active().select_related("intake", "group__centre"))
    for membership in members:
        queue_welcome(membership)
    group.invitations_held = False
    group.save(update_fields=["invitations_held", "updated_at"])
    return len(members)


@transaction.atomic
def remove_member(*, membership, left_on, reason, intake_status, actor):
    """End a membership on `left_on` for `reason`.

    `intake_status` is what happens to the person's interest form: back to
    the waiting list (Intake.Status.WAITING) or closed (Intake.Status.CLOSED).
    Returns the membership.
    """
    group = Group.objects.lock(membership.group)
    membership = (
        Membership.objects.select_for_update()
        .select_related("intake")
        .get(pk=membership.pk, group=group)
    )
    who = membership.intake.name_and_reference
    if not membership.is_active:
        raise GroupRuleError(
            _("%(who)s already left the group on %(date)s.")
            % {"who": who, "date": long_date(membership.left_on)}
        )
    if not reason.strip():
        raise GroupRuleError(_("Give a reason why %(who)s leaves the group.") % {"who": who})
    if left_on < membership.joined_on or left_on > timezone.localdate():
        raise GroupRuleError(
            _("%(who)s can leave between joining (%(joined)s) and today.")
            % {"who": who, "joined": long_date(membership.joined_on)}
        )
    if intake_status not in (Intake.Status.WAITING, Intake.Status.CLOSED):
        raise GroupRuleError(
            _("Choose whether the interest form goes back to waiting or is closed.")
        )
    membership.left_on = left_on
    membership.left_reason = reason.strip()
    membership.save(update_fields=["left_on", "left_reason"])
    membership.intake.change_status(
        intake_status,
        by=actor,
        reason=_("Left the group “%(group)s”: %(reason)s")
        % {"group": group.name, "reason": membership.left_reason},
    )
    return membership


@transaction.atomic
def record_agreement(*, membership, actor, at=None):
    """Record that the member agreed to confidentiality and to notice of absence.

    Taushetsplikt and meldeplikt: agreed at the start, usually at the first
    meeting. `at` is when (now by default); it cannot be in the future. Staff
    of the group's centre and the group's active facilitators may record it
    (the same people as for a follow-up, see may_handle_follow_up in
    facilitators.services), for an active membership only. The first record
    stands: a membership that already has one is refused, so a double click
    or two facilitators at once never move the date. Messages name the
    person by first name only, as facilitators see them. Raises
    GroupRuleError; returns the membership.
    """
    group = Group.objects.lock(membership.group)
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("intake")
        .get(pk=membership.pk, group=group)
    )
    if not facilitator_services.may_handle_follow_up(actor, group):
        raise GroupRuleError(
            _(
                "Only the facilitators of “%(group)s” and the staff of its centre "
                "can record who has agreed to confidentiality."
            )
            % {"group": group.name}
        )
    who = membership.intake.first_name
    if not membership.is_active:
        raise GroupRuleError(
            _("%(who)s already left the group on %(date)s.")
            % {"who": who, "date": long_date(membership.left_on)}
        )
    if membership.confidentiality_agreed_at:
        raise GroupRuleError(
            _("%(who)s already agreed to confidentiality and notice of absence on %(date)s.")
            % {"who": who, "date": long_date(membership.confidentiality_agreed_at)}
        )
    at = at or timezone.now()
    if at > timezone.now():
        raise GroupRuleError(_("The agreement cannot be in the future."))
    if not group.meetings.not_cancelled().filter(start__lte=at).exists():
        # Agreed at the start, together: not before the group has met.
        raise GroupRuleError(
            _("%(who)s can agree from the group's first meeting on.") % {"who": who}
        )
    membership.confidentiality_agreed_at = at
    membership.save(update_fields=["confidentiality_agreed_at"])
    return membership


@transaction.atomic
def undo_agreement(*, membership, actor):
    """Take back a record of the agreement made by mistake: the same day only.

    The same people as record_agreement may do it. Raises GroupRuleError;
    returns the membership.
    """
    group = Group.objects.lock(membership.group)
    membership = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("intake")
        .get(pk=membership.pk, group=group)
    )
    if not facilitator_services.may_handle_follow_up(actor, group):
        raise GroupRuleError(
            _(
                "Only the facilitators of “%(group)s” and the staff of its centre "
                "can record who has agreed to confidentiality."
            )
            % {"group": group.name}
        )
    agreed = membership.confidentiality_agreed_at
    if agreed is None or local_date(agreed) != timezone.localdate():
        raise GroupRuleError(_("Only a record made today can be undone."))
    membership.confidentiality_agreed_at = None
    membership.save(update_fields=["confidentiality_agreed_at"])
    return membership


def _change_status(group, to, *, on, actor):
    if to not in Group.TRANSITIONS[group.status]:
        raise GroupRuleError(
            _("A group that is %(old)s cannot become %(new)s.")
            % {
                "old": group.get_status_display().lower(),
                "new": Group.Status(to).label.lower(),
            }
        )
    group.status = to
    return group


@transaction.atomic
def start_group(*, group, actor, on=None):
    """Mark a planned group as started, after its first meeting, with at least 4 members.

    `on`, the day it started (today by default), is between the day of its
    first meeting and today.
    """
    group = Group.objects.lock(group)
    on = on or timezone.localdate()
    _change_status(group, Group.Status.STARTED, on=on, actor=actor)
    first = group.meetings.not_cancelled().filter(start__lte=timezone.now()).order_by("start")
    first = first.values_list("start", flat=True).first()
    if first is None:
        raise GroupRuleError(
            _("The group “%(group)s” starts after its first meeting has taken place.")
            % {"group": group.name}
        )
    if on > timezone.localdate():
        raise GroupRuleError(_("A group can only be started today or on a day that has passed."))
    first_day = local_date(first)
    if on < first_day:
        raise GroupRuleError(
            _("The group “%(group)s” cannot have started before its first meeting, %(date)s.")
            % {"group": group.name, "date": long_date(first_day)}
        )
    count = group.memberships.active().count()
    if count < MIN_MEMBERS:
        raise GroupRuleError(
            _("The group “%(group)s” has %(count)s members; it needs %(min)s to start.")
            % {"group": group.name, "count": count, "min": MIN_MEMBERS}
        )
    group.started_on = on
    group.save(update_fields=["status", "started_on", "updated_at"])
    return group


def _ensure_since_start(group, on, *, in_future, before_start):
    """Refuse a status day `on` that is to come or before the group started (if it has).

    `before_start` is a message with %(group)s and %(date)s.
    """
    if on > timezone.localdate():
        raise GroupRuleError(in_future)
    if group.started_on and on < group.started_on:
        raise GroupRuleError(
            before_start % {"group": group.name, "date": long_date(group.started_on)}
        )


@transaction.atomic
def mark_self_run(*, group, actor, on=None):
    """The facilitators have withdrawn: the group runs itself from `on` (today by default).

    `on` cannot be a day to come, nor before the day the group started.
    """
    group = Group.objects.lock(group)
    on = on or timezone.localdate()
    _change_status(group, Group.Status.SELF_RUN, on=on, actor=actor)
    _ensure_since_start(
        group,
        on,
        in_future=_("A group can only run itself from today or a day that has passed."),
        before_start=_(
            "The group “%(group)s” started on %(date)s; it cannot run itself before that."
        ),
    )
    group.self_run_on = on
    group.save(update_fields=["status", "self_run_on", "updated_at"])
    return group


def _close(group, *, on, reason, intake_status, actor):
    """End every active membership and cancel every meeting after `on`."""
    for membership in group.memberships.active().select_related("intake"):
        membership.left_on = max(on, membership.joined_on)
        membership.left_reason = reason
        membership.save(update_fields=["left_on", "left_reason"])
        membership.intake.change_status(intake_status, by=actor, reason=reason)
    meetings.cancel_meetings_after(group, on, reason=reason)


@transaction.atomic
def end_group(*, group, actor, on=None, reason=""):
    """End a started or self-run group: members leave, their interest forms are closed.

    `on` (today by default) cannot be a day to come, nor before the group started.
    """
    group = Group.objects.lock(group)
    on = on or timezone.localdate()
    _change_status(group, Group.Status.ENDED, on=on, actor=actor)
    _ensure_since_start(
        group,
        on,
        in_future=_("A group can only be ended today or on a day that has passed."),
        before_start=_(
            "The group “%(group)s” started on %(date)s; it cannot have ended before that."
        ),
    )
    reason = reason.strip() or _("The group ended.")
    _close(group, on=on, reason=reason, intake_status=Intake.Status.CLOSED, actor=actor)
    group.ended_on, group.closing_reason = on, reason
    group.save(update_fields=["status", "ended_on", "closing_reason", "updated_at"])
    return group


@transaction.atomic
def cancel_group(*, group, actor, reason):
    """Cancel a planned group: members go back to waiting and are told it will not start."""
    group = Group.objects.lock(group)
    today = timezone.localdate()
    if group.status in (Group.Status.STARTED, Group.Status.SELF_RUN):
        raise GroupRuleError(
            _("The group “%(group)s” has started: end it instead of cancelling it.")
            % {"group": group.name}
        )
    _change_status(group, Group.Status.CANCELLED, on=today, actor=actor)
    if not reason.strip():
        raise GroupRuleError(_("Give a reason for cancelling the group."))
    queue_to_members(
        group,
        message_type="group_cancelled",
        about=group,
        key=outbox_keys.group_cancelled(group),
        context={},
    )
    _close(
        group,
        on=today,
        reason=_("The group was cancelled before it started."),
        intake_status=Intake.Status.WAITING,
        actor=actor,
    )
    group.meetings.not_cancelled().update(cancelled=True, cancelled_reason=reason.strip())
    group.cancelled_on, group.closing_reason = today, reason.strip()
    group.save(update_fields=["status", "cancelled_on", "closing_reason", "updated_at"])
    return group


@transaction.atomic
def change_place(*, group, venue, video_link, actor):
    """Change where an active group meets and tell the members before the next meeting."""
    group = Group.objects.lock(group)
    if not group.is_active:
        raise GroupRuleError(
            _("The group “%(group)s” is %(status)s; its place can no longer be changed.")
            % {"group": group.name, "status": group.get_status_display().lower()}
        )
    venue, video_link = venue.strip(), video_link.strip()
    errors = rules.place_errors(format=group.format, venue=venue, video_link=video_link)
    if errors:
        raise GroupRuleError(*errors.values())
    if group.format == Group.Format.PHYSICAL:
        changed, group.venue = venue != group.venue, venue
    else:
        changed, group.video_link = video_link != group.video_link, video_link
    if not changed:
        return group
    group.save(update_fields=["venue", "video_link", "updated_at"])
    # Every meeting ahead now has another place: a new revision, as when it is
    # moved, so calendar feeds raise the event's SEQUENCE and calendar apps
    # take the new place, and a reminder written with the old one is dropped
    # before sending and written again. Meetings that have begun keep theirs.
    group.meetings.filter(start__gt=timezone.now()).update(revision=F("revision") + 1)
    upcoming = meetings.next_meeting(group)
    version = group.updated_at.strftime("%Y%m%d%H%M%S%f")
    queue_to_members(
        group,
        message_type="group_place_changed",
        about=group,
        key=outbox_keys.place_changed(group, version),
        context={"next_meeting_at": iso(upcoming.start) if upcoming else ""},
    )
    return group


def start_groups_that_have_met(*, now=None):
    """Mark planned groups as started once their first meeting has taken place.

    Groups with fewer than 4 members stay planned for staff to decide.
    Returns the groups started.
    """
    now = now or timezone.now()
    started = []
    due = Group.objects.filter(
        status=Group.Status.PLANNED, meetings__cancelled=False, meetings__start__lte=now
    ).distinct()
    for group in due:
        try:
            started.append(start_group(group=group, actor=None, on=timezone.localdate(now)))
        except GroupRuleError:
            continue
    return started


def roll_forward(*, now=None):
    """The periodic job: start groups that have met and extend every schedule."""
    started = start_groups_that_have_met(now=now)
    created = meetings.extend_schedules(now=now)
    return {"started": len(started), "meetings": created}
