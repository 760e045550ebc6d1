"""Read-side queries about groups used by the admin, jobs and (later) facilitators.

Each adds what a list needs as annotations so that a page costs the same
number of queries for 3 groups as for 300.
"""

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from selvhjelp.dates import clock

from .messages import where
from .models import Group, Meeting, Membership


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
