"""A group's meetings: the schedule, public holidays, moving and cancelling, the rhythm.

Meetings are generated weekly from the group's planned start for at least
the 12-week commitment, then kept UPCOMING_MEETINGS ahead by a periodic job.
After the 12 weeks a group may meet every other week from a date, and go
back to weekly (`change_rhythm`; schedule.meets_in_week decides each week).
A meeting on a Norwegian public holiday is moved or cancelled, never
silently: staff choose when they form the group, and the job cancels one
nobody decided about and tells the members.

Every function here that changes meetings ends by calling
`schedule_changed(group)`, the one hook for what follows the meetings (the
facilitators' follow-up after the first meetings).
"""

import datetime

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from facilitators import services as facilitator_services
from selvhjelp import outbox_keys
from selvhjelp.dates import iso, local_start, long_date, weekday_date

from . import schedule
from .messages import queue_to_members
from .models import COMMITMENT_WEEKS, Group, GroupRuleError, Meeting, RhythmChange

# How many meetings ahead an active group always has in its schedule.
UPCOMING_MEETINGS = 8


def schedule_changed(group):
    """What follows a group's meetings, brought up to date after they changed.

    Called by every service that creates, moves or cancels meetings. Today
    this is the facilitators' follow-up after the first meetings, whose due
    date counts the meetings that are not cancelled.
    """
    facilitator_services.refresh_follow_up_due(group=group)


def proposed_schedule(first_meeting):
    """The first 12 weekly meetings from `first_meeting`, each with its holiday if any."""
    return schedule.weekly(first_meeting, 1, COMMITMENT_WEEKS)


def next_meeting(group, after=None):
    """The group's next meeting that is not cancelled, from `after` (now)."""
    return (
        group.meetings.not_cancelled()
        .filter(start__gte=after or timezone.now())
        .order_by("start")
        .first()
    )


def holiday_moves(planned, holiday_choices):
    """{sequence: new date} for the meetings of `planned` that fall on a public holiday.

    Each such meeting needs a choice in `holiday_choices` (sequence ->
    ("cancel", None) or ("move", date)); a move goes to a day that is no
    holiday, not a day the group already meets, and not in the past. Raises
    GroupRuleError with every missing or wrong choice.
    """
    holiday_choices = holiday_choices or {}
    regular = {meeting.date for meeting in planned}
    errors = []
    moves = {}
    for meeting in schedule.holidays_in(planned):
        choice, new_date = holiday_choices.get(meeting.sequence, (None, None))
        label = {"date": long_date(meeting.date), "holiday": meeting.holiday}
        if choice == "cancel":
            continue
        if choice != "move":
            errors.append(
                _("Choose whether the meeting on %(date)s (%(holiday)s) is cancelled or moved.")
                % label
            )
        elif new_date is None:
            errors.append(_("Choose the date the meeting on %(date)s is moved to.") % label)
        elif schedule.holiday_name(new_date):
            errors.append(
                _("%(new)s is a public holiday too (%(holiday)s).")
                % {"new": long_date(new_date), "holiday": schedule.holiday_name(new_date)}
            )
        elif new_date in regular or new_date in moves.values():
            errors.append(_("The group already meets on %(new)s.") % {"new": long_date(new_date)})
        elif new_date < timezone.localdate():
            errors.append(_("%(new)s has passed.") % {"new": long_date(new_date)})
        else:
            moves[meeting.sequence] = new_date
    if errors:
        raise GroupRuleError(*errors)
    return moves


def _holiday_reason(holiday):
    return _("Public holiday: %(holiday)s") % {"holiday": holiday}


def create_meetings(group, planned, moves=None):
    """Meetings for `planned`; a holiday is moved when `moves` says so, else cancelled."""
    moves = moves or {}
    meetings = []
    for item in planned:
        regular = local_start(item.date, group.start_time)
        meeting = Meeting(group=group, sequence=item.sequence, start=regular, length=group.length)
        if item.holiday:
            meeting.holiday = item.holiday
            if item.sequence in moves:
                meeting.moved_from = regular
                meeting.start = local_start(moves[item.sequence], group.start_time)
            else:
                meeting.cancelled = True
                meeting.cancelled_reason = _holiday_reason(item.holiday)
        meetings.append(meeting)
    return Meeting.objects.bulk_create(meetings)


def _lock_meeting(meeting):
    group = Group.objects.lock(meeting.group)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk, group=group)
    meeting.group = group
    if not group.is_active:
        raise GroupRuleError(
            _("The group “%(group)s” is %(status)s; its meetings can no longer be changed.")
            % {"group": group.name, "status": group.get_status_display().lower()}
        )
    return meeting


@transaction.atomic
def cancel_meeting(*, meeting, reason, actor):
    """Cancel one upcoming meeting for `reason` and tell the members."""
    meeting = _lock_meeting(meeting)
    when = {"date": weekday_date(meeting.start)}
    if meeting.cancelled:
        raise GroupRuleError(_("The meeting on %(date)s is already cancelled.") % when)
    if meeting.start <= timezone.now():
        raise GroupRuleError(_("The meeting on %(date)s has already begun.") % when)
    if not reason.strip():
        raise GroupRuleError(_("Give a reason for cancelling the meeting."))
    meeting.cancelled = True
    meeting.cancelled_reason = reason.strip()
    meeting.revision += 1
    meeting.save(update_fields=["cancelled", "cancelled_reason", "revision"])
    schedule_changed(meeting.group)
    queue_to_members(
        meeting.group,
        message_type="group_meeting_cancelled",
        about=meeting,
        key=outbox_keys.meeting_cancelled(meeting),
        context={"meeting_at": iso(meeting.start), "holiday": ""},
    )
    return meeting


@transaction.atomic
def move_meeting(*, meeting, date, time=None, actor):
    """Move one upcoming meeting (also a cancelled one) to `date` at `time`; tell the members.

    The first place of a moved meeting is kept in `moved_from`. Refuses a date
    that has passed, a public holiday and a day the group already meets.
    """
    meeting = _lock_meeting(meeting)
    group = meeting.group
    new_start = local_start(date, time or group.start_time)
    old_start, old = meeting.start, {"date": weekday_date(meeting.start)}
    if meeting.start <= timezone.now() and not meeting.cancelled:
        raise GroupRuleError(_("The meeting on %(date)s has already begun.") % old)
    if new_start <= timezone.now():
        raise GroupRuleError(_("A meeting can only be moved to a time ahead."))
    holiday = schedule.holiday_name(date)
    if holiday:
        raise GroupRuleError(
            _("%(new)s is a public holiday (%(holiday)s).")
            % {"new": long_date(date), "holiday": holiday}
        )
    clash = group.meetings.not_cancelled().filter(start__date=date).exclude(pk=meeting.pk).exists()
    if clash:
        raise GroupRuleError(_("The group already meets on %(new)s.") % {"new": long_date(date)})
    if new_start == meeting.start and not meeting.cancelled:
        raise GroupRuleError(_("The meeting is already at that time."))
    if meeting.moved_from is None:
        meeting.moved_from = meeting.start
    meeting.start = new_start
    meeting.cancelled = False
    meeting.cancelled_reason = ""
    meeting.revision += 1
    meeting.save(update_fields=["start", "moved_from", "cancelled", "cancelled_reason", "revision"])
    schedule_changed(group)
    queue_to_members(
        group,
        message_type="group_meeting_moved",
        about=meeting,
        key=outbox_keys.meeting_moved(meeting),
        context={"old_at": iso(old_start), "new_at": iso(new_start)},
    )
    return meeting


def cancel_meetings_after(group, on, *, reason):
    """Cancel every meeting of `group` from the day after `on`, as the group closes.

    What follows the meetings is left as it was: the group has ended.
    """
    return (
        group.meetings.not_cancelled()
        .filter(start__gte=local_start(on + datetime.timedelta(days=1), datetime.time()))
        .update(cancelled=True, cancelled_reason=reason)
    )


def rhythm(group):
    """The group's changes of rhythm as (starts_on, every_weeks) pairs (schedule.meets_in_week)."""
    return list(group.rhythm_changes.values_list("starts_on", "every_weeks"))


def _create_one(group, planned):
    """Create the meeting of `planned`; one cancelled on a holiday is told to the members."""
    (meeting,) = create_meetings(group, [planned])
    if meeting.cancelled:
        with translation.override("nb"):
            holiday_nb = schedule.holiday_name(planned.date)
        # A holiday nobody has decided about yet: cancelled, shown in the
        # schedule, and staff may move it. The members are told.
        queue_to_members(
            group,
            message_type="group_meeting_cancelled",
            about=meeting,
            key=outbox_keys.meeting_cancelled(meeting),
            context={"meeting_at": iso(meeting.start), "holiday": holiday_nb},
        )
    return meeting


def _extend(group, now):
    """Add meetings until the group has UPCOMING_MEETINGS ahead (and 12 weeks in all).

    Weeks the group does not meet in (every other week) get no meeting.
    """
    created = []
    last = group.meetings.order_by("-sequence").values_list("sequence", flat=True).first() or 0
    upcoming = group.meetings.not_cancelled().filter(start__gt=now).count()
    changes = rhythm(group)
    sequence = last
    while upcoming < UPCOMING_MEETINGS or sequence < COMMITMENT_WEEKS:
        sequence += 1
        if not schedule.meets_in_week(changes, group.planned_start, sequence):
            continue
        (planned,) = schedule.weekly(group.planned_start, sequence, sequence)
        meeting = _create_one(group, planned)
        created.append(meeting)
        if not meeting.cancelled and meeting.start > now:
            upcoming += 1
    if created:
        schedule_changed(group)
    return created


def rhythm_errors(group, *, starts_on, every_weeks, now=None):
    """Why `group` cannot meet every `every_weeks` weeks from its first meeting on or after
    `starts_on` (a list of messages; empty when it can).

    A group that has started (or runs itself) may change; the first 12 weeks
    stay weekly (the commitment); the change starts with a meeting ahead,
    after any earlier change, and changes something.
    """
    now = now or timezone.now()
    errors = []
    if group.status not in (Group.Status.STARTED, Group.Status.SELF_RUN):
        errors.append(
            _(
                "“%(group)s” is %(status)s: only a group that has started "
                "can change how often it meets."
            )
            % {"group": group.name, "status": group.get_status_display().lower()}
        )
        return errors
    if every_weeks not in RhythmChange.Every.values:
        errors.append(_("Choose every week or every other week."))
        return errors
    first = schedule.first_regular_date_from(group.planned_start, starts_on)
    commitment_ends = schedule.regular_date(group.planned_start, COMMITMENT_WEEKS + 1)
    changes = rhythm(group)
    if first < commitment_ends:
        errors.append(
            _(
                "The first 12 weeks are weekly, as the members committed to; "
                "choose a date from %(date)s."
            )
            % {"date": long_date(commitment_ends)}
        )
    elif local_start(first, group.start_time) <= now:
        errors.append(_("Choose a date ahead."))
    elif changes and first <= max(starts for starts, _every in changes):
        errors.append(
            _("The rhythm already changes on %(date)s; choose a later date.")
            % {"date": long_date(max(starts for starts, _every in changes))}
        )
    elif (
        schedule.every_weeks_in(
            changes, group.planned_start, schedule.week_of(group.planned_start, first)
        )
        == every_weeks
    ):
        errors.append(
            _("The group already meets every week then.")
            if every_weeks == 1
            else _("The group already meets every other week then.")
        )
    return errors


@transaction.atomic
def change_rhythm(*, group, starts_on, every_weeks, actor, now=None):
    """Let the group meet every week or every other week from its first meeting on or after
    `starts_on`; the meetings ahead follow, and the members are told once.

    Meetings in weeks the group no longer meets in are cancelled as "off
    rhythm" (kept, as every meeting is; calendars see them cancelled) and come
    back when the group goes weekly again. The rules are rhythm_errors'.
    Staff (the admin) and the facilitators at a follow-up call this. Returns
    the RhythmChange.
    """
    now = now or timezone.now()
    group = Group.objects.lock(group)
    errors = rhythm_errors(group, starts_on=starts_on, every_weeks=every_weeks, now=now)
    if errors:
        raise GroupRuleError(*errors)
    first = schedule.first_regular_date_from(group.planned_start, starts_on)
    change = RhythmChange.objects.create(
        group=group, starts_on=first, every_weeks=every_weeks, created_by=actor
    )
    changes = rhythm(group)
    start_week = schedule.week_of(group.planned_start, first)
    existing = {m.sequence: m for m in group.meetings.filter(sequence__gte=start_week)}
    for sequence in range(start_week, max(existing, default=start_week) + 1):
        meets = schedule.meets_in_week(changes, group.planned_start, sequence)
        meeting = existing.get(sequence)
        if meeting is None:
            if meets:
                (planned,) = schedule.weekly(group.planned_start, sequence, sequence)
                _create_one(group, planned)
            continue
        if meets and meeting.off_rhythm:
            meeting.cancelled, meeting.off_rhythm, meeting.cancelled_reason = False, False, ""
        elif not meets and not meeting.cancelled:
            meeting.cancelled, meeting.off_rhythm = True, True
            with translation.override("nb"):
                meeting.cancelled_reason = _("The group meets every other week.")
        else:
            continue
        meeting.revision += 1
        meeting.save(update_fields=["cancelled", "off_rhythm", "cancelled_reason", "revision"])
    _extend(group, now)
    schedule_changed(group)
    upcoming = next_meeting(group, after=local_start(first, datetime.time()))
    queue_to_members(
        group,
        message_type="group_rhythm_changed",
        about=change,
        key=outbox_keys.rhythm_changed(change),
        context={
            "every_weeks": every_weeks,
            "starts_on": first.isoformat(),
            "next_meeting_at": iso(upcoming.start) if upcoming else "",
        },
    )
    return change


def extend_schedules(*, now=None):
    """Roll every active group's schedule forward; safe to run often and twice at once.

    Each group is handled in its own transaction with its row locked (others
    holding the lock are skipped and caught next run). Returns how many
    meetings were created.
    """
    now = now or timezone.now()
    created = 0
    for group_id in Group.objects.active().values_list("pk", flat=True):
        with transaction.atomic():
            group = (
                Group.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=group_id, status__in=Group.ACTIVE_STATUSES)
                .select_related("centre")
                .first()
            )
            if group is not None:
                created += len(_extend(group, now))
    return created
