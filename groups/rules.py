"""The rules of a group, and the guidelines staff usually aim for.

Each rule of ../shared/DOMAIN.md that is about who may be in a group, and
how it meets, is written once here and asked by every entry point: the
services before they change anything, the admin's forms for their field
errors, the check page before a group is formed.

- Hard rules are errors: 4-8 members, everyone an adult of the group's
  centre who is ready for a group and in no other active group; a venue for a
  group that meets in person, a link for one that meets by video; a sane
  weekly frame (`frame_errors`).
- Two people staff marked as "not in the same group" (intake.KeepApart)
  are never put in one group (`kept_apart_errors`).
- A suggested group (groups.suggestions) obeys more: one time of week and a
  format everyone chose, and the kind of group everyone accepts
  (`can_meet`, `accepts_format`, `accepts_kind`, `suggestion_errors`).
- Guidelines are warnings staff may accept: a mix of genders, an age spread
  within about 15 years, a time and a format that suit everyone, the kind
  of group people asked for and a mix of themes (`guideline_warnings`).
"""

from collections import Counter
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from facilitators import services as facilitator_services
from intake.models import Intake, KeepApart, Slot
from selvhjelp.dates import local_start, long_date

from . import schedule
from .models import MAX_MEMBERS, MIN_MEMBERS, Group, GroupRuleError, Membership

# Guideline, not a rule: the age spread staff usually aim for.
MAX_AGE_SPREAD = 15
# The shortest and the longest meeting, in minutes.
MIN_LENGTH, MAX_LENGTH = 30, 240


class UnacceptedWarnings(GroupRuleError):
    """The selection breaks a guideline and staff have not accepted the warnings yet."""

    def __init__(self, warnings):
        self.warnings = list(warnings)
        super().__init__(
            _("Look through the warnings and accept them to go ahead."), *self.warnings
        )


@dataclass
class RuleCheck:
    """The result of checking a group's people: hard rules broken, guidelines not met."""

    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors


def load_intakes(intakes):
    """The intakes (instances or ids) with what the rules read, in a fixed order, once each."""
    ids = {intake.pk if isinstance(intake, Intake) else int(intake) for intake in intakes}
    return list(
        Intake.objects.filter(pk__in=ids)
        .select_related("centre")
        .prefetch_related("themes", "availability")
        .order_by("name", "pk")
    )


def active_intakes(group):
    """The group's active members' intakes, loaded as load_intakes does."""
    return load_intakes(
        Membership.objects.active().filter(group=group).values_list("intake_id", flat=True)
    )


def _active_groups_of(intakes, exclude_group=None):
    """{intake id: the group of its active membership}, in one query."""
    memberships = Membership.objects.active().filter(intake__in=intakes).select_related("group")
    if exclude_group is not None:
        memberships = memberships.exclude(group=exclude_group)
    return {membership.intake_id: membership.group for membership in memberships}


# --- Hard rules ------------------------------------------------------------------


def person_errors(intakes, *, centre, start_date, exclude_group=None):
    """The hard rules about each person: adult on `start_date`, of `centre`, ready, free."""
    errors = []
    in_group = _active_groups_of(intakes, exclude_group)
    for intake in intakes:
        who = intake.name_and_reference
        if not intake.confirmed_adult:
            errors.append(_("%(who)s has not confirmed being 18 or older.") % {"who": who})
        elif not intake.is_adult_on(start_date):
            errors.append(
                _("%(who)s is not 18 on the start date %(date)s (born %(year)s).")
                % {"who": who, "date": long_date(start_date), "year": intake.birth_year}
            )
        if intake.centre_id != centre.pk:
            errors.append(
                _("%(who)s belongs to %(other)s, not to %(centre)s.")
                % {"who": who, "other": intake.centre.name, "centre": centre.name}
            )
        if intake.pk in in_group:
            errors.append(
                _("%(who)s is already in the group “%(group)s”.")
                % {"who": who, "group": in_group[intake.pk].name}
            )
        elif intake.status != Intake.Status.WAITING:
            errors.append(
                _("%(who)s is not ready for a group (status: %(status)s).")
                % {"who": who, "status": intake.get_status_display()}
            )
    return errors


def size_errors(count):
    """A group has MIN_MEMBERS to MAX_MEMBERS members."""
    if count < MIN_MEMBERS:
        return [
            _("A group needs at least %(min)s members; %(count)s are chosen.")
            % {"min": MIN_MEMBERS, "count": count}
        ]
    if count > MAX_MEMBERS:
        return [
            _("A group has at most %(max)s members; %(count)s are chosen.")
            % {"max": MAX_MEMBERS, "count": count}
        ]
    return []


def place_errors(*, format, venue, video_link):
    """{field: message}: a group that meets in person needs a venue, by video a link."""
    if format == Group.Format.PHYSICAL and not (venue or "").strip():
        return {"venue": _("A group that meets in person needs a venue.")}
    if format == Group.Format.DIGITAL and not (video_link or "").strip():
        return {"video_link": _("A group that meets by video needs a video link.")}
    return {}


def first_meeting_errors(first, *, formed_on=None):
    """Why `first` cannot be the first meeting of a group formed on `formed_on` (today)."""
    today = timezone.localdate()
    formed_on = formed_on or today
    errors = []
    if formed_on > today:
        errors.append(_("A group cannot be formed on a day that has not come yet."))
    elif first < formed_on:
        if formed_on == today:
            errors.append(_("The first meeting cannot be in the past."))
        else:
            errors.append(
                _("The first meeting cannot be before the day the group was formed, %(date)s.")
                % {"date": long_date(formed_on)}
            )
    holiday = schedule.holiday_name(first)
    if holiday:
        errors.append(
            _("The first meeting cannot be on a public holiday (%(date)s is %(holiday)s).")
            % {"date": long_date(first), "holiday": holiday}
        )
    return errors


def frame_errors(
    *, centre, kind, theme, format, venue, video_link, weekday, length, first, formed_on=None
):
    """{field: [messages]}: the rules of a new group's frame, by the form field they are about.

    The place (place_errors), digital groups only where the centre runs them,
    a theme for a group around one problem, a sane length, a first meeting
    on the group's weekday, not in the past and not on a public holiday.
    """
    errors = {}

    def add(name, message):
        errors.setdefault(name, []).append(message)

    for name, message in place_errors(format=format, venue=venue, video_link=video_link).items():
        add(name, message)
    if format == Group.Format.DIGITAL and centre is not None and not centre.runs_digital_groups:
        add("format", _("%(centre)s does not run digital groups.") % {"centre": centre.name})
    if kind == Group.Kind.SAME and theme is None:
        add("theme", _("A group around one problem needs its theme."))
    if length is not None and not MIN_LENGTH <= length <= MAX_LENGTH:
        add("length", _("A meeting lasts between 30 and 240 minutes."))
    if first is not None:
        if weekday is not None and first.weekday() != weekday:
            add(
                "first_meeting",
                _("The first meeting, %(date)s, is not on a %(weekday)s.")
                % {"date": long_date(first), "weekday": Slot.WEEKDAYS[weekday][1].lower()},
            )
        for message in first_meeting_errors(first, formed_on=formed_on):
            add("first_meeting", message)
    return errors


def raise_frame_errors(**frame):
    """Raise GroupRuleError with every message of frame_errors, if any."""
    errors = frame_errors(**frame)
    if errors:
        raise GroupRuleError(*(message for messages in errors.values() for message in messages))


# --- Guidelines --------------------------------------------------------------------


def guideline_warnings(intakes, *, kind, theme, format, weekday, start_time, on):
    """What staff usually aim for in a group, as warnings they may accept."""
    warnings = []
    if not intakes:
        return warnings

    by_gender = Counter(intake.gender for intake in intakes if intake.gender)
    women, men = by_gender[Intake.Gender.WOMAN], by_gender[Intake.Gender.MAN]
    if by_gender and len(by_gender) == 1 and not by_gender[Intake.Gender.OTHER]:
        label = Intake.Gender(next(iter(by_gender))).label.lower()
        warnings.append(
            _("Everyone whose gender is known is of one gender (%(gender)s); a mix is preferred.")
            % {"gender": label}
        )
    else:
        for gender, count in ((Intake.Gender.WOMAN, women), (Intake.Gender.MAN, men)):
            if count == 1:
                alone = next(i for i in intakes if i.gender == gender)
                warnings.append(
                    _("%(who)s is the only %(gender)s in the group.")
                    % {"who": alone.name_and_reference, "gender": gender.label.lower()}
                )

    young = min(intakes, key=lambda intake: intake.age_on(on))
    old = max(intakes, key=lambda intake: intake.age_on(on))
    youngest, oldest = young.age_on(on), old.age_on(on)
    if oldest - youngest > MAX_AGE_SPREAD:
        warnings.append(
            _(
                "The ages span %(spread)s years, from %(young)s (%(youngest)s) to "
                "%(old)s (%(oldest)s); about %(max)s years is the usual guideline."
            )
            % {
                "spread": oldest - youngest,
                "young": young.name,
                "youngest": youngest,
                "old": old.name,
                "oldest": oldest,
                "max": MAX_AGE_SPREAD,
            }
        )

    part = Slot.part_of_day(start_time)
    slot_label = f"{Slot.WEEKDAYS[weekday][1]} {Slot.Part(part).label}".lower()
    for intake in intakes:
        slots = {(slot.weekday, slot.part) for slot in intake.availability.all()}
        if not slots:
            warnings.append(
                _("%(who)s has not given any times that suit them.")
                % {"who": intake.name_and_reference}
            )
        elif (weekday, part) not in slots:
            warnings.append(
                _("%(who)s has not said that %(slot)s suits them.")
                % {"who": intake.name_and_reference, "slot": slot_label}
            )

    for intake in intakes:
        if intake.format not in (Intake.Format.EITHER, format):
            warnings.append(
                _("%(who)s prefers “%(wants)s”, but the group meets “%(format)s”.")
                % {
                    "who": intake.name_and_reference,
                    "wants": intake.get_format_display().lower(),
                    "format": Group.Format(format).label.lower(),
                }
            )

    wants = {Group.Kind.ACROSS: Intake.Kind.SAME, Group.Kind.SAME: Intake.Kind.ACROSS}[kind]
    for intake in intakes:
        if intake.kind == wants:
            warnings.append(
                _("%(who)s would rather be in a group of “%(wants)s”.")
                % {"who": intake.name_and_reference, "wants": intake.get_kind_display().lower()}
            )

    if kind == Group.Kind.ACROSS:
        themes = Counter(
            theme for intake in intakes for theme in intake.themes.all() if not theme.is_other
        )
        if themes:
            common, count = themes.most_common(1)[0]
            if count * 2 > len(intakes):
                warnings.append(
                    _(
                        "%(count)s of %(total)s have chosen the theme “%(theme)s”; a group "
                        "across problems works best with a mix."
                    )
                    % {"count": count, "total": len(intakes), "theme": common.name}
                )
    elif theme is not None:
        for intake in intakes:
            if theme not in intake.themes.all():
                warnings.append(
                    _("%(who)s has not chosen the group's theme “%(theme)s”.")
                    % {"who": intake.name_and_reference, "theme": theme.name}
                )
    return warnings


# --- Checks of a whole selection ------------------------------------------------------


def check_group(
    *,
    centre,
    intakes,
    kind,
    theme=None,
    format,
    weekday,
    start_time,
    first_meeting,
    name="",
    length=120,
    facilitators=(),
):
    """Check a proposed group of `intakes` against the rules and the guidelines.

    Returns a RuleCheck: `errors` are hard rules (4-8 members; everyone 18 or
    older on the start date and confirmed adult; everyone belongs to `centre`;
    everyone ready for a group and in no other active group), `warnings` are
    guidelines staff may accept (gender mix, age spread, availability, format
    and kind preferences, theme mix).

    `facilitators` (Facilitator instances chosen to start the group, each at
    its first meeting) are checked by facilitators.services: errors when one
    cannot start it (more than two, inactive, another centre's), warnings
    when only one is chosen or the first meeting, `length` minutes, clashes
    with another group they attend; the warnings name the group `name`. None
    chosen is neither: staff may assign facilitators later.
    """
    intakes = load_intakes(intakes)
    errors = size_errors(len(intakes))
    errors += person_errors(intakes, centre=centre, start_date=first_meeting)
    errors += kept_apart_errors(intakes)
    warnings = guideline_warnings(
        intakes,
        kind=kind,
        theme=theme,
        format=format,
        weekday=weekday,
        start_time=start_time,
        on=first_meeting,
    )
    if facilitators:
        chosen = facilitator_services.check_new_group_facilitators(
            centre=centre,
            name=name,
            facilitators=facilitators,
            first_start=local_start(first_meeting, start_time),
            length=length,
        )
        errors += chosen.errors
        warnings += chosen.warnings
    return RuleCheck(errors=errors, warnings=warnings)


def group_warnings(group):
    """The guidelines the group's current members do not meet, and a too small group."""
    if not group.is_active:
        return []
    intakes = active_intakes(group)
    warnings = []
    if len(intakes) < MIN_MEMBERS:
        warnings.append(
            _("The group has %(count)s members; a group needs at least %(min)s.")
            % {"count": len(intakes), "min": MIN_MEMBERS}
        )
    return warnings + guideline_warnings(
        intakes,
        kind=group.kind,
        theme=group.theme,
        format=group.format,
        weekday=group.weekday,
        start_time=group.start_time,
        on=max(group.planned_start, timezone.localdate()),
    )


def check_new_member(*, group, intake, joined_on=None):
    """Check adding `intake` to an existing `group`: hard rules and the mix afterwards."""
    joined_on = joined_on or timezone.localdate()
    start_date = max(group.planned_start, joined_on)
    (intake,) = load_intakes([intake])
    errors = []
    if not group.is_active:
        errors.append(
            _("The group “%(group)s” is %(status)s and takes no new members.")
            % {"group": group.name, "status": group.get_status_display().lower()}
        )
    members = active_intakes(group)
    if intake in members:
        errors.append(
            _("%(who)s is already in the group “%(group)s”.")
            % {"who": intake.name_and_reference, "group": group.name}
        )
    else:
        if len(members) >= MAX_MEMBERS:
            errors.append(
                _(
                    "The group “%(group)s” is full: %(who)s cannot join, "
                    "a group has at most %(max)s."
                )
                % {"group": group.name, "who": intake.name_and_reference, "max": MAX_MEMBERS}
            )
        errors += person_errors([intake], centre=group.centre, start_date=start_date)
        errors += kept_apart_errors([*members, intake])
    warnings = guideline_warnings(
        [*members, intake] if intake not in members else members,
        kind=group.kind,
        theme=group.theme,
        format=group.format,
        weekday=group.weekday,
        start_time=group.start_time,
        on=start_date,
    )
    return RuleCheck(errors=errors, warnings=warnings)


# --- Who may meet whom, and suggested groups --------------------------------------------


def kept_apart_errors(intakes):
    """Two of `intakes` whom staff marked as "not in the same group"; one query.

    The message names both, for staff only; it never says why.
    """
    by_id = {intake.pk: intake for intake in intakes}
    rows = KeepApart.objects.filter(intake__in=by_id, other__in=by_id).values_list(
        "intake", "other"
    )
    pairs = sorted({(min(a, b), max(a, b)) for a, b in rows})
    return [
        _("%(first)s and %(second)s are marked as not to be in the same group.")
        % {"first": by_id[a].name_and_reference, "second": by_id[b].name_and_reference}
        for a, b in pairs
    ]


def can_meet(slots, weekday, part):
    """Whether a person who gave the times of week `slots` ((weekday, part)...) can meet then."""
    return (weekday, part) in slots


def accepts_format(wants, format):
    """Whether a person who wants the Intake.Format `wants` accepts a group meeting in `format`."""
    return wants in (Intake.Format.EITHER, format)


def accepts_kind(wants, theme_ids, kind, theme_id=None):
    """Whether a person (Intake.Kind `wants`, chosen themes `theme_ids`) fits a group's kind.

    A group around one problem takes those who chose its theme and do not
    want only a group across problems; a group across problems takes those
    who do not want only a group around their own problem.
    """
    if kind == Group.Kind.SAME:
        return wants != Intake.Kind.ACROSS and theme_id in theme_ids
    return wants != Intake.Kind.SAME


def suggestion_errors(intakes, *, centre, kind, theme, format, weekday, part, start_date):
    """The hard rules of a suggested group of `intakes` (loaded as load_intakes does).

    Those of every group (size, adults of the centre who are ready and in no
    other group, "not in the same group", digital groups only where the
    centre runs them) and the suggestion's own: the time of week, the format
    and the kind of group suit every member.
    """
    errors = size_errors(len(intakes))
    errors += person_errors(intakes, centre=centre, start_date=start_date)
    errors += kept_apart_errors(intakes)
    if format == Group.Format.DIGITAL and not centre.runs_digital_groups:
        errors.append(_("%(centre)s does not run digital groups.") % {"centre": centre.name})
    theme_id = theme.pk if theme is not None else None
    slot_label = f"{Slot.WEEKDAYS[weekday][1]} {Slot.Part(part).label}".lower()
    for intake in intakes:
        who = intake.name_and_reference
        slots = {(slot.weekday, slot.part) for slot in intake.availability.all()}
        if not can_meet(slots, weekday, part):
            errors.append(
                _("%(who)s has not said that %(slot)s suits them.")
                % {"who": who, "slot": slot_label}
            )
        if not accepts_format(intake.format, format):
            errors.append(
                _("%(who)s wants “%(wants)s”.")
                % {"who": who, "wants": intake.get_format_display().lower()}
            )
        themes = {theme.pk for theme in intake.themes.all()}
        if not accepts_kind(intake.kind, themes, kind, theme_id):
            errors.append(
                _("%(who)s does not want this kind of group, or has not chosen its theme.")
                % {"who": who}
            )
    return errors
