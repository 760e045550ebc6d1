"""Read-side queries for the facilitator pages, the calendar feed and the jobs.

Each costs a fixed number of queries however many groups a facilitator has:
the overview is guarded by a test with 1 and 20 groups.
"""

import datetime
from collections import defaultdict

from django.db.models import Count, F, Prefetch, Q, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from groups.models import Group, Meeting, Membership
from selvhjelp.dates import local_date, long_date
from selvhjelp.today import SECTION_ROWS, TodayRow, TodayRows

from .models import Assignment, FollowUp


def active_assignments(facilitator):
    """The facilitator's assignments to active groups, with each group and its members.

    Each group gets `members`: its active memberships with the person's name
    (the pages show first names only).
    """
    members = (
        Membership.objects.active()
        .select_related("intake")
        .only("group_id", "seat", "joined_on", "left_on", "intake__name")
    )
    return list(
        Assignment.objects.active()
        .filter(facilitator=facilitator, group__status__in=Group.ACTIVE_STATUSES)
        .select_related("group__centre")
        .prefetch_related(Prefetch("group__memberships", queryset=members, to_attr="members"))
        .order_by("group__name", "group_id")
    )


def _first_meetings_by_group(assignments):
    """{group id: its first meetings that are not cancelled, as many as an assignment covers}.

    One query: the meetings are numbered per group with a window function.
    """
    wanted = {}
    for assignment in assignments:
        wanted[assignment.group_id] = max(
            wanted.get(assignment.group_id, 0), assignment.meetings_attended
        )
    if not wanted:
        return {}
    numbered = (
        Meeting.objects.not_cancelled()
        .filter(group__in=wanted)
        .annotate(
            ordinal=Window(
                RowNumber(),
                partition_by=[F("group_id")],
                order_by=[F("start").asc(), F("sequence")],
            )
        )
    )
    first = defaultdict(list)
    for meeting in numbered.filter(ordinal__lte=max(wanted.values())).order_by("start"):
        if meeting.ordinal <= wanted[meeting.group_id]:
            first[meeting.group_id].append(meeting)
    return first


def _covered(assignment, first):
    """(the meetings not cancelled the assignment covers, whether its last one is planned yet)."""
    meetings = first.get(assignment.group_id, [])[: assignment.meetings_attended]
    return meetings, len(meetings) == assignment.meetings_attended


def last_attended_meeting(assignment):
    """The last meeting `assignment` covers, or None while the schedule does not reach it."""
    covered, complete = _covered(assignment, _first_meetings_by_group([assignment]))
    return covered[-1] if complete else None


def attended_meetings(assignments):
    """The meetings a facilitator attends through `assignments` (one per group), oldest first.

    A facilitator attends the group's first `meetings_attended` meetings that
    are not cancelled. Cancelled meetings before the last of them are
    included too (with `cancelled` set), so a calendar shows them as
    cancelled. When the schedule does not reach that far yet, every planned
    meeting counts. Each meeting gets its group from the assignment and
    `is_last_attended`. Two queries.
    """
    assignments = list(assignments)
    first = _first_meetings_by_group(assignments)
    groups = {assignment.group_id: assignment.group for assignment in assignments}
    until = {}  # group id -> start of the last attended meeting; None: open-ended
    meetings = []
    for assignment in assignments:
        covered, complete = _covered(assignment, first)
        until[assignment.group_id] = covered[-1].start if complete else None
        meetings += covered
    if groups:
        for meeting in Meeting.objects.filter(group__in=groups, cancelled=True):
            limit = until[meeting.group_id]
            if limit is None or meeting.start < limit:
                meetings.append(meeting)
    for meeting in meetings:
        meeting.group = groups[meeting.group_id]
        meeting.is_last_attended = meeting.start == until[meeting.group_id]
    return sorted(meetings, key=lambda meeting: (meeting.start, meeting.pk))


def open_follow_ups(assignments):
    """Follow-ups not done yet of the assignments' groups, the earliest due first."""
    groups = {assignment.group_id: assignment.group for assignment in assignments}
    follow_ups = list(FollowUp.objects.open().filter(group__in=groups).order_by("due_on", "pk"))
    for follow_up in follow_ups:
        follow_up.group = groups[follow_up.group_id]
    return follow_ups


def follow_ups_for_calendar(assignments):
    """Every follow-up of the assignments' groups, done or not."""
    groups = {assignment.group_id: assignment.group for assignment in assignments}
    follow_ups = list(FollowUp.objects.filter(group__in=groups).order_by("due_on", "pk"))
    for follow_up in follow_ups:
        follow_up.group = groups[follow_up.group_id]
    return follow_ups


def groups_ready_for_self_run(*, now=None):
    """Started groups whose facilitators have all withdrawn or attended their last meeting.

    A group counts when it has had at least one facilitator and every
    active assignment's last attended meeting has ended (or none is active
    any more). Returns [(group, the day it runs itself from)]: the day of
    the last meeting attended, or of the last withdrawal, but never before
    the day the group started (staff may mark it started days after its
    first meeting, and a group cannot run itself before it has started).
    Three queries however many groups.
    """
    now = now or timezone.now()
    groups = {
        group.pk: group
        for group in Group.objects.filter(
            status=Group.Status.STARTED, assignments__isnull=False
        ).distinct()
    }
    if not groups:
        return []
    by_group = defaultdict(list)
    for assignment in Assignment.objects.filter(group__in=groups):
        by_group[assignment.group_id].append(assignment)
    first = _first_meetings_by_group(
        [assignment for assignments in by_group.values() for assignment in assignments]
    )
    ready = []
    for group_id, assignments in sorted(by_group.items()):
        days = []
        for assignment in assignments:
            if not assignment.is_active:
                days.append(assignment.withdrawn_on)
                continue
            covered, complete = _covered(assignment, first)
            if not complete or covered[-1].end > now:
                break
            days.append(local_date(covered[-1].end))
        else:
            group = groups[group_id]
            if group.started_on:
                days.append(group.started_on)
            ready.append((group, max(days)))
    return ready


def overdue_follow_ups_by_centre(today):
    """{centre id: follow-ups of its active groups past their due date and not done}."""
    rows = (
        FollowUp.objects.overdue(today)
        .filter(group__status__in=Group.ACTIVE_STATUSES)
        .values("group__centre")
        .annotate(n=Count("pk"))
    )
    return {row["group__centre"]: row["n"] for row in rows}


def week_start(today):
    """Monday of the week `today` is in."""
    return today - datetime.timedelta(days=today.weekday())


# --- The start page: groups short of facilitators, follow-ups due -----------------------

# Groups that start this soon need their facilitators now.
SHORT_OF_FACILITATORS_WITHIN = datetime.timedelta(days=14)
# Usually two facilitators start a group together (DOMAIN.md).
FACILITATORS_WANTED = 2


def short_of_facilitators_section(centres, today, since):
    """Planned groups starting within 14 days with fewer than two facilitators. Two queries."""
    groups = (
        Group.objects.filter(
            centre__in=centres,
            status=Group.Status.PLANNED,
            planned_start__lte=today + SHORT_OF_FACILITATORS_WITHIN,
        )
        .annotate(
            facilitator_count=Count("assignments", filter=Q(assignments__withdrawn_on__isnull=True))
        )
        .filter(facilitator_count__lt=FACILITATORS_WANTED)
    )
    rows = [
        TodayRow(
            label=group.name,
            url=reverse("admin:groups_group_change", args=[group.pk]) + "#assignments",
            detail=ngettext(
                "%(centre)s. Starts %(date)s with %(count)d facilitator.",
                "%(centre)s. Starts %(date)s with %(count)d facilitators.",
                group.facilitator_count,
            )
            % {
                "centre": group.centre.name,
                "date": long_date(group.planned_start),
                "count": group.facilitator_count,
            },
            late=group.facilitator_count == 0 or group.planned_start < today,
        )
        for group in groups.select_related("centre").order_by("planned_start", "pk")[:SECTION_ROWS]
    ]
    return TodayRows(count=groups.count(), rows=rows)


def follow_ups_due_section(centres, today, since):
    """Follow-ups due today or overdue, of active groups, the earliest first. Two queries."""
    due = FollowUp.objects.open().filter(
        group__centre__in=centres,
        group__status__in=Group.ACTIVE_STATUSES,
        due_on__lte=today,
    )
    rows = [
        TodayRow(
            label=_("%(kind)s: %(group)s")
            % {"kind": follow_up.get_kind_display(), "group": follow_up.group.name},
            url=reverse("admin:facilitators_followup_change", args=[follow_up.pk]),
            detail=_("%(centre)s. Due %(date)s.")
            % {"centre": follow_up.group.centre.name, "date": long_date(follow_up.due_on)},
            late=follow_up.due_on < today,
        )
        for follow_up in due.select_related("group__centre").order_by("due_on", "pk")[:SECTION_ROWS]
    ]
    more_url = reverse("admin:facilitators_followup_changelist")
    return TodayRows(count=due.count(), rows=rows, more_url=more_url)
