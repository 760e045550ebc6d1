"""A centre's waiting list, solved and explained: `suggest(centre)`."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from intake.models import Intake, KeepApart, Slot, Theme

from .. import rules, schedule
from ..forms import USUAL_START
from ..models import MAX_MEMBERS, MIN_MEMBERS, Group, Membership, SuggestedMember, Suggestion
from . import solver
from .solver import PREFERRED_MIN_SIZE, GroupType, Person

# A discarded proposal is not made again while this recent.
DISCARDED_DAYS = 90


def first_meeting_on(weekday, *, today=None):
    """The first `weekday` at least two weeks ahead that is not a public holiday."""
    today = today or timezone.localdate()
    first = today + datetime.timedelta(days=14 + (weekday - today.weekday()) % 7)
    while schedule.holiday_name(first):
        first += datetime.timedelta(weeks=1)
    return first


def slot_label(weekday, part):
    """ "tirsdag kveld" """
    return f"{Slot.WEEKDAYS[weekday][1]} {Slot.Part(part).label}".lower()


@dataclass
class Proposal:
    """One suggested group: its frame, its members (longest waiting first) and what it gives up."""

    weekday: int
    part: str
    format: str
    kind: str
    theme: Theme | None
    members: list
    warnings: list = field(default_factory=list)

    @property
    def slot_label(self):
        return slot_label(self.weekday, self.part)

    @property
    def format_label(self):
        return Group.Format(self.format).label

    @property
    def kind_label(self):
        return Group.Kind(self.kind).label

    @property
    def start_time(self):
        return USUAL_START[self.part]

    @property
    def first_meeting(self):
        return first_meeting_on(self.weekday)

    def as_json(self):
        return {
            "weekday": self.weekday,
            "part": self.part,
            "format": self.format,
            "members": [intake.reference for intake in self.members],
            "warnings": [str(warning) for warning in self.warnings],
        }


@dataclass
class Suggestions:
    centre: object
    proposals: list
    unplaced: list  # [(Intake, reason)], longest waiting first
    held: list  # accepted Suggestions still holding people
    seconds: float = 0.0
    greedy_placed: int = 0
    upper_bound: int = 0

    @property
    def placed(self):
        return sum(len(proposal.members) for proposal in self.proposals)

    @property
    def waiting(self):
        """The people ready for a group and held by no accepted suggestion."""
        return self.placed + len(self.unplaced)

    def as_json(self):
        return {
            "groups": [proposal.as_json() for proposal in self.proposals],
            "unplaced": [
                {"reference": intake.reference, "reason": str(reason)}
                for intake, reason in self.unplaced
            ],
            "seconds": round(self.seconds, 3),
        }


def held_intake_ids(centre):
    """Ids of the centre's people held by an accepted suggestion."""
    return set(
        SuggestedMember.objects.filter(holds=True, suggestion__centre=centre).values_list(
            "intake_id", flat=True
        )
    )


def waiting_list(centre):
    """The centre's people ready for a group, in no group and no accepted suggestion.

    In wait order (longest first), with what the rules read; three queries.
    """
    active = Membership.objects.active().filter(intake=OuterRef("pk"))
    held = SuggestedMember.objects.filter(holds=True, intake=OuterRef("pk"))
    return list(
        Intake.objects.filter(centre=centre, status=Intake.Status.WAITING)
        .exclude(Exists(active))
        .exclude(Exists(held))
        .select_related("centre")
        .prefetch_related("themes", "availability")
        .order_by("created_at", "pk")
    )


def as_person(intake, rank, *, today):
    return Person(
        id=intake.pk,
        rank=rank,
        slots=frozenset((slot.weekday, slot.part) for slot in intake.availability.all()),
        format=intake.format,
        kind=intake.kind,
        themes=frozenset(theme.pk for theme in intake.themes.all() if not theme.is_other),
        age=intake.age_on(today),
        gender=intake.gender,
    )


def discarded(centre, candidates, *, today):
    """[(GroupType, [ids])]: recent proposals staff discarded whose people all still wait."""
    since = timezone.now() - datetime.timedelta(days=DISCARDED_DAYS)
    result = []
    for suggestion in Suggestion.objects.filter(
        centre=centre, status=Suggestion.Status.DISCARDED, decided_at__gte=since
    ).prefetch_related("members"):
        ids = [member.intake_id for member in suggestion.members.all()]
        if ids and set(ids) <= candidates:
            type_ = GroupType(
                suggestion.weekday,
                suggestion.part,
                suggestion.format,
                suggestion.kind,
                suggestion.theme_id,
            )
            result.append((type_, ids))
    return result


def suggest(centre, *, today=None):
    """The proposals for `centre`'s waiting list, each person left out with a reason.

    Deterministic for the same data. Returns Suggestions.
    """
    today = today or timezone.localdate()
    intakes = waiting_list(centre)
    eligible, unplaced = [], []
    for intake in intakes:
        if not intake.confirmed_adult:
            unplaced.append((intake, _("Has not confirmed being 18 or older.")))
        elif not intake.is_adult_on(today):
            unplaced.append((intake, _("Is not 18 yet.")))
        else:
            eligible.append(intake)
    people = [as_person(intake, rank, today=today) for rank, intake in enumerate(eligible)]
    by_id = {intake.pk: intake for intake in eligible}
    pairs = {
        (min(a, b), max(a, b))
        for a, b in KeepApart.objects.filter(intake__in=by_id, other__in=by_id).values_list(
            "intake", "other"
        )
    }
    plan = solver.solve(
        people,
        pairs,
        digital=centre.runs_digital_groups,
        nogoods=discarded(centre, set(by_id), today=today),
    )
    themes = Theme.objects.in_bulk({g.type.theme for g in plan.groups if g.type.theme})
    proposals = []
    for planned in plan.groups:
        type_ = planned.type
        members = [by_id[pid] for pid in planned.members]
        proposal = Proposal(
            weekday=type_.weekday,
            part=type_.part,
            format=type_.format,
            kind=type_.kind,
            theme=themes.get(type_.theme),
            members=members,
        )
        proposal.warnings = proposal_warnings(proposal, today=today)
        proposals.append(proposal)
    placed = plan.placed
    left_out = [p for p in people if p.id not in placed]
    types = list(solver.group_types(people, digital=centre.runs_digital_groups))
    for person in left_out:
        unplaced.append((by_id[person.id], reason(person, people, pairs, plan, centre, types)))
    unplaced.sort(key=lambda item: (item[0].created_at, item[0].pk))
    for proposal, planned in zip(proposals, plan.groups, strict=True):
        proposal.warnings += passed_over_warnings(planned, left_out, people)
    return Suggestions(
        centre=centre,
        proposals=proposals,
        unplaced=unplaced,
        held=list(
            Suggestion.objects.filter(
                centre=centre, status=Suggestion.Status.ACCEPTED, members__holds=True
            )
            .distinct()
            .select_related("decided_by", "theme")
            .prefetch_related("members__intake")
        ),
        seconds=plan.seconds,
        greedy_placed=plan.greedy_placed,
        upper_bound=solver.upper_bound(people),
    )


def proposal_warnings(proposal, *, today):
    """The guidelines the proposal gives up, as the check page words them, and a small size."""
    warnings = rules.guideline_warnings(
        proposal.members,
        kind=proposal.kind,
        theme=proposal.theme,
        format=proposal.format,
        weekday=proposal.weekday,
        start_time=proposal.start_time,
        on=first_meeting_on(proposal.weekday, today=today),
    )
    if len(proposal.members) < PREFERRED_MIN_SIZE:
        warnings.append(
            _("The group has %(count)s members; %(min)s to %(max)s is better.")
            % {"count": len(proposal.members), "min": PREFERRED_MIN_SIZE, "max": MAX_MEMBERS}
        )
    return warnings


def passed_over_warnings(planned, left_out, people):
    """Someone who waited longer than a member fits this group but is left out."""
    newest = max(p.rank for p in people if p.id in planned.members)
    longer = [p for p in left_out if p.rank < newest and planned.type.fits(p)]
    if not longer:
        return []
    return [
        ngettext(
            "%(count)s person who has waited longer could also meet at this time, but is "
            "left out: see the reasons below.",
            "%(count)s people who have waited longer could also meet at this time, but are "
            "left out: see the reasons below.",
            len(longer),
        )
        % {"count": len(longer)}
    ]


def _slots_text(slots):
    labels = [slot_label(*slot) for slot in sorted(slots, key=solver.slot_key)]
    return _(" or ").join(labels)


def reason(person, people, pairs, plan, centre, types):
    """Why `person` is in no proposal, in words staff can act on; never a theme's name."""
    if not person.slots:
        return _("Has given no times that suit them.")
    if person.format == Intake.Format.DIGITAL and not centre.runs_digital_groups:
        return _("Wants to meet by video; the centre does not run digital groups.")
    others = [p for p in people if p.id != person.id]
    shared = [p for p in others if p.slots & person.slots]
    if not shared:
        return _("Nobody else can meet on %(slots)s.") % {"slots": _slots_text(person.slots)}
    formats = [
        f
        for f in solver.formats_for(centre.runs_digital_groups)
        if rules.accepts_format(person.format, f)
    ]
    same_format = max(
        sum(1 for p in shared if slot in p.slots and rules.accepts_format(p.format, f))
        for slot in person.slots
        for f in formats
    )
    if same_format < MIN_MEMBERS - 1:
        wants = Intake.Format(person.format).label.lower()
        return _(
            "Wants “%(wants)s”; only %(count)s others who can meet that way share a time with them."
        ) % {"wants": wants, "count": same_format}
    fitting = [type_ for type_ in types if type_.fits(person)]
    if not fitting:
        if person.kind == Intake.Kind.SAME:
            return _(
                "Wants a group around one problem; too few others who chose the same theme "
                "can meet at the same time and in the same way."
            )
        return _(
            "Too few others want the same kind of group and can meet at the same time and "
            "in the same way."
        )
    apart = {b if a == person.id else a for a, b in pairs if person.id in (a, b)}
    if apart and all(
        sum(1 for p in others if type_.fits(p) and p.id not in apart) < MIN_MEMBERS - 1
        for type_ in fitting
    ):
        return _(
            "Marked as not to be in the same group as someone who would be needed to make "
            "a group at the times that suit them."
        )
    if any(group.type in fitting for group in plan.groups):
        return _(
            "The groups at the times that suit them are full, or taking them in would "
            "leave others out."
        )
    return _(
        "Those who could meet with them are in other groups; too few are left at %(slots)s."
    ) % {"slots": _slots_text(person.slots)}
