"""Read-side queries about groups used by the admin, jobs and (later) facilitators.

Each adds what a list needs as annotations so that a page costs the same
number of queries for 3 groups as for 300.
"""

import datetime

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from selvhjelp.dates import clock, local_midnight, long_date, when
from selvhjelp.today import SECTION_ROWS, TodayRow, TodayRows

from .messages import where
from .models import COMMITMENT_WEEKS, Group, Meeting, Membership

# The start page lists groups whose week 12 begins this soon.
WEEK_TWELVE_WITHIN = datetime.timedelta(days=14)


def groups_with_overview(queryset=None, *, now=None):
    """Groups annotated with `member_count`, `next_meeting_at` and `first_meeting_at`.

    `first_meeting_at` is the first meeting actually held or planned (a
    first date moved for a holiday counts as moved).
    """
    now = now or timezone.now()
    queryset = Group.objects.all() if queryset is None else queryset
    members = (
        Membership.objects.filter(group=OuterRef("pk"), left_on__isnull=True)
        .order_by()
        .values("group")
        .annotate(n=Count("pk"))
        .values("n")
    )
    meetings = Meeting.objects.filter(group=OuterRef("pk"), cancelled=False).order_by("start")
    return queryset.select_related("centre").annotate(
        member_count=Coalesce(Subquery(members, output_field=IntegerField()), 0),
        next_meeting_at=Subquery(meetings.filter(start__gte=now).values("start")[:1]),
        first_meeting_at=Subquery(meetings.values("start")[:1]),
    )


def memberships_with_commitment(queryset=None):
    """Memberships annotated with `expected_first_meeting`: the first meeting after joining.

    Membership.commitment_ends_on reads it instead of querying per row.
    """
    queryset = Membership.objects.all() if queryset is None else queryset
    first = (
        Meeting.objects.filter(
            group=OuterRef("group"), cancelled=False, start__date__gte=OuterRef("joined_on")
        )
        .order_by("start")
        .values("start")[:1]
    )
    return queryset.select_related("intake", "group").annotate(
        expected_first_meeting=Subquery(first)
    )


def active_membership(intake):
    """The intake's current membership, with its group, or None."""
    return Membership.objects.active().filter(intake=intake).select_related("group").first()


def upcoming_meetings(group, *, now=None, limit=None):
    meetings = group.meetings.filter(start__gte=now or timezone.now()).order_by("start")
    return meetings[:limit] if limit else meetings


def placement_for_status_page(intake):
    """The person's group as their status page shows it: when and where, nobody else in it.

    None when they are in no active group. Two queries: the membership with
    its group, and the group's next meeting.
    """
    from intake.status import Placement

    membership = active_membership(intake)
    if membership is None:
        return None
    group = membership.group
    if group.status not in Group.ACTIVE_STATUSES:
        return None
    started = group.status != Group.Status.PLANNED
    meetings = group.meetings.not_cancelled().order_by("start")
    if started:
        meetings = meetings.filter(start__gte=timezone.now())
    meeting = meetings.first()
    place = where(group)
    return Placement(
        group_started=started,
        starts_on=timezone.localtime(meeting.start).date() if meeting else group.planned_start,
        time=clock(timezone.localtime(meeting.start).time() if meeting else group.start_time),
        place=place["place"],
        digital=place["digital"],
    )


# --- The start page: this week's meetings, groups reaching week 12 -------------------


def this_weeks_meetings_section(centres, today, since):
    """Meetings of the centres' active groups this week (Monday to Sunday), the earliest first.

    Moved and cancelled ones say so. Three queries: how many, how many of
    them moved or cancelled, and the first rows.
    """
    monday = today - datetime.timedelta(days=today.weekday())
    meetings = Meeting.objects.filter(
        group__centre__in=centres,
        group__status__in=Group.ACTIVE_STATUSES,
        start__gte=local_midnight(monday),
        start__lt=local_midnight(monday + datetime.timedelta(weeks=1)),
    )
    changed = meetings.filter(Q(cancelled=True) | Q(moved_from__isnull=False)).count()
    rows = []
    for meeting in meetings.select_related("group").order_by("start", "pk")[:SECTION_ROWS]:
        if meeting.cancelled:
            detail = _("Cancelled.")
        elif meeting.moved_from:
            detail = _("Moved from %(when)s.") % {"when": when(meeting.moved_from)}
        else:
            detail = _("Meeting no. %(number)d.") % {"number": meeting.sequence}
        rows.append(
            TodayRow(
                label=_("%(group)s, %(when)s")
                % {"group": meeting.group.name, "when": when(meeting.start)},
                url=reverse("admin:groups_group_change", args=[meeting.group_id]) + "#meetings",
                detail=detail,
            )
        )
    return TodayRows(
        count=meetings.count(),
        rows=rows,
        more_url=reverse("admin:groups_group_changelist"),
        extra={"changed": changed},
    )


def week_twelve_section(centres, today, since):
    """Active groups whose week 12 begins within TODAY_WEEK_TWELVE_DAYS: time to ask about going on.

    Week 12 begins 11 weeks after the first meeting as planned. Two queries.
    """
    week = COMMITMENT_WEEKS - 1
    groups = Group.objects.filter(
        centre__in=centres,
        status__in=[Group.Status.STARTED, Group.Status.SELF_RUN],
        planned_start__gte=today - datetime.timedelta(weeks=week),
        planned_start__lte=today - datetime.timedelta(weeks=week) + WEEK_TWELVE_WITHIN,
    )
    rows = [
        TodayRow(
            label=group.name,
            url=reverse("admin:groups_group_change", args=[group.pk]),
            detail=_("%(centre)s. Week 12 begins %(date)s: ask if the group goes on by itself.")
            % {
                "centre": group.centre.name,
                "date": long_date(group.planned_start + datetime.timedelta(weeks=week)),
            },
        )
        for group in groups.select_related("centre").order_by("planned_start", "pk")[:SECTION_ROWS]
    ]
    return TodayRows(count=groups.count(), rows=rows)
