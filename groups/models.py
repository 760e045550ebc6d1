"""Groups, their members and their meetings.

The rules that span rows (who may join, how many, the schedule) live in
groups.services; the models hold the data and the invariants the database
itself can keep: at most one active membership per intake, at most eight
active members per group (one per numbered seat), a venue for physical groups
and a link for digital ones.
"""

import datetime
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake.models import Intake, Slot, Theme
from selvhjelp.dates import local
from selvhjelp.errors import RuleError
from selvhjelp.models import Centre

MIN_MEMBERS = 4
MAX_MEMBERS = 8
COMMITMENT_WEEKS = 12


def new_member_token():
    """The secret of a member's personal link: 256 random bits, safe in a URL.

    Opaque and unguessable (never an id), so the link itself is the key.
    """
    return secrets.token_urlsafe(32)


class GroupRuleError(RuleError):
    """A rule about groups was broken; each message names the person and the rule."""


class GroupQuerySet(models.QuerySet):
    def for_user(self, user):
        """Groups of the centres `user` works for (all for superusers)."""
        return self.filter(centre__in=Centre.objects.for_user(user))

    def active(self):
        return self.filter(status__in=Group.ACTIVE_STATUSES)

    def lock(self, group):
        """Lock `group`'s row (only that row) for the rest of the transaction; return it fresh."""
        return (
            self.select_for_update(of=("self",)).select_related("centre", "theme").get(pk=group.pk)
        )


class Group(models.Model):
    """A closed self-help group of 4 to 8 adults with a fixed weekly frame."""

    class Kind(models.TextChoices):
        ACROSS = "across", _("Across problems")
        SAME = "same", _("Same problem")

    class Format(models.TextChoices):
        PHYSICAL = "physical", _("In person")
        DIGITAL = "digital", _("By video")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        STARTED = "started", _("Started")
        SELF_RUN = "self_run", _("Self-run")
        ENDED = "ended", _("Ended")
        CANCELLED = "cancelled", _("Cancelled")

    ACTIVE_STATUSES = [Status.PLANNED, Status.STARTED, Status.SELF_RUN]
    # Which status may follow which; ended and cancelled are final.
    TRANSITIONS = {
        Status.PLANNED: {Status.STARTED, Status.CANCELLED},
        Status.STARTED: {Status.SELF_RUN, Status.ENDED},
        Status.SELF_RUN: {Status.ENDED},
        Status.ENDED: set(),
        Status.CANCELLED: set(),
    }

    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, related_name="groups", verbose_name=_("centre")
    )
    name = models.CharField(
        _("name"),
        max_length=120,
        help_text=_(
            "Participants see this name in messages: never put a problem or diagnosis in it."
        ),
    )
    kind = models.CharField(_("kind of group"), max_length=10, choices=Kind.choices)
    theme = models.ForeignKey(
        Theme,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="groups",
        verbose_name=_("shared theme"),
        help_text=_("Only for groups around one problem."),
    )
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    venue = models.CharField(
        _("venue"), max_length=200, blank=True, help_text=_("Address and room.")
    )
    video_link = models.URLField(_("video link"), blank=True)
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Slot.WEEKDAYS)
    start_time = models.TimeField(_("start time"))
    length = models.PositiveSmallIntegerField(
        _("length (minutes)"),
        default=120,
        validators=[MinValueValidator(30), MaxValueValidator(240)],
    )
    # The day meeting no. 1 was planned for when the group was formed: the
    # weekly series counts from it. The first meeting actually held may be
    # another day (moved off a public holiday); see Meeting and
    # selectors.groups_with_overview's `first_meeting_at`.
    planned_start = models.DateField(_("first meeting as planned"))

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED, db_index=True
    )
    started_on = models.DateField(_("started"), null=True, blank=True)
    self_run_on = models.DateField(_("self-run from"), null=True, blank=True)
    ended_on = models.DateField(_("ended"), null=True, blank=True)
    cancelled_on = models.DateField(_("cancelled"), null=True, blank=True)
    closing_reason = models.CharField(_("why it ended"), max_length=300, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("formed by"),
    )
    created_at = models.DateTimeField(_("formed"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Staff formed the group without telling its members yet: "you have a
    # place" goes out when they send it from the group's page.
    invitations_held = models.BooleanField(_("invitations not sent yet"), default=False)

    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["-planned_start", "name"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(format="physical") & ~models.Q(venue="")
                    | models.Q(format="digital") & ~models.Q(video_link="")
                ),
                name="group_has_venue_or_link",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="across", theme__isnull=True)
                    | models.Q(kind="same", theme__isnull=False)
                ),
                name="group_theme_only_for_same_problem",
            ),
            models.CheckConstraint(
                condition=models.Q(length__gte=30, length__lte=240), name="group_length_sane"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_active(self):
        return self.status in self.ACTIVE_STATUSES

    @property
    def place(self):
        """Where the group meets: the venue or the video link."""
        return self.venue if self.format == self.Format.PHYSICAL else self.video_link

    def week_number(self, today=None):
        """The group's running week (1 in the week of the first meeting).

        None before the first meeting and once the group has ended or was
        cancelled.
        """
        if not self.is_active:
            return None
        today = today or timezone.localdate()
        if today < self.planned_start:
            return None
        return (today - self.planned_start).days // 7 + 1


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(left_on__isnull=True)


class Membership(models.Model):
    """A person's place in a group, from joining to leaving.

    Active while `left_on` is empty. `seat` numbers the active places 1-8:
    the database refuses a second active member on a seat, so a group can
    never hold more than eight even if two requests race past the lock.
    """

    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("group")
    )
    intake = models.ForeignKey(
        Intake, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("participant")
    )
    seat = models.PositiveSmallIntegerField(
        _("seat"), validators=[MinValueValidator(1), MaxValueValidator(MAX_MEMBERS)]
    )
    joined_on = models.DateField(_("joined"), default=timezone.localdate)
    first_attended_on = models.DateField(
        _("first meeting attended"),
        null=True,
        blank=True,
        help_text=_("When empty, the first meeting after joining counts."),
    )
    confidentiality_agreed_at = models.DateTimeField(
        _("agreed to confidentiality and notice of absence"),
        null=True,
        blank=True,
        help_text=_(
            "When the person agreed to keep what is said in the group (taushetsplikt) "
            "and to tell the group when they cannot come (meldeplikt)."
        ),
    )
    left_on = models.DateField(_("left"), null=True, blank=True)
    left_reason = models.CharField(
        _("why they left"),
        max_length=200,
        blank=True,
        help_text=_("Short and practical; no health details."),
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    # The member left through their own link (groups.members.leave_group),
    # not through staff: the staff's start page lists these.
    left_by_member = models.BooleanField(_("left through their link"), default=False)
    # The secret part of the member's personal link (groups.members); a new
    # one revokes the old link.
    link_token = models.CharField(
        _("link key"), max_length=64, unique=True, default=new_member_token, editable=False
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["left_on", "joined_on", "pk"]
        verbose_name = _("membership")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(
                fields=["intake"],
                condition=models.Q(left_on__isnull=True),
                name="one_active_membership_per_intake",
                violation_error_message=_("This person is already in an active group."),
            ),
            models.UniqueConstraint(
                fields=["group", "seat"],
                condition=models.Q(left_on__isnull=True),
                name="one_active_member_per_seat",
                violation_error_message=_("A group has at most 8 members."),
            ),
            models.CheckConstraint(
                condition=models.Q(seat__gte=1, seat__lte=MAX_MEMBERS), name="seat_within_eight"
            ),
            models.CheckConstraint(
                condition=models.Q(left_on__isnull=True)
                | models.Q(left_on__gte=models.F("joined_on")),
                name="membership_left_after_joining",
            ),
            models.CheckConstraint(
                condition=models.Q(left_on__isnull=True) | ~models.Q(left_reason=""),
                name="membership_left_with_reason",
            ),
        ]

    def __str__(self):
        return f"{self.intake.name} – {self.group.name}"

    def clean(self):
        if self.confidentiality_agreed_at and self.confidentiality_agreed_at > timezone.now():
            raise ValidationError(
                {"confidentiality_agreed_at": _("The agreement cannot be in the future.")}
            )

    @property
    def is_active(self):
        return self.left_on is None

    @property
    def commitment_starts_on(self):
        """The first meeting the person attended, or else the first one after joining.

        A queryset annotated by selectors.memberships_with_commitment sets
        `expected_first_meeting` and saves a query per row.
        """
        if self.first_attended_on:
            return self.first_attended_on
        if hasattr(self, "expected_first_meeting"):
            start = self.expected_first_meeting
        else:
            start = (
                self.group.meetings.not_cancelled()
                .filter(start__date__gte=self.joined_on)
                .values_list("start", flat=True)
                .first()
            )
        return timezone.localdate(start) if start else None

    @property
    def commitment_ends_on(self):
        """The last day of the 12th week from the first meeting the person attended."""
        start = self.commitment_starts_on
        if start is None:
            return None
        return start + datetime.timedelta(weeks=COMMITMENT_WEEKS, days=-1)


class MeetingQuerySet(models.QuerySet):
    def not_cancelled(self):
        """Meetings that take place, or took place: held, to come, or moved; not cancelled."""
        return self.filter(cancelled=False)


class Meeting(models.Model):
    """One meeting of a group, generated weekly; cancelled or moved, never deleted.

    `sequence` numbers the weeks of the series from the first meeting, so a
    moved or cancelled meeting keeps its place in it.
    """

    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="meetings", verbose_name=_("group")
    )
    sequence = models.PositiveSmallIntegerField(_("no."))
    start = models.DateTimeField(_("starts"))
    length = models.PositiveSmallIntegerField(_("length (minutes)"), default=120)
    cancelled = models.BooleanField(_("cancelled"), default=False)
    cancelled_reason = models.CharField(_("why it was cancelled"), max_length=200, blank=True)
    moved_from = models.DateTimeField(_("moved from"), null=True, blank=True)
    holiday = models.CharField(
        _("public holiday"),
        max_length=120,
        blank=True,
        help_text=_("The public holiday the meeting's regular date fell on."),
    )
    # Cancelled because the group meets every other week (groups.meetings.change_rhythm):
    # a weekly rhythm again brings it back.
    off_rhythm = models.BooleanField(_("not in the group's rhythm"), default=False)
    # Counts changes, so that each change gets its own outbox message.
    revision = models.PositiveSmallIntegerField(default=0, editable=False)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["start", "sequence"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            models.UniqueConstraint(fields=["group", "sequence"], name="unique_meeting_sequence"),
        ]
        indexes = [models.Index(fields=["group", "start"], name="meeting_group_start")]

    def __str__(self):
        return f"{self.group.name} {local(self.start):%Y-%m-%d %H:%M}"

    @property
    def end(self):
        return self.start + datetime.timedelta(minutes=self.length)

    @property
    def local_start(self):
        return local(self.start)

    @property
    def is_past(self):
        """True once the meeting has ended (held, unless cancelled)."""
        return self.end <= timezone.now()


class RhythmChange(models.Model):
    """From `starts_on` the group meets every `every_weeks` weeks (1 or 2).

    The first 12 weeks are always weekly (the commitment); a group without a
    change meets weekly. The latest change on or before a week decides it
    (schedule.meets_in_week). Kept, never edited: the history of the rhythm.
    """

    class Every(models.IntegerChoices):
        WEEK = 1, _("Every week")
        OTHER_WEEK = 2, _("Every other week")

    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="rhythm_changes", verbose_name=_("group")
    )
    starts_on = models.DateField(_("from"))
    every_weeks = models.PositiveSmallIntegerField(_("meets"), choices=Every.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    created_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        ordering = ["starts_on", "pk"]
        verbose_name = _("change of rhythm")
        verbose_name_plural = _("changes of rhythm")
        constraints = [
            models.UniqueConstraint(fields=["group", "starts_on"], name="one_rhythm_change_a_day"),
            models.CheckConstraint(
                condition=models.Q(every_weeks__in=[1, 2]), name="rhythm_weekly_or_fortnightly"
            ),
        ]

    def __str__(self):
        return f"{self.group} {self.get_every_weeks_display()} {self.starts_on}"


class Absence(models.Model):
    """A member has told the group they cannot come to one meeting (meldeplikt).

    No reason is asked and no text is taken. Taken back while `taken_back_at`
    is set; each report and each taking back raises `revision`, so each gets
    its own notices through the outbox, once.
    """

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="absences", verbose_name=_("member")
    )
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="absences", verbose_name=_("meeting")
    )
    reported_at = models.DateTimeField(_("told the group"), default=timezone.now)
    taken_back_at = models.DateTimeField(_("took it back"), null=True, blank=True)
    revision = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["meeting__start", "pk"]
        verbose_name = _("notice of absence")
        verbose_name_plural = _("notices of absence")
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "meeting"], name="one_absence_per_member_and_meeting"
            ),
        ]

    def __str__(self):
        return f"{self.membership_id} – {self.meeting}"

    @property
    def is_active(self):
        return self.taken_back_at is None


class Suggestion(models.Model):
    """A proposed group (groups.suggestions) that staff accepted or discarded.

    Proposals are computed afresh each time and not stored; staff's decision
    is. An accepted one holds its people (SuggestedMember.holds) until the
    group is formed from it or staff let it go, so no other proposal takes
    them; a discarded one is not proposed again while all its people wait.
    """

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        FORMED = "formed", _("Formed")
        DISCARDED = "discarded", _("Discarded")
        RELEASED = "released", _("Let go")

    centre = models.ForeignKey(
        Centre, on_delete=models.CASCADE, related_name="+", verbose_name=_("centre")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Slot.WEEKDAYS)
    part = models.CharField(_("part of day"), max_length=10, choices=Slot.Part.choices)
    format = models.CharField(_("format"), max_length=10, choices=Group.Format.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=Group.Kind.choices)
    theme = models.ForeignKey(
        Theme,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("shared theme"),
    )
    group = models.ForeignKey(
        Group,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("group"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        verbose_name = _("suggested group")
        verbose_name_plural = _("suggested groups")

    def __str__(self):
        return f"{self.get_weekday_display()} {self.get_part_display()} ({self.pk})"


class SuggestedMember(models.Model):
    """A person in a suggestion; `holds` while the suggestion is accepted and not formed."""

    suggestion = models.ForeignKey(
        Suggestion, on_delete=models.CASCADE, related_name="members", verbose_name=_("suggestion")
    )
    intake = models.ForeignKey(
        Intake, on_delete=models.CASCADE, related_name="+", verbose_name=_("participant")
    )
    holds = models.BooleanField(_("holds the place"), default=False)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("suggested member")
        verbose_name_plural = _("suggested members")
        constraints = [
            models.UniqueConstraint(
                fields=["suggestion", "intake"], name="unique_suggested_member"
            ),
            # Two staff accepting overlapping proposals at once: only one can hold a person.
            models.UniqueConstraint(
                fields=["intake"],
                condition=models.Q(holds=True),
                name="one_held_suggestion_per_intake",
            ),
        ]

    def __str__(self):
        return _("suggested member no. %(number)s") % {"number": self.pk}
