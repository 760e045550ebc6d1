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
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    Max,
    Min,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least, TruncDate, TruncMonth
from django.utils import timezone

from facilitators.models import Assignment, FollowUp
from groups.models import Group, Membership
from intake.models import ContactAttempt, Intake, Theme
from selvhjelp.dates import OSLO
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

# Days from a group's start within which its facilitators' meetings lie:
# twelve held meetings, with room for many cancelled ones.
FIRST_MEETINGS_WITHIN = 183

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
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # PostgreSQL would compile these one-off aggregates to machine code
            # first (JIT), which takes longer than running them.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        _compute(context, figures)
    return figures


def _compute(context, figures):
    centres = context.centres
    _forms(context, figures)
    _first_contact(context, figures)
    _starts(context, figures)
    _holding(context, figures)
    _groups(context, figures)
    _facilitators(context, figures)
    _participants(context, figures)
    _themes(context, figures)
    if centres is None:
        _by_centre(context, figures)


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


def _day_number(moment):
    """The DayNumber of the Oslo date of the datetime field `moment`."""
    return DayNumber(TruncDate(moment, tzinfo=OSLO))


@functools.cache
def _norwegian_holidays(year):
    # Imported here, not at the top: a web worker loads it only when needed (issue 14).
    import holidays as public_holidays

    return sorted(public_holidays.Norway(years=year))


def _first_contact(context, figures):
    centres = context.centres if context.centres is not None else Centre.objects.all()
    longest = max([c.usual_response_days for c in centres] or [5])
    holidays = _holidays(context, longest)
    # Aggregates per form, not subqueries: the working-day count refers to
    # the first contact many times, and a subquery would run each time.
    forms = (
        context.forms()
        # Only the rows that can be a first contact are joined, so a form with
        # a long history still joins one or two rows.
        .annotate(
            reaching=FilteredRelation(
                "contact_attempts", condition=Q(contact_attempts__kind__in=CONTACT_KINDS)
            ),
            leaving_new=FilteredRelation(
                "status_changes",
                condition=Q(
                    status_changes__from_status=Intake.Status.NEW,
                    status_changes__to_status__in=CONTACT_STATUSES,
                ),
            ),
        )
        # Each date is turned into a day number once, inside the aggregate;
        # the working-day sums below then refer to the aggregates only.
        .annotate(
            first_attempt=Min(_day_number("reaching__at")),
            first_change=Min(_day_number("leaving_new__changed_at")),
            received=Min(_day_number("created_at")),
            promise=_promise(context),
        )
    )
    forms = forms.annotate(first_contact=LeastNotNull("first_attempt", "first_change"))
    forms = forms.annotate(
        contact_days=working_day_number(
            Coalesce("first_contact", Value(day_number(context.today))), holidays
        )
        - working_day_number(F("received"), holidays),
    )
    contacted = Q(first_contact__isnull=False)
    overdue = Q(
        first_contact__isnull=True,
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
        # The day counts alone, without the forms: an aggregate cannot be grouped by.
        days = Counter(forms.filter(contacted).values_list("contact_days", flat=True))
        result["median"] = percentile_cont(sorted(days.items()), 0.5)
    figures.contacted = result["contacted"]
    figures.contact_within = result["within"]
    figures.contact_measured = result["contacted"] + result["overdue"]
    figures.contact_median_days = result["median"]


def _promise(context):
    """The centre's promise of first contact, in working days, as an aggregate per form."""
    if context.centres is not None and len({c.usual_response_days for c in context.centres}) == 1:
        return Max(Value(context.centres[0].usual_response_days))
    return Max("centre__usual_response_days")


def _member_starts(context):
    """Memberships with the day the person started in the group (`start_on`)."""
    memberships = context.scoped(
        Membership.objects.filter(group__started_on__isnull=False), "group__centre_id"
    )
    return memberships.annotate(
        start_on=Coalesce("first_attended_on", Greatest("joined_on", "group__started_on"))
    ).order_by()


def _starts(context, figures):
    """The wait of each person whose first group began for them in the period."""
    earlier = _member_starts(context).filter(
        Q(start_on__lt=OuterRef("start_on"))
        | Q(start_on=OuterRef("start_on"), pk__lt=OuterRef("pk")),
        intake=OuterRef("intake"),
    )
    firsts = (
        _member_starts(context)
        .filter(start_on__gte=context.period.start, start_on__lte=context.period.end)
        # The person's first group that began: in the WHERE clause, so that it
        # is looked for once a row.
        .filter(~Exists(earlier))
        .annotate(
            # A person registered after they started (a form typed in late) waited 0 days.
            wait_days=Greatest(
                DayNumber("start_on") - DayNumber(TruncDate("intake__created_at", tzinfo=OSLO)),
                Value(0),
            )
        )
    )
    aggregates = {"people": Count("pk")}
    if _has_percentiles():
        aggregates["median"] = PercentileCont(0.5, "wait_days")
        aggregates["p90"] = PercentileCont(0.9, "wait_days")
    result = firsts.aggregate(**aggregates)
    if not _has_percentiles():
        days = firsts.values_list("wait_days").annotate(n=Count("pk")).order_by("wait_days")
        result["median"], result["p90"] = (percentile_cont(list(days), f) for f in (0.5, 0.9))
    figures.started_people = result["people"]
    figures.wait_median_days = result["median"]
    figures.wait_p90_days = result["p90"]


def _holding(context, figures):
    """Of the members who started in the period, who was still in at each point."""
    today = day_number(context.today)
    starts = (
        _member_starts(context)
        .filter(start_on__gte=context.period.start, start_on__lte=context.period.end)
        .annotate(started=DayNumber("start_on"), left_day=DayNumber("left_on"))
    )
    aggregates = {}
    for weeks, key in HOLDING_POINTS:
        last_day = 7 * weeks - 1  # days from the start to the last day of that week
        reached = Q(started__lte=today - last_day)
        aggregates[f"{key}_reached"] = Count("pk", filter=reached)
        aggregates[f"{key}_kept"] = Count(
            "pk",
            filter=reached & (Q(left_on__isnull=True) | Q(left_day__gte=F("started") + last_day)),
        )
    result = starts.aggregate(**aggregates)
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
    first_day = period.start - datetime.timedelta(days=FIRST_MEETINGS_WITHIN)
    # Each assignment joined with its group's held meetings up to the end of
    # the period (and the day it was withdrawn), counted per assignment.
    held = context.scoped(
        Assignment.objects.filter(
            # A facilitator attends only a group's first meetings (at most 12
            # held ones): a group started half a year before the period is done.
            group__started_on__lte=period.end,
            group__started_on__gte=first_day,
            group__meetings__cancelled=False,
            group__meetings__start__gte=datetime.datetime.combine(
                first_day, datetime.time(), tzinfo=OSLO
            ),
            group__meetings__start__lt=min(context.end_at, context.now),
            group__meetings__start__date__lte=Coalesce(F("withdrawn_on"), Value(datetime.date.max)),
        ),
        "group__centre_id",
    ).order_by()
    assignments = held.annotate(
        until_end=Count("group__meetings"),
        before=Count("group__meetings", filter=Q(group__meetings__start__lt=context.start_at)),
    ).annotate(
        attended=Greatest(
            Least(F("meetings_attended"), F("until_end"))
            - Least(F("meetings_attended"), F("before")),
            Value(0),
        )
    )
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
    year = period.end.year
    band = Case(
        *[
            When(intake__birth_year__gte=year - high, then=Value(key))
            for key, _low, high in AGE_BANDS
            if high is not None
        ],
        default=Value(AGE_BANDS[-1][0]),
    )
    # From the memberships in the period; a person in two groups counts once.
    rows = (
        context.scoped(
            Membership.objects.filter(
                Q(left_on__isnull=True) | Q(left_on__gte=period.start),
                joined_on__lte=period.end,
                group__started_on__lte=period.end,
            ),
            "group__centre_id",
        )
        .order_by()
        .values(band=band, gender=F("intake__gender"))
        .annotate(count=Count("intake", distinct=True))
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
    chosen = context.scoped(
        Intake.themes.through.objects.filter(
            intake__created_at__gte=context.start_at, intake__created_at__lt=context.end_at
        ),
        "intake__centre_id",
    )
    counts = dict(
        chosen.order_by().values("theme").annotate(n=Count("pk")).values_list("theme", "n")
    )
    themes = Theme.objects.order_by("is_other", "position", "name").values_list("pk", "name")
    figures.themes = [(name, counts.get(pk, 0)) for pk, name in themes]


def _by_centre(context, figures):
    forms = dict(
        context.forms().values("centre").annotate(n=Count("pk")).values_list("centre", "n")
    )
    groups = dict(
        Group.objects.filter(
            started_on__gte=context.period.start, started_on__lte=context.period.end
        )
        .order_by()
        .values("centre")
        .annotate(n=Count("pk"))
        .values_list("centre", "n")
    )
    figures.by_centre = [
        (name, forms.get(pk, 0), groups.get(pk, 0))
        for pk, name in Centre.objects.order_by("name").values_list("pk", "name")
    ]


# --- Percentiles ----------------------------------------------------------------


def _has_percentiles():
    return connection.vendor == "postgresql"


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
