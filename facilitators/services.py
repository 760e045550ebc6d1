"""Workflows around facilitators (igangsettere): logins, assignments, follow-ups.

Every function that changes rows is keyword-only and runs in one
transaction. A broken rule raises FacilitatorError with a Norwegian message
that names the person and the rule. Guidelines (two facilitators, no
overlapping meetings) are warnings: `assignment_warnings` lists them and
staff decide; they never block.

groups.services calls `create_follow_up` when a group is formed,
`check_new_group_facilitators` and `assign_facilitator` when staff choose
facilitators while forming it, and `refresh_follow_up_due` when a meeting is
cancelled or moved, so this module must not import groups.services (that
would be an import cycle).
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from groups.models import Group
from selvhjelp import outbox_keys
from selvhjelp.dates import local_date, long_date, when
from selvhjelp.errors import RuleError
from selvhjelp.messaging import queue_message
from selvhjelp.models import OutboundMessage

from .models import MAX_MEETINGS_ATTENDED, NOTE_MAX_LENGTH, Assignment, Facilitator, FollowUp


class FacilitatorError(RuleError):
    """A rule about facilitators was broken; the messages are shown as they are."""


@dataclass
class AssignmentCheck:
    """The result of checking an assignment: rules broken, guidelines not met."""

    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors


# --- Logins -------------------------------------------------------------------


@transaction.atomic
def create_facilitator(*, first_name, last_name, email, phone, centres, actor):
    """Create a facilitator's login and send an invitation to choose a password.

    The user gets no usable password: the invitation link (Django's password
    reset machinery) is the only way in. `actor` must work for every centre.
    """
    centres = list(centres)
    if not centres:
        raise FacilitatorError(_("Choose at least one centre for the facilitator."))
    if not actor.is_superuser:
        allowed = set(actor.staff_memberships.values_list("centre_id", flat=True))
        if any(centre.pk not in allowed for centre in centres):
            raise FacilitatorError(_("You can only add facilitators to your own centres."))
    User = get_user_model()
    if User.objects.filter(email__iexact=email).exists():
        raise FacilitatorError(_("A user with this email address already exists."))
    user = User(username=email.lower(), email=email, first_name=first_name, last_name=last_name)
    user.set_unusable_password()
    user.save()
    facilitator = Facilitator.objects.create(user=user, phone=phone)
    facilitator.centres.set(centres)
    send_password_link(facilitator=facilitator, purpose="invitation")
    return facilitator


def send_password_link(*, facilitator, purpose):
    """Write a message with a link to choose a password ("invitation" or "reset").

    The link itself is made when the message is sent (facilitators.messages),
    so no valid token ever sits in the outbox where staff could read it.
    """
    user = facilitator.user
    channel, recipient = (
        (OutboundMessage.Channel.EMAIL, user.email)
        if user.email
        else (OutboundMessage.Channel.SMS, facilitator.phone)
    )
    centre = facilitator.centres.order_by("name").first()
    return queue_message(
        centre=centre,
        channel=channel,
        recipient=recipient,
        message_type="facilitator_password_link",
        about=facilitator,
        to=facilitator,
        dedup_key=outbox_keys.password_link(facilitator, purpose),
        context={
            "first_name": user.first_name,
            "purpose": purpose,
            "user_id": user.pk,
            "centre": centre.name,
        },
    )


@transaction.atomic
def regenerate_calendar_token(*, facilitator):
    """Give the facilitator a new calendar address; the old one stops working at once."""
    facilitator.calendar_token = Facilitator._meta.get_field("calendar_token").default()
    facilitator.save(update_fields=["calendar_token"])
    return facilitator


# --- Which meetings a facilitator attends ----------------------------------------


def first_meetings(group, limit):
    """The group's first `limit` meetings that are not cancelled (held or to come), in order."""
    return list(group.meetings.not_cancelled().order_by("start", "sequence")[:limit])


def _overlaps(first, second):
    return first.start < second.end and second.start < first.end


def _overlap_warnings(facilitator, group, meetings_attended):
    """Meetings this assignment would add that clash with the facilitator's other groups."""
    mine = first_meetings(group, meetings_attended)
    return _clash_warnings(facilitator, group.name, mine, other_than=group)


def _clash_warnings(facilitator, name, mine, *, other_than=None):
    """A warning for each of `mine` (meetings of the group `name`, with `start` and
    `end`) that overlaps a meeting the facilitator attends in another active group."""
    warnings = []
    others = (
        Assignment.objects.active()
        .filter(facilitator=facilitator, group__status__in=Group.ACTIVE_STATUSES)
        .select_related("group")
    )
    if other_than is not None:
        others = others.exclude(group=other_than)
    for other in others:
        for theirs in first_meetings(other.group, other.meetings_attended):
            for meeting in mine:
                if _overlaps(meeting, theirs):
                    warnings.append(
                        _(
                            "%(who)s would be at two meetings at once: “%(group)s” %(when)s "
                            "and “%(other)s” %(other_when)s."
                        )
                        % {
                            "who": facilitator,
                            "group": name,
                            "when": when(meeting.start),
                            "other": other.group.name,
                            "other_when": when(theirs.start),
                        }
                    )
    return warnings


def _start_errors(facilitator, centre):
    """Why `facilitator` may not start a group of `centre`: inactive, or not the centre's."""
    who = str(facilitator)
    errors = []
    if not facilitator.active:
        errors.append(_("%(who)s is not an active facilitator.") % {"who": who})
    if not facilitator.centres.filter(pk=centre.pk).exists():
        errors.append(
            _("%(who)s is not a facilitator for %(centre)s, the group's centre.")
            % {"who": who, "centre": centre.name}
        )
    return errors


def check_assignment(*, group, facilitator, meetings_attended=1, replacing=None):
    """Check assigning `facilitator` to `group` for its first `meetings_attended` meetings.

    Errors (the assignment is refused): the group has ended or was
    cancelled; the facilitator is not active or not linked to the group's
    centre; they are already assigned; fewer than one or more than twelve
    meetings. Warnings (staff decide): they would be the only facilitator;
    they would be at two meetings at overlapping times. `replacing` is the
    facilitator's current assignment when only the number of meetings changes.
    """
    errors = []
    who = str(facilitator)
    if not group.is_active:
        errors.append(
            _("The group “%(group)s” is %(status)s: no facilitators can be assigned to it.")
            % {"group": group.name, "status": group.get_status_display().lower()}
        )
    errors += _start_errors(facilitator, group.centre)
    active = group.assignments.active()
    if replacing is not None:
        active = active.exclude(pk=replacing.pk)
    if active.filter(facilitator=facilitator).exists():
        errors.append(
            _("%(who)s is already assigned to “%(group)s”.") % {"who": who, "group": group.name}
        )
    if not 1 <= meetings_attended <= MAX_MEETINGS_ATTENDED:
        errors.append(
            _("A facilitator attends between 1 and %(max)s of the first meetings.")
            % {"max": MAX_MEETINGS_ATTENDED}
        )
    if errors:
        return AssignmentCheck(errors=errors)
    warnings = []
    if not active.exclude(facilitator=facilitator).exists():
        warnings.append(_only_facilitator(who, group.name))
    warnings += _overlap_warnings(facilitator, group, meetings_attended)
    return AssignmentCheck(warnings=warnings)


def _only_facilitator(who, name):
    return _(
        "%(who)s would be the only facilitator of “%(group)s”; two usually start a group together."
    ) % {"who": who, "group": name}


# --- Facilitators chosen while a group is formed ----------------------------------

# Usually two start a group together; more can be assigned on the group's page.
MAX_FACILITATORS_WHEN_FORMING = 2


@dataclass(frozen=True)
class _PlannedMeeting:
    """A meeting of a group not formed yet, as far as a clash check needs it."""

    start: datetime.datetime
    end: datetime.datetime


def new_group_facilitator_errors(*, centre, facilitators):
    """Why `facilitators` cannot start a group being formed at `centre` (empty if they can).

    The rules of check_assignment before the group exists: at most two are
    chosen, each once, each active and a facilitator for `centre`.
    """
    facilitators = list(facilitators)
    errors = []
    if len(facilitators) > MAX_FACILITATORS_WHEN_FORMING:
        errors.append(
            _("Choose at most %(max)s facilitators; more can be assigned on the group's page.")
            % {"max": MAX_FACILITATORS_WHEN_FORMING}
        )
    seen = set()
    for facilitator in facilitators:
        who = str(facilitator)
        if facilitator.pk in seen:
            errors.append(_("%(who)s is chosen twice.") % {"who": who})
            continue
        seen.add(facilitator.pk)
        errors += _start_errors(facilitator, centre)
    return errors


def check_new_group_facilitators(*, centre, name, facilitators, first_start, length):
    """Check the facilitators chosen to start a group being formed at `centre`.

    Each will attend the group's first meeting, which starts at `first_start`
    (aware) and lasts `length` minutes; `name` is the group's. Errors: see
    new_group_facilitator_errors. Warnings, as check_assignment gives them:
    only one is chosen; the first meeting overlaps a meeting a facilitator
    attends in another group. None chosen gives neither: staff may assign
    facilitators on the group's page later.
    """
    facilitators = list(facilitators)
    errors = new_group_facilitator_errors(centre=centre, facilitators=facilitators)
    if errors:
        return AssignmentCheck(errors=errors)
    warnings = []
    if len(facilitators) == 1:
        warnings.append(_only_facilitator(str(facilitators[0]), name))
    first = _PlannedMeeting(first_start, first_start + datetime.timedelta(minutes=length))
    for facilitator in facilitators:
        warnings += _clash_warnings(facilitator, name, [first])
    return AssignmentCheck(warnings=warnings)


def assignment_warnings(group):
    """The guidelines the group's current facilitators do not meet (for staff to see)."""
    if not group.is_active:
        return []
    assignments = list(group.assignments.active().select_related("facilitator__user"))
    warnings = []
    if len(assignments) == 1:
        warnings.append(
            _("%(who)s is the only facilitator of “%(group)s”; two usually start a group together.")
            % {"who": assignments[0].facilitator, "group": group.name}
        )
    for assignment in assignments:
        warnings += _overlap_warnings(assignment.facilitator, group, assignment.meetings_attended)
    return warnings


@transaction.atomic
def assign_facilitator(*, group, facilitator, meetings_attended=1, actor):
    """Assign `facilitator` to start `group`, attending its first `meetings_attended` meetings.

    Raises FacilitatorError when a rule is broken (see check_assignment).
    Warnings do not block; `assignment_warnings(group)` lists them. Returns
    the assignment.
    """
    group = Group.objects.lock(group)
    check = check_assignment(
        group=group, facilitator=facilitator, meetings_attended=meetings_attended
    )
    if check.errors:
        raise FacilitatorError(*check.errors)
    try:
        with transaction.atomic():
            return Assignment.objects.create(
                group=group,
                facilitator=facilitator,
                meetings_attended=meetings_attended,
                assigned_by=actor,
            )
    except IntegrityError as error:
        # The group lock makes this rare; the constraint is the last line of defence.
        raise FacilitatorError(
            _("%(who)s is already assigned to “%(group)s”.")
            % {"who": facilitator, "group": group.name}
        ) from error


@transaction.atomic
def change_attendance(*, assignment, meetings_attended, actor):
    """Let the facilitator attend the group's first `meetings_attended` meetings instead."""
    group = Group.objects.lock(assignment.group)
    assignment = Assignment.objects.select_for_update().get(pk=assignment.pk, group=group)
    if not assignment.is_active:
        raise FacilitatorError(
            _("%(who)s was withdrawn from “%(group)s” on %(date)s.")
            % {
                "who": assignment.facilitator,
                "group": group.name,
                "date": long_date(assignment.withdrawn_on),
            }
        )
    check = check_assignment(
        group=group,
        facilitator=assignment.facilitator,
        meetings_attended=meetings_attended,
        replacing=assignment,
    )
    if check.errors:
        raise FacilitatorError(*check.errors)
    assignment.meetings_attended = meetings_attended
    assignment.save(update_fields=["meetings_attended"])
    return assignment


@transaction.atomic
def withdraw_facilitator(*, assignment, actor, on=None):
    """Withdraw the facilitator from the group from `on` (today by default); the date is kept.

    A withdrawn facilitator no longer attends meetings nor sees the group.
    """
    group = Group.objects.lock(assignment.group)
    assignment = (
        Assignment.objects.select_for_update()
        .select_related("facilitator__user")
        .get(pk=assignment.pk, group=group)
    )
    on = on or timezone.localdate()
    who = assignment.facilitator
    if not assignment.is_active:
        raise FacilitatorError(
            _("%(who)s was already withdrawn from “%(group)s” on %(date)s.")
            % {"who": who, "group": group.name, "date": long_date(assignment.withdrawn_on)}
        )
    assigned_on = local_date(assignment.assigned_at)
    if not assigned_on <= on <= timezone.localdate():
        raise FacilitatorError(
            _("%(who)s can be withdrawn between being assigned (%(assigned)s) and today.")
            % {"who": who, "assigned": long_date(assigned_on)}
        )
    assignment.withdrawn_on = on
    assignment.withdrawn_by = actor
    assignment.save(update_fields=["withdrawn_on", "withdrawn_by"])
    return assignment


# --- Follow-ups -----------------------------------------------------------------


def follow_up_due_on(group):
    """When the follow-up after the group's first meetings is due.

    FOLLOW_UP_OFFSET_DAYS after the day of the group's
    FOLLOW_UP_AFTER_MEETINGS-th meeting that is not cancelled (4 and 7 by
    default: the day of the fifth weekly meeting). When fewer meetings are
    planned yet, the missing ones count as weekly.
    """
    count = settings.FOLLOW_UP_AFTER_MEETINGS
    starts = [meeting.start for meeting in first_meetings(group, count)]
    # Before any meeting is planned, counting starts the week before the planned start.
    last = local_date(starts[-1]) if starts else group.planned_start - datetime.timedelta(weeks=1)
    counted = last + datetime.timedelta(weeks=count - len(starts))
    return counted + datetime.timedelta(days=settings.FOLLOW_UP_OFFSET_DAYS)


@transaction.atomic
def create_follow_up(*, group):
    """Create the group's follow-up after its first meetings (once; the existing one after)."""
    follow_up, _created = FollowUp.objects.get_or_create(
        group=group,
        kind=FollowUp.Kind.START_UP,
        defaults={"due_on": follow_up_due_on(group)},
    )
    return follow_up


@transaction.atomic
def refresh_follow_up_due(*, group):
    """Move the open follow-up after the first meetings to follow the group's meetings.

    Called by groups.meetings.schedule_changed whenever meetings are created,
    moved or cancelled. A follow-up already done
    keeps its date. Returns the follow-up, or None when the group has none.
    """
    follow_up = (
        FollowUp.objects.select_for_update()
        .filter(group=group, kind=FollowUp.Kind.START_UP, done_on__isnull=True)
        .first()
    )
    if follow_up is None:
        return None
    due_on = follow_up_due_on(group)
    if due_on != follow_up.due_on:
        follow_up.due_on = due_on
        follow_up.revision += 1
        follow_up.save(update_fields=["due_on", "revision"])
    return follow_up


def may_handle_follow_up(user, group):
    """Staff of the group's centre and its active facilitators; superusers."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.staff_memberships.filter(centre=group.centre_id).exists():
        return True
    return Assignment.objects.active().filter(group=group, facilitator__user=user).exists()


def follow_up_errors(*, group, done_on, outcome, note="", visit_on=None):
    """{field: [messages]}: why a follow-up of `group` cannot be recorded like this.

    A date that has come and an outcome; a short note; "invited back"
    (FollowUp.Outcome.INVITED_BACK) needs the date of the visit, today or
    later, and a group that still meets. The facilitator's and the staff's
    forms show these next to their fields; complete_follow_up refuses them.
    """
    errors = {}

    def add(name, message):
        errors.setdefault(name, []).append(message)

    if outcome not in FollowUp.Outcome.values:
        add("outcome", _("Choose how the group is doing."))
    if done_on is None:
        add("done_on", _("Give the date of the follow-up."))
    elif done_on > timezone.localdate():
        add("done_on", _("The date cannot be in the future."))
    if len(" ".join((note or "").split())) > NOTE_MAX_LENGTH:
        add(
            "note", _("The note can be at most %(max)s characters long.") % {"max": NOTE_MAX_LENGTH}
        )
    if outcome == FollowUp.Outcome.INVITED_BACK:
        if not group.is_active:
            add(
                "outcome",
                _("The group “%(group)s” is %(status)s: no visit can be planned.")
                % {"group": group.name, "status": group.get_status_display().lower()},
            )
        if visit_on is None:
            add("visit_on", _("Give the date of the visit the group asked for."))
        elif visit_on < max(done_on or timezone.localdate(), timezone.localdate()):
            add("visit_on", _("The visit has to be today or later."))
    return errors


@transaction.atomic
def complete_follow_up(*, follow_up, done_on, outcome, note="", visit_on=None, actor):
    """Mark a follow-up done on `done_on` with its `outcome` and a short note.

    The rules are follow_up_errors'. "Invited back" creates the visit the
    group asked for as a new follow-up. Only the group's facilitators and
    its centre's staff may do this. Returns the follow-up.
    """
    follow_up = FollowUp.objects.select_for_update().select_related("group").get(pk=follow_up.pk)
    group = follow_up.group
    if not may_handle_follow_up(actor, group):
        raise PermissionDenied
    if follow_up.is_done:
        raise FacilitatorError(
            _("The follow-up of “%(group)s” was already done on %(date)s.")
            % {"group": group.name, "date": long_date(follow_up.done_on)}
        )
    errors = follow_up_errors(
        group=group, done_on=done_on, outcome=outcome, note=note, visit_on=visit_on
    )
    if errors:
        raise FacilitatorError(*(message for messages in errors.values() for message in messages))
    follow_up.done_on = done_on
    follow_up.done_by = actor
    follow_up.outcome = outcome
    follow_up.note = " ".join(note.split())
    follow_up.revision += 1
    follow_up.save(update_fields=["done_on", "done_by", "outcome", "note", "revision"])
    if outcome == FollowUp.Outcome.INVITED_BACK:
        FollowUp.objects.create(
            group=group, kind=FollowUp.Kind.VISIT, due_on=visit_on, requested_by=follow_up
        )
    return follow_up
