"""Every figure of the reports, counted by the database.

`compute(period=..., centres=...)` returns a Figures of exact numbers for one
period and a set of centres (None: the whole country). Only aggregates leave
the database: counts, sums and percentiles, never a row about a person. The
number of queries is the same whatever the amount of data (about a dozen;
tests pin it).

Definitions (the README's "Reports" section says the same in words):

- A form counts in the period it was received (Oslo dates).
- First contact: the earliest call answered or message left, or the move
  from "new" to "contacted" or "ready for a group". Times are in working
  days (Monday to Friday, not Norwegian public holidays); a form received on
  a Saturday and contacted on Monday took 0. Within the promise: at most the
  centre's `usual_response_days`. A form still "new" after its promise ran
  out counts as a miss; one withdrawn or closed without contact is left out.
- Outcome of a form: placed (ever in a group), withdrew, closed (not
  suited, or not reached), still waiting (new, contacted or ready).
- A person starts in a group on the first meeting they attended, or else
  when the group started (or they joined, if later). The wait is from the
  form to that day, for people whose first group began for them in the
  period.
- How groups hold: of the members who started in the period and whose week
  4 (12, 26) has ended, the share still members on its last day.
- Groups that went on by themselves: of the groups started in the period
  whose facilitators withdrew (self-run) at least WENT_ON_WEEKS ago, or which
  ended since, the share that ran at least that long on their own.
- Facilitators' meetings: each assignment attends the first
  `meetings_attended` held (not cancelled, already begun) meetings of its
  group, up to the day it was withdrawn; those in the period are counted.
- Participants: people who were members of a started group at some time
  in the period; their age in the period's last year.
"""

import datetime
import functools
from dataclasses import dataclass, field

import holidays as public_holidays
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least, TruncDate, TruncMonth
from django.utils import timezone

from facilitators.models import Assignment, FollowUp
from groups.models import OSLO, Group, Meeting, Membership
from intake.models import ContactAttempt, Intake, StatusChange, Theme
from selvhjelp.models import Centre

from .expressions import (
    DayNumber,
    LeastNotNull,
    PercentileCont,
    day_number,
    working_day_number,
)

CHANNEL_WEB = "web"
CHANNEL_PHONE = "phone"
CHANNELS = [CHANNEL_WEB, CHANNEL_PHONE]

OUTCOME_PLACED = "placed"
OUTCOME_WITHDRAWN = "withdrawn"
OUTCOME_CLOSED = "closed"
OUTCOME_WAITING = "waiting"
OUTCOMES = [OUTCOME_PLACED, OUTCOME_WITHDRAWN, OUTCOME_CLOSED, OUTCOME_WAITING]

# (weeks, key): the points at which the report tells who is still in the group.
HOLDING_POINTS = [(4, "week_4"), (12, "week_12"), (26, "month_6")]
# A group "went on by itself" when it ran at least this long after the
# facilitators withdrew.
WENT_ON_WEEKS = 4

# (key, lowest age, highest age or None)
AGE_BANDS = [("18-29", 18, 29), ("30-44", 30, 44), ("45-66", 45, 66), ("67+", 67, None)]
GENDERS = [*Intake.Gender.values, ""]

# What counts as having reached the person.
CONTACT_KINDS = [ContactAttempt.Kind.CALL_ANSWERED, ContactAttempt.Kind.MESSAGE_LEFT]
CONTACT_STATUSES = [Intake.Status.CONTACTED, Intake.Status.WAITING]


def channel_expression():
    """How a form came in: the web form, or staff registering a person who phoned.

    The one place that knows. Issue 15 adds `Intake.source` ("web" / "phone");
    until that field exists every form came by the web form.
    """
    if any(f.name == "source" for f in Intake._meta.get_fields()):
        return F("source")
    return Value(CHANNEL_WEB)


@dataclass
class Figures:
    """Exact figures for one period and scope. Derived figures are None when nobody counted."""

    period: object
    centres: list | None
    forms_total: int = 0
    forms_by_month: dict = field(default_factory=dict)  # first day of month -> count
    forms_by_channel: dict = field(default_factory=dict)
    outcomes: dict = field(default_factory=dict)
    contacted: int = 0
    contact_measured: int = 0  # contacted, plus still new past the promise
    contact_within: int = 0
    contact_median_days: float | None = None
    started_people: int = 0
    wait_median_days: float | None = None
    wait_p90_days: float | None = None
    groups_started: list = field(default_factory=list)  # (format, kind, groups, members)
    holding: list = field(default_factory=list)  # (key, weeks, reached, still in)
    self_run_decided: int = 0
    self_run_went_on: int = 0
    facilitators_attending: int = 0
    facilitator_meetings: int = 0
    follow_ups: dict = field(default_factory=dict)  # due, on_time, late, missed, open
    participants: int = 0
    age_bands: dict = field(default_factory=dict)
    genders: dict = field(default_factory=dict)
    themes: list = field(default_factory=list)  # (name, count)
    by_centre: list = field(default_factory=list)  # (name, forms, groups started)


def compute(*, period, centres=None, now=None):
    """The exact figures of `period` for `centres` (a list of Centre; None: the whole country).

    `now` (an aware datetime) is when the report is made: what has not
    happened by then (a week 12 not yet reached) is left out of the shares.
    """
    now = now or timezone.now()
    context = _Context(period=period, centres=centres, now=now)
    figures = Figures(period=period, centres=centres)
    _forms(context, figures)
    _first_contact(context, figures)
    _starts(context, figures)
    _groups(context, figures)
    _facilitators(context, figures)
    _participants(context, figures)
    _themes(context, figures)
    if centres is None:
        _by_centre(context, figures)
    return figures


@dataclass
class _Context:
    period: object
    centres: list | None
    now: datetime.datetime

    @property
    def today(self):
        return timezone.localdate(self.now, OSLO)

    @property
    def start_at(self):
        return datetime.datetime.combine(self.period.start, datetime.time(), tzinfo=OSLO)

    @property
    def end_at(self):
        """The first moment after the period (exclusive)."""
        day = self.period.end + datetime.timedelta(days=1)
        return datetime.datetime.combine(day, datetime.time(), tzinfo=OSLO)

    def scoped(self, queryset, lookup):
        if self.centres is None:
            return queryset
        return queryset.filter(**{f"{lookup}__in": [c.pk for c in self.centres]})

    def forms(self):
        return self.scoped(
            Intake.objects.filter(created_at__gte=self.start_at, created_at__lt=self.end_at),
            "centre_id",
        ).order_by()


def _forms(context, figures):
    placed = Exists(Membership.objects.filter(intake=OuterRef("pk")))
    rows = (
        context.forms()
        .annotate(
            month=TruncMonth("created_at", tzinfo=OSLO),
            channel=channel_expression(),
            outcome=Case(
                When(placed, then=Value(OUTCOME_PLACED)),
                When(status=Intake.Status.WITHDRAWN, then=Value(OUTCOME_WITHDRAWN)),
                When(status=Intake.Status.CLOSED, then=Value(OUTCOME_CLOSED)),
                default=Value(OUTCOME_WAITING),
            ),
        )
        .values("month", "channel", "outcome")
        .annotate(count=Count("pk"))
    )
    months = dict.fromkeys(context.period.months(), 0)
    channels = dict.fromkeys(CHANNELS, 0)
    outcomes = dict.fromkeys(OUTCOMES, 0)
    for row in rows:
        month = _local_date(row["month"]).replace(day=1)
        months[month] = months.get(month, 0) + row["count"]
        channels[row["channel"]] = channels.get(row["channel"], 0) + row["count"]
        outcomes[row["outcome"]] += row["count"]
    figures.forms_by_month = months
    figures.forms_by_channel = channels
    figures.outcomes = outcomes
    figures.forms_total = sum(outcomes.values())


def _local_date(value):
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value, OSLO)
        return value.date()
    return value


def _holidays(context, longest_promise):
    """DayNumbers of the weekday public holidays a working-day count may cross."""
    first = context.period.start - datetime.timedelta(days=7)
    # Past the last day any date is compared with, a form is late whatever the holidays.
    last = max(context.period.end, context.today) + datetime.timedelta(
        days=2 * longest_promise + 60
    )
    days = []
    for year in range(first.year, last.year + 1):
        for day in _norwegian_holidays(year):
            if first <= day <= last and day.weekday() < 5:
                days.append(day_number(day))
    return days


@functools.cache
def _norwegian_holidays(year):
    return sorted(public_holidays.Norway(years=year))


def _first_contact(context, figures):
    attempts = (
        ContactAttempt.objects.filter(intake=OuterRef("pk"), kind__in=CONTACT_KINDS)
        .order_by("at")
        .values("at")[:1]
    )
    changes = (
        StatusChange.objects.filter(
            intake=OuterRef("pk"), from_status=Intake.Status.NEW, to_status__in=CONTACT_STATUSES
        )
        .order_by("changed_at")
        .values("changed_at")[:1]
    )
    centres = context.centres if context.centres is not None else Centre.objects.all()
    longest = max([c.usual_response_days for c in centres] or [5])
    holidays = _holidays(context, longest)
    received = DayNumber(TruncDate("created_at", tzinfo=OSLO))
    forms = context.forms().annotate(
        first_contact_on=TruncDate(LeastNotNull(Subquery(attempts), Subquery(changes)), tzinfo=OSLO)
    )
    forms = forms.annotate(
        contact_days=working_day_number(
            DayNumber(Coalesce("first_contact_on", Value(context.today))), holidays
        )
        - working_day_number(received, holidays),
        promise=F("centre__usual_response_days"),
    )
    contacted = Q(first_contact_on__isnull=False)
    overdue = Q(
        first_contact_on__isnull=True,
        status=Intake.Status.NEW,
        contact_days__gt=F("promise"),
    )
    aggregates = {
        "contacted": Count("pk", filter=contacted),
        "within": Count("pk", filter=contacted & Q(contact_days__lte=F("promise"))),
        "overdue": Count("pk", filter=overdue),
    }
    if _has_percentiles():
        aggregates["median"] = PercentileCont(0.5, "contact_days", filter=contacted)
    result = forms.aggregate(**aggregates)
    if not _has_percentiles():
        (result["median"],) = _percentiles(forms.filter(contacted), "contact_days", [0.5])
    figures.contacted = result["contacted"]
    figures.contact_within = result["within"]
    figures.contact_measured = result["contacted"] + result["overdue"]
    figures.contact_median_days = result["median"]


def _member_starts(context):
    """Memberships with the day the person started in the group (`start_on`)."""
    memberships = context.scoped(
        Membership.objects.filter(group__started_on__isnull=False), "group__centre_id"
    )
    return memberships.annotate(
        start_on=Coalesce("first_attended_on", Greatest("joined_on", "group__started_on"))
    ).order_by()


def _starts(context, figures):
    earlier = Membership.objects.filter(
        Q(joined_on__lt=OuterRef("joined_on"))
        | Q(joined_on=OuterRef("joined_on"), pk__lt=OuterRef("pk")),
        intake=OuterRef("intake"),
    )
    today = day_number(context.today)
    starts = (
        _member_starts(context)
        .filter(start_on__gte=context.period.start, start_on__lte=context.period.end)
        .annotate(
            first=~Exists(earlier),
            started=DayNumber("start_on"),
            # A person registered after they started (a form typed in
            # late) waited 0 days, not less.
            wait_days=Greatest(
                F("started") - DayNumber(TruncDate("intake__created_at", tzinfo=OSLO)), Value(0)
            ),
            left_day=DayNumber("left_on"),
        )
    )
    first = Q(first=True)
    aggregates = {"people": Count("pk", filter=first)}
    for weeks, key in HOLDING_POINTS:
        last_day = 7 * weeks - 1  # days from the start to the last day of that week
        reached = Q(started__lte=today - last_day)
        aggregates[f"{key}_reached"] = Count("pk", filter=reached)
        aggregates[f"{key}_kept"] = Count(
            "pk",
            filter=reached & (Q(left_on__isnull=True) | Q(left_day__gte=F("started") + last_day)),
        )
    if _has_percentiles():
        aggregates["median"] = PercentileCont(0.5, "wait_days", filter=first)
        aggregates["p90"] = PercentileCont(0.9, "wait_days", filter=first)
    result = starts.aggregate(**aggregates)
    if not _has_percentiles():
        result["median"], result["p90"] = _percentiles(
            starts.filter(first), "wait_days", [0.5, 0.9]
        )
    figures.started_people = result["people"]
    figures.wait_median_days = result["median"]
    figures.wait_p90_days = result["p90"]
    figures.holding = [
        (key, weeks, result[f"{key}_reached"], result[f"{key}_kept"])
        for weeks, key in HOLDING_POINTS
    ]


def _groups(context, figures):
    cutoff = context.today - datetime.timedelta(weeks=WENT_ON_WEEKS)
    at_start = Q(memberships__joined_on__lte=F("started_on")) & (
        Q(memberships__left_on__isnull=True) | Q(memberships__left_on__gte=F("started_on"))
    )
    self_run = Q(self_run_on__isnull=False)
    decided = self_run & (Q(self_run_on__lte=cutoff) | Q(ended_on__isnull=False))
    went_on = (
        self_run
        & Q(self_run_on__lte=cutoff)
        & (Q(ended_on__isnull=True) | Q(own_days__gte=7 * WENT_ON_WEEKS))
    )
    rows = (
        context.scoped(
            Group.objects.filter(
                started_on__gte=context.period.start, started_on__lte=context.period.end
            ),
            "centre_id",
        )
        .annotate(own_days=DayNumber("ended_on") - DayNumber("self_run_on"))
        .order_by()
        .values("format", "kind")
        .annotate(
            groups=Count("pk", distinct=True),
            members=Count("memberships", filter=at_start),
            decided=Count("pk", distinct=True, filter=decided),
            went_on=Count("pk", distinct=True, filter=went_on),
        )
    )
    counts = {(f, k): (0, 0) for f in Group.Format.values for k in Group.Kind.values}
    for row in rows:
        counts[(row["format"], row["kind"])] = (row["groups"], row["members"])
        figures.self_run_decided += row["decided"]
        figures.self_run_went_on += row["went_on"]
    figures.groups_started = [(f, k, g, m) for (f, k), (g, m) in counts.items()]


def _facilitators(context, figures):
    period = context.period
    held = Meeting.objects.filter(
        group=OuterRef("group_id"),
        cancelled=False,
        start__lt=context.now,
        start__date__lte=Coalesce(OuterRef("withdrawn_on"), Value(datetime.date.max)),
    )

    def held_before(moment):
        counted = held.filter(start__lt=moment).values("group").annotate(n=Count("pk")).values("n")
        return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

    assignments = context.scoped(
        # A facilitator attends only a group's first meetings (at most 12 held
        # ones): groups started more than a year before the period are done.
        Assignment.objects.filter(
            group__started_on__lte=period.end,
            group__started_on__gte=period.start - datetime.timedelta(days=366),
        ),
        "group__centre_id",
    ).order_by()
    assignments = assignments.annotate(
        before=Least(F("meetings_attended"), held_before(context.start_at)),
        until_end=Least(F("meetings_attended"), held_before(context.end_at)),
    ).annotate(attended=Greatest(F("until_end") - F("before"), Value(0)))
    result = assignments.aggregate(
        meetings=Coalesce(Sum("attended"), 0),
        facilitators=Count("facilitator", distinct=True, filter=Q(attended__gt=0)),
    )
    figures.facilitator_meetings = result["meetings"]
    figures.facilitators_attending = result["facilitators"]

    today = context.today
    done = Q(done_on__isnull=False)
    figures.follow_ups = context.scoped(
        FollowUp.objects.filter(due_on__gte=period.start, due_on__lte=period.end),
        "group__centre_id",
    ).aggregate(
        due=Count("pk"),
        on_time=Count("pk", filter=done & Q(done_on__lte=F("due_on"))),
        late=Count("pk", filter=done & Q(done_on__gt=F("due_on"))),
        missed=Count("pk", filter=Q(done_on__isnull=True, due_on__lt=today)),
        open=Count("pk", filter=Q(done_on__isnull=True, due_on__gte=today)),
    )


def _participants(context, figures):
    period = context.period
    member = Membership.objects.filter(
        Q(left_on__isnull=True) | Q(left_on__gte=period.start),
        intake=OuterRef("pk"),
        joined_on__lte=period.end,
        group__started_on__lte=period.end,
    )
    year = period.end.year
    band = Case(
        *[
            When(birth_year__gte=year - high, then=Value(key))
            for key, _low, high in AGE_BANDS
            if high is not None
        ],
        default=Value(AGE_BANDS[-1][0]),
    )
    rows = (
        context.scoped(Intake.objects.filter(Exists(member)), "centre_id")
        .order_by()
        .annotate(band=band)
        .values("band", "gender")
        .annotate(count=Count("pk"))
    )
    bands = {key: 0 for key, _low, _high in AGE_BANDS}
    genders = dict.fromkeys(GENDERS, 0)
    for row in rows:
        bands[row["band"]] += row["count"]
        genders[row["gender"]] = genders.get(row["gender"], 0) + row["count"]
    figures.age_bands = bands
    figures.genders = genders
    figures.participants = sum(bands.values())


def _themes(context, figures):
    chosen = Q(intakes__created_at__gte=context.start_at, intakes__created_at__lt=context.end_at)
    if context.centres is not None:
        chosen &= Q(intakes__centre_id__in=[c.pk for c in context.centres])
    rows = (
        Theme.objects.annotate(count=Count("intakes", filter=chosen))
        .order_by("is_other", "position", "name")
        .values_list("name", "count")
    )
    figures.themes = list(rows)


def _by_centre(context, figures):
    forms = (
        Intake.objects.filter(
            centre=OuterRef("pk"), created_at__gte=context.start_at, created_at__lt=context.end_at
        )
        .order_by()
        .values("centre")
        .annotate(n=Count("pk"))
        .values("n")
    )
    groups = (
        Group.objects.filter(
            centre=OuterRef("pk"),
            started_on__gte=context.period.start,
            started_on__lte=context.period.end,
        )
        .order_by()
        .values("centre")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = Centre.objects.annotate(
        forms_received=Coalesce(Subquery(forms, output_field=IntegerField()), 0),
        groups_started=Coalesce(Subquery(groups, output_field=IntegerField()), 0),
    ).values_list("name", "forms_received", "groups_started")
    figures.by_centre = list(rows)


# --- Percentiles ----------------------------------------------------------------


def _has_percentiles():
    return connection.vendor == "postgresql"


def _percentiles(queryset, name, fractions):
    """Percentiles of `name` over `queryset` for a database without percentile_cont.

    Only `make run` on SQLite comes here: the database counts each distinct
    value (one row per number of days), Python interpolates.
    """
    counted = queryset.values(name).annotate(count=Count("pk")).order_by(name)
    values = [(row[name], row["count"]) for row in counted if row[name] is not None]
    return [percentile_cont(values, fraction) for fraction in fractions]


def percentile_cont(counted_values, fraction):
    """PostgreSQL's percentile_cont over (value, how many) pairs sorted by value; None if empty."""
    total = sum(count for _value, count in counted_values)
    if total == 0:
        return None
    position = fraction * (total - 1)
    below, above = int(position), min(int(position) + 1, total - 1)

    def nth(index):
        seen = 0
        for value, count in counted_values:
            seen += count
            if index < seen:
                return value
        raise IndexError(index)

    low, high = nth(below), nth(above)
    return float(low + (high - low) * (position - below))
