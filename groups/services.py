"""Workflows around groups: forming one, members joining and leaving, meetings, status.

Every function here is keyword-only, runs in one transaction and locks the
group row (select_for_update) before it reads what it checks, so two staff
acting at once cannot break a rule. A broken rule raises GroupRuleError with
a Norwegian message that names the person and the rule. Guidelines (a good
mix of people) are warnings: check_group returns them and the caller must
pass accept_warnings=True to go ahead anyway.
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from facilitators import services as facilitator_services
from intake.models import Intake, Slot
from intake.services import message_channel
from selvhjelp.messaging import queue_message

from . import schedule
from .models import (
    COMMITMENT_WEEKS,
    MAX_MEMBERS,
    MIN_MEMBERS,
    Group,
    GroupRuleError,
    Meeting,
    Membership,
)

__all__ = [
    "GroupRuleError",
    "RuleCheck",
    "UnacceptedWarnings",
    "add_member",
    "cancel_group",
    "cancel_meeting",
    "change_place",
    "check_group",
    "check_new_member",
    "end_group",
    "extend_schedules",
    "form_group",
    "group_warnings",
    "mark_self_run",
    "move_meeting",
    "proposed_schedule",
    "record_agreement",
    "remove_member",
    "roll_forward",
    "start_group",
    "start_groups_that_have_met",
]

# Guidelines, not rules: what staff usually aim for.
MAX_AGE_SPREAD = 15
# How many meetings ahead an active group always has in its schedule.
UPCOMING_MEETINGS = 8


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


def _person(intake):
    return f"{intake.name} ({intake.reference})"


def _load_intakes(intakes):
    """The intakes with what the rules read, in a fixed order, duplicates dropped."""
    ids = {intake.pk if isinstance(intake, Intake) else int(intake) for intake in intakes}
    return list(
        Intake.objects.filter(pk__in=ids)
        .select_related("centre")
        .prefetch_related("themes", "availability")
        .order_by("name", "pk")
    )


def _active_groups_of(intakes, exclude_group=None):
    """{intake id: the group of its active membership}, in one query."""
    memberships = Membership.objects.active().filter(intake__in=intakes).select_related("group")
    if exclude_group is not None:
        memberships = memberships.exclude(group=exclude_group)
    return {membership.intake_id: membership.group for membership in memberships}


def _person_errors(intakes, *, centre, start_date, exclude_group=None):
    """The hard rules that are about each person: age, centre, ready, free."""
    errors = []
    in_group = _active_groups_of(intakes, exclude_group)
    for intake in intakes:
        who = _person(intake)
        if not intake.confirmed_adult:
            errors.append(_("%(who)s has not confirmed being 18 or older.") % {"who": who})
        elif intake.age_on(start_date) < 18:
            errors.append(
                _("%(who)s is not 18 on the start date %(date)s (born %(year)s).")
                % {"who": who, "date": _date(start_date), "year": intake.birth_year}
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


def _size_errors(count):
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


def _names(intakes):
    return ", ".join(intake.name for intake in intakes)


def _guideline_warnings(intakes, *, kind, theme, format, weekday, start_time, on):
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
                    % {"who": _person(alone), "gender": gender.label.lower()}
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
                _("%(who)s has not given any times that suit them.") % {"who": _person(intake)}
            )
        elif (weekday, part) not in slots:
            warnings.append(
                _("%(who)s has not said that %(slot)s suits them.")
                % {"who": _person(intake), "slot": slot_label}
            )

    for intake in intakes:
        if intake.format not in (Intake.Format.EITHER, format):
            warnings.append(
                _("%(who)s prefers “%(wants)s”, but the group meets “%(format)s”.")
                % {
                    "who": _person(intake),
                    "wants": intake.get_format_display().lower(),
                    "format": Group.Format(format).label.lower(),
                }
            )

    wants = {Group.Kind.ACROSS: Intake.Kind.SAME, Group.Kind.SAME: Intake.Kind.ACROSS}[kind]
    for intake in intakes:
        if intake.kind == wants:
            warnings.append(
                _("%(who)s would rather be in a group of “%(wants)s”.")
                % {"who": _person(intake), "wants": intake.get_kind_display().lower()}
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
                    % {"who": _person(intake), "theme": theme.name}
                )
    return warnings


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
    intakes = _load_intakes(intakes)
    errors = _size_errors(len(intakes))
    errors += _person_errors(intakes, centre=centre, start_date=first_meeting)
    warnings = _guideline_warnings(
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
            first_start=schedule.local_start(first_meeting, start_time),
            length=length,
        )
        errors += chosen.errors
        warnings += chosen.warnings
    return RuleCheck(errors=errors, warnings=warnings)


def _active_intakes(group):
    return _load_intakes(
        Membership.objects.active().filter(group=group).values_list("intake_id", flat=True)
    )


def group_warnings(group):
    """The guidelines the group's current members do not meet, and a too small group."""
    if not group.is_active:
        return []
    intakes = _active_intakes(group)
    warnings = []
    if len(intakes) < MIN_MEMBERS:
        warnings.append(
            _("The group has %(count)s members; a group needs at least %(min)s.")
            % {"count": len(intakes), "min": MIN_MEMBERS}
        )
    return warnings + _guideline_warnings(
        intakes,
        kind=group.kind,
        theme=group.theme,
        format=group.format,
        weekday=group.weekday,
        start_time=group.start_time,
        on=max(group.first_meeting, timezone.localdate()),
    )


def check_new_member(*, group, intake, joined_on=None):
    """Check adding `intake` to an existing `group`: hard rules and the mix afterwards."""
    joined_on = joined_on or timezone.localdate()
    start_date = max(group.first_meeting, joined_on)
    (intake,) = _load_intakes([intake])
    errors = []
    if not group.is_active:
        errors.append(
            _("The group “%(group)s” is %(status)s and takes no new members.")
            % {"group": group.name, "status": group.get_status_display().lower()}
        )
    members = _active_intakes(group)
    if intake in members:
        errors.append(
            _("%(who)s is already in the group “%(group)s”.")
            % {"who": _person(intake), "group": group.name}
        )
    else:
        if len(members) >= MAX_MEMBERS:
            errors.append(
                _(
                    "The group “%(group)s” is full: %(who)s cannot join, "
                    "a group has at most %(max)s."
                )
                % {"group": group.name, "who": _person(intake), "max": MAX_MEMBERS}
            )
        errors += _person_errors([intake], centre=group.centre, start_date=start_date)
    warnings = _guideline_warnings(
        [*members, intake] if intake not in members else members,
        kind=group.kind,
        theme=group.theme,
        format=group.format,
        weekday=group.weekday,
        start_time=group.start_time,
        on=start_date,
    )
    return RuleCheck(errors=errors, warnings=warnings)


def proposed_schedule(first_meeting):
    """The first 12 weekly meetings from `first_meeting`, each with its holiday if any."""
    return schedule.weekly(first_meeting, 1, COMMITMENT_WEEKS)


def _date(value):
    return formats.date_format(value, "j. F Y")


def _lock(group):
    """Lock the group's row for the rest of the transaction and return it fresh."""
    return (
        Group.objects.select_for_update(of=("self",))
        .select_related("centre", "theme")
        .get(pk=group.pk)
    )


def _lock_intakes(intakes):
    ids = sorted({intake.pk if isinstance(intake, Intake) else int(intake) for intake in intakes})
    # A plain query of ids: joined tables would be locked too.
    list(Intake.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
    return ids


def _validate_frame(
    *, centre, kind, theme, format, venue, video_link, weekday, length, first, formed_on
):
    errors = []
    today = timezone.localdate()
    if formed_on > today:
        errors.append(_("A group cannot be formed on a day that has not come yet."))
    elif first < formed_on:
        if formed_on == today:
            errors.append(_("The first meeting cannot be in the past."))
        else:
            errors.append(
                _("The first meeting cannot be before the day the group was formed, %(date)s.")
                % {"date": _date(formed_on)}
            )
    if format == Group.Format.PHYSICAL and not venue.strip():
        errors.append(_("A group that meets in person needs a venue."))
    if format == Group.Format.DIGITAL:
        if not video_link.strip():
            errors.append(_("A group that meets by video needs a video link."))
        if not centre.runs_digital_groups:
            errors.append(_("%(centre)s does not run digital groups.") % {"centre": centre.name})
    if kind == Group.Kind.SAME and theme is None:
        errors.append(_("A group around one problem needs its theme."))
    if not 30 <= length <= 240:
        errors.append(_("A meeting lasts between 30 and 240 minutes."))
    if first.weekday() != weekday:
        errors.append(
            _("The first meeting, %(date)s, is not on a %(weekday)s.")
            % {"date": _date(first), "weekday": Slot.WEEKDAYS[weekday][1].lower()}
        )
    holiday = schedule.holiday_name(first)
    if holiday:
        errors.append(
            _("The first meeting cannot be on a public holiday (%(date)s is %(holiday)s).")
            % {"date": _date(first), "holiday": holiday}
        )
    if errors:
        raise GroupRuleError(*errors)


def _validate_holiday_choices(planned, holiday_choices):
    """Each holiday in the schedule needs a choice: ("cancel", None) or ("move", date)."""
    holiday_choices = holiday_choices or {}
    regular = {meeting.date for meeting in planned}
    errors = []
    moves = {}
    for meeting in schedule.holidays_in(planned):
        choice, new_date = holiday_choices.get(meeting.sequence, (None, None))
        label = {"date": _date(meeting.date), "holiday": meeting.holiday}
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
                % {"new": _date(new_date), "holiday": schedule.holiday_name(new_date)}
            )
        elif new_date in regular or new_date in moves.values():
            errors.append(_("The group already meets on %(new)s.") % {"new": _date(new_date)})
        elif new_date < timezone.localdate():
            errors.append(_("%(new)s has passed.") % {"new": _date(new_date)})
        else:
            moves[meeting.sequence] = new_date
    if errors:
        raise GroupRuleError(*errors)
    return moves


def _holiday_reason(holiday):
    return _("Public holiday: %(holiday)s") % {"holiday": holiday}


def _create_meetings(group, planned, moves=None):
    """Meetings for `planned`; a holiday is moved when `moves` says so, else cancelled."""
    moves = moves or {}
    meetings = []
    for item in planned:
        regular = schedule.local_start(item.date, group.start_time)
        meeting = Meeting(group=group, sequence=item.sequence, start=regular, length=group.length)
        if item.holiday:
            meeting.holiday = item.holiday
            if item.sequence in moves:
                meeting.moved_from = regular
                meeting.start = schedule.local_start(moves[item.sequence], group.start_time)
            else:
                meeting.cancelled = True
                meeting.cancelled_reason = _holiday_reason(item.holiday)
        meetings.append(meeting)
    return Meeting.objects.bulk_create(meetings)


def _when(start):
    """Date and time of a meeting for a message to staff."""
    local = timezone.localtime(start, schedule.OSLO)
    return {
        "date": formats.date_format(local, "l j. F Y"),
        "time": formats.time_format(local, "H:i"),
    }


def _iso(start):
    """An aware datetime for a message's context, in Oslo time (its `_at` keys)."""
    return timezone.localtime(start, schedule.OSLO).isoformat()


def _where(group):
    """Where the group meets; never why, never who else is in it."""
    return {
        "group": group.name,
        "digital": group.format == Group.Format.DIGITAL,
        "place": group.venue if group.format == Group.Format.PHYSICAL else "",
        "video_link": group.video_link if group.format == Group.Format.DIGITAL else "",
        "centre": group.centre.name,
        "centre_phone": group.centre.phone,
    }


def _next_meeting(group, after=None):
    return (
        group.meetings.filter(cancelled=False, start__gte=after or timezone.now())
        .order_by("start")
        .first()
    )


def _queue_welcome(membership):
    group, intake = membership.group, membership.intake
    channel, recipient = message_channel(intake)
    first = _next_meeting(
        group,
        after=max(timezone.now(), schedule.local_start(membership.joined_on, datetime.time())),
    )
    # Messages are always in bokmål; the outbox keeps the weekday as text.
    with translation.override("nb"):
        weekday = str(Slot.WEEKDAYS[group.weekday][1])
    queue_message(
        centre=group.centre,
        channel=channel,
        recipient=recipient,
        template="group_welcome",
        about=membership,
        dedup_key=f"group-welcome:{membership.pk}",
        context={
            "first_name": intake.first_name,
            **_where(group),
            "weekday": weekday,
            "time": formats.time_format(group.start_time, "H:i"),
            "first_meeting_at": _iso(first.start) if first else "",
        },
    )


def _queue_to_members(group, *, template, about, key, context):
    for membership in group.memberships.active().select_related("intake"):
        channel, recipient = message_channel(membership.intake)
        queue_message(
            centre=group.centre,
            channel=channel,
            recipient=recipient,
            template=template,
            about=about,
            dedup_key=f"{key}:{membership.pk}",
            context={"first_name": membership.intake.first_name, **_where(group), **context},
        )


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
            % {"who": _person(intake), "group": group.name}
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
    _validate_frame(
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
    ids = _lock_intakes(intakes)
    check = check_group(
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
    planned = proposed_schedule(first_meeting)
    moves = _validate_holiday_choices(planned, holiday_choices)
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
        first_meeting=first_meeting,
        created_by=actor,
    )
    group.save()
    _create_meetings(group, planned, moves)
    for seat, intake in enumerate(_load_intakes(ids), start=1):
        membership = _join(group=group, intake=intake, seat=seat, joined_on=formed_on, actor=actor)
        _queue_welcome(membership)
    # The facilitators' follow-up after the fourth meeting (facilitators app).
    facilitator_services.create_follow_up(group=group)
    for facilitator in facilitators:
        try:
            facilitator_services.assign_facilitator(
                group=group, facilitator=facilitator, actor=actor
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
    group = _lock(group)
    (intake_id,) = _lock_intakes([intake])
    joined_on = joined_on or timezone.localdate()
    check = check_new_member(group=group, intake=intake_id, joined_on=joined_on)
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
    _queue_welcome(membership)
    return membership


@transaction.atomic
def remove_member(*, membership, left_on, reason, intake_status, actor):
    """End a membership on `left_on` for `reason`.

    `intake_status` is what happens to the person's interest form: back to
    the waiting list (Intake.Status.WAITING) or closed (Intake.Status.CLOSED).
    Returns the membership.
    """
    group = _lock(membership.group)
    membership = (
        Membership.objects.select_for_update()
        .select_related("intake")
        .get(pk=membership.pk, group=group)
    )
    who = _person(membership.intake)
    if not membership.is_active:
        raise GroupRuleError(
            _("%(who)s already left the group on %(date)s.")
            % {"who": who, "date": _date(membership.left_on)}
        )
    if not reason.strip():
        raise GroupRuleError(_("Give a reason why %(who)s leaves the group.") % {"who": who})
    if left_on < membership.joined_on or left_on > timezone.localdate():
        raise GroupRuleError(
            _("%(who)s can leave between joining (%(joined)s) and today.")
            % {"who": who, "joined": _date(membership.joined_on)}
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
    group = _lock(membership.group)
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
            % {"who": who, "date": _date(membership.left_on)}
        )
    if membership.confidentiality_agreed_at:
        raise GroupRuleError(
            _("%(who)s already agreed to confidentiality and notice of absence on %(date)s.")
            % {"who": who, "date": _date(timezone.localtime(membership.confidentiality_agreed_at))}
        )
    at = at or timezone.now()
    if at > timezone.now():
        raise GroupRuleError(_("The agreement cannot be in the future."))
    membership.confidentiality_agreed_at = at
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
    group = _lock(group)
    on = on or timezone.localdate()
    _change_status(group, Group.Status.STARTED, on=on, actor=actor)
    first = group.meetings.filter(cancelled=False, start__lte=timezone.now()).order_by("start")
    first = first.values_list("start", flat=True).first()
    if first is None:
        raise GroupRuleError(
            _("The group “%(group)s” starts after its first meeting has taken place.")
            % {"group": group.name}
        )
    if on > timezone.localdate():
        raise GroupRuleError(_("A group can only be started today or on a day that has passed."))
    first_day = timezone.localdate(first, schedule.OSLO)
    if on < first_day:
        raise GroupRuleError(
            _("The group “%(group)s” cannot have started before its first meeting, %(date)s.")
            % {"group": group.name, "date": _date(first_day)}
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
        raise GroupRuleError(before_start % {"group": group.name, "date": _date(group.started_on)})


@transaction.atomic
def mark_self_run(*, group, actor, on=None):
    """The facilitators have withdrawn: the group runs itself from `on` (today by default).

    `on` cannot be a day to come, nor before the day the group started.
    """
    group = _lock(group)
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
    group.meetings.filter(
        cancelled=False,
        start__gte=schedule.local_start(on + datetime.timedelta(days=1), datetime.time()),
    ).update(cancelled=True, cancelled_reason=reason)


@transaction.atomic
def end_group(*, group, actor, on=None, reason=""):
    """End a started or self-run group: members leave, their interest forms are closed.

    `on` (today by default) cannot be a day to come, nor before the group started.
    """
    group = _lock(group)
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
    group = _lock(group)
    today = timezone.localdate()
    if group.status in (Group.Status.STARTED, Group.Status.SELF_RUN):
        raise GroupRuleError(
            _("The group “%(group)s” has started: end it instead of cancelling it.")
            % {"group": group.name}
        )
    _change_status(group, Group.Status.CANCELLED, on=today, actor=actor)
    if not reason.strip():
        raise GroupRuleError(_("Give a reason for cancelling the group."))
    _queue_to_members(
        group,
        template="group_cancelled",
        about=group,
        key=f"group-cancelled:{group.pk}",
        context={},
    )
    _close(
        group,
        on=today,
        reason=_("The group was cancelled before it started."),
        intake_status=Intake.Status.WAITING,
        actor=actor,
    )
    group.meetings.filter(cancelled=False).update(cancelled=True, cancelled_reason=reason.strip())
    group.cancelled_on, group.closing_reason = today, reason.strip()
    group.save(update_fields=["status", "cancelled_on", "closing_reason", "updated_at"])
    return group


@transaction.atomic
def change_place(*, group, venue, video_link, actor):
    """Change where an active group meets and tell the members before the next meeting."""
    group = _lock(group)
    if not group.is_active:
        raise GroupRuleError(
            _("The group “%(group)s” is %(status)s; its place can no longer be changed.")
            % {"group": group.name, "status": group.get_status_display().lower()}
        )
    venue, video_link = venue.strip(), video_link.strip()
    if group.format == Group.Format.PHYSICAL:
        if not venue:
            raise GroupRuleError(_("A group that meets in person needs a venue."))
        changed, group.venue = venue != group.venue, venue
    else:
        if not video_link:
            raise GroupRuleError(_("A group that meets by video needs a video link."))
        changed, group.video_link = video_link != group.video_link, video_link
    if not changed:
        return group
    group.save(update_fields=["venue", "video_link", "updated_at"])
    # Every meeting ahead now has another place: a new revision, as when it is
    # moved, so calendar feeds raise the event's SEQUENCE and calendar apps
    # take the new place, and a reminder written with the old one is dropped
    # before sending and written again. Meetings that have begun keep theirs.
    group.meetings.filter(start__gt=timezone.now()).update(revision=F("revision") + 1)
    next_meeting = _next_meeting(group)
    version = group.updated_at.strftime("%Y%m%d%H%M%S%f")
    _queue_to_members(
        group,
        template="group_place_changed",
        about=group,
        key=f"group-place-changed:{group.pk}:{version}",
        context={"next_meeting_at": _iso(next_meeting.start) if next_meeting else ""},
    )
    return group


def _lock_meeting(meeting):
    group = _lock(meeting.group)
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
    when = _when(meeting.start)
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
    # The follow-up after the fourth held meeting moves with the meetings.
    facilitator_services.refresh_follow_up_due(group=meeting.group)
    _queue_to_members(
        meeting.group,
        template="group_meeting_cancelled",
        about=meeting,
        key=f"group-meeting-cancelled:{meeting.pk}:{meeting.revision}",
        context={"meeting_at": _iso(meeting.start), "holiday": ""},
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
    new_start = schedule.local_start(date, time or group.start_time)
    old_start, old = meeting.start, _when(meeting.start)
    if meeting.start <= timezone.now() and not meeting.cancelled:
        raise GroupRuleError(_("The meeting on %(date)s has already begun.") % old)
    if new_start <= timezone.now():
        raise GroupRuleError(_("A meeting can only be moved to a time ahead."))
    holiday = schedule.holiday_name(date)
    if holiday:
        raise GroupRuleError(
            _("%(new)s is a public holiday (%(holiday)s).")
            % {"new": _date(date), "holiday": holiday}
        )
    clash = group.meetings.filter(cancelled=False, start__date=date).exclude(pk=meeting.pk).exists()
    if clash:
        raise GroupRuleError(_("The group already meets on %(new)s.") % {"new": _date(date)})
    if new_start == meeting.start and not meeting.cancelled:
        raise GroupRuleError(_("The meeting is already at that time."))
    if meeting.moved_from is None:
        meeting.moved_from = meeting.start
    meeting.start = new_start
    meeting.cancelled = False
    meeting.cancelled_reason = ""
    meeting.revision += 1
    meeting.save(update_fields=["start", "moved_from", "cancelled", "cancelled_reason", "revision"])
    # The follow-up after the fourth held meeting moves with the meetings.
    facilitator_services.refresh_follow_up_due(group=group)
    _queue_to_members(
        group,
        template="group_meeting_moved",
        about=meeting,
        key=f"group-meeting-moved:{meeting.pk}:{meeting.revision}",
        context={"old_at": _iso(old_start), "new_at": _iso(new_start)},
    )
    return meeting


def _extend(group, now):
    """Add weekly meetings until the group has UPCOMING_MEETINGS ahead (and 12 in all)."""
    created = []
    last = group.meetings.order_by("-sequence").values_list("sequence", flat=True).first() or 0
    upcoming = group.meetings.filter(cancelled=False, start__gt=now).count()
    sequence = last
    while upcoming < UPCOMING_MEETINGS or sequence < COMMITMENT_WEEKS:
        sequence += 1
        (planned,) = schedule.weekly(group.first_meeting, sequence, sequence)
        (meeting,) = _create_meetings(group, [planned])
        created.append(meeting)
        if meeting.cancelled:
            with translation.override("nb"):
                holiday_nb = schedule.holiday_name(planned.date)
            # A holiday nobody has decided about yet: cancelled, shown in the
            # schedule, and staff may move it. The members are told.
            _queue_to_members(
                group,
                template="group_meeting_cancelled",
                about=meeting,
                key=f"group-meeting-cancelled:{meeting.pk}:{meeting.revision}",
                context={"meeting_at": _iso(meeting.start), "holiday": holiday_nb},
            )
        elif meeting.start > now:
            upcoming += 1
    return created


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
    created = extend_schedules(now=now)
    return {"started": len(started), "meetings": created}
