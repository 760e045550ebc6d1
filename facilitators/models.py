"""Facilitators (igangsettere), their assignments to groups and the follow-ups they owe.

The rules that span rows (who may be assigned, when a follow-up is due, when
a group runs itself) live in facilitators.services; the models keep what the
database itself can guarantee: one active assignment per facilitator and
group, one follow-up after the first meetings per group, a done follow-up with an
outcome.
"""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from groups.models import Group, Meeting, Membership
from selvhjelp.models import Centre

# The longest start-up a facilitator attends: about the 12-week commitment.
MAX_MEETINGS_ATTENDED = 12
NOTE_MAX_LENGTH = 300


def new_calendar_token():
    """A secret for the personal calendar address: 256 bits, safe in a URL."""
    return secrets.token_urlsafe(32)


class Facilitator(models.Model):
    """A volunteer (igangsetter) who starts groups and then withdraws."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="facilitator",
        verbose_name=_("user"),
    )
    centres = models.ManyToManyField(Centre, related_name="facilitators", verbose_name=_("centres"))
    phone = PhoneNumberField(_("mobile number"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    # The secret part of the personal calendar address. A new one revokes the
    # old address (services.regenerate_calendar_token).
    calendar_token = models.CharField(
        _("calendar key"), max_length=64, unique=True, default=new_calendar_token, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["user__first_name", "user__last_name"]
        verbose_name = _("facilitator")
        verbose_name_plural = _("facilitators")

    def __str__(self):
        return self.user.get_full_name() or self.user.get_username()


class AssignmentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(withdrawn_on__isnull=True)


class Assignment(models.Model):
    """A facilitator starting a group: they attend its first `meetings_attended` meetings.

    Counted among the meetings that are not cancelled: when one of those is
    cancelled, the next one takes its place. Active while `withdrawn_on` is empty; a
    withdrawn facilitator no longer sees the group.
    """

    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("group")
    )
    facilitator = models.ForeignKey(
        Facilitator,
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name=_("facilitator"),
    )
    meetings_attended = models.PositiveSmallIntegerField(
        _("attends the first meetings"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_MEETINGS_ATTENDED)],
        help_text=_("How many of the group's first meetings the facilitator attends."),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    assigned_at = models.DateTimeField(_("assigned"), default=timezone.now)
    withdrawn_on = models.DateField(_("withdrawn"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["assigned_at", "pk"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["group", "facilitator"],
                condition=models.Q(withdrawn_on__isnull=True),
                name="one_active_assignment_per_facilitator",
                violation_error_message=_("The facilitator is already assigned to this group."),
            ),
            models.CheckConstraint(
                condition=models.Q(meetings_attended__gte=1), name="assignment_attends_a_meeting"
            ),
        ]
        indexes = [
            models.Index(fields=["facilitator", "withdrawn_on"], name="assignment_facilitator")
        ]

    def __str__(self):
        return f"{self.facilitator} – {self.group}"

    @property
    def is_active(self):
        return self.withdrawn_on is None


class FollowUpQuerySet(models.QuerySet):
    def open(self):
        return self.filter(done_on__isnull=True)

    def overdue(self, today=None):
        """Not done and due before `today`: the one definition of an overdue follow-up.

        FollowUp.is_overdue says the same of one row.
        """
        return self.open().filter(due_on__lt=today or timezone.localdate())

    def for_user(self, user):
        """Follow-ups of the groups of the centres `user` works for."""
        return self.filter(group__centre__in=Centre.objects.for_user(user))


class FollowUp(models.Model):
    """The facilitators' check-in with a group: after its first meetings, or a visit on request."""

    class Kind(models.TextChoices):
        # After the group's first FOLLOW_UP_AFTER_MEETINGS meetings (a setting).
        START_UP = "start_up", _("Follow-up after the first meetings")
        VISIT = "visit", _("Visit the group asked for")

    class Outcome(models.TextChoices):
        GOING_WELL = "going_well", _("The group is going well")
        NEEDS_SUPPORT = "needs_support", _("The group needs support")
        INVITED_BACK = "invited_back", _("The group invited a facilitator back")
        DISSOLVING = "dissolving", _("The group is dissolving")

    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("group")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    due_on = models.DateField(_("due date"), db_index=True)
    # The follow-up whose outcome ("invited back") asked for this visit.
    requested_by = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visit",
        verbose_name=_("asked for at"),
    )
    # A visit a member asked for through their link (groups.members), not at
    # a follow-up: pending until a facilitator picks a meeting (`visitor`,
    # `meeting`) or every one asked has declined (VisitDecline).
    asked_by = models.ForeignKey(
        Membership,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visit_requests",
        verbose_name=_("asked for by"),
    )
    asked_at = models.DateTimeField(_("asked for"), null=True, blank=True)
    visitor = models.ForeignKey(
        Facilitator,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("visitor"),
    )
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("meeting visited"),
    )
    done_on = models.DateField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    outcome = models.CharField(_("outcome"), max_length=14, choices=Outcome.choices, blank=True)
    note = models.CharField(
        _("note"),
        max_length=NOTE_MAX_LENGTH,
        blank=True,
        help_text=_("Short and practical; never health details about anyone."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Counts changes (a new due date, done), so calendars see an update.
    revision = models.PositiveSmallIntegerField(default=0, editable=False)

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.UniqueConstraint(
                fields=["group"],
                condition=models.Q(kind="start_up"),
                name="one_start_up_follow_up_per_group",
            ),
            models.CheckConstraint(
                condition=models.Q(done_on__isnull=True, outcome="")
                | (models.Q(done_on__isnull=False) & ~models.Q(outcome="")),
                name="follow_up_done_with_outcome",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} – {self.group}"

    @property
    def is_done(self):
        return self.done_on is not None

    @property
    def is_overdue(self):
        """Not done and due before today (as FollowUpQuerySet.overdue)."""
        return not self.is_done and self.due_on < timezone.localdate()


class VisitDecline(models.Model):
    """A facilitator cannot make the visit a group asked for; the note is for staff only."""

    follow_up = models.ForeignKey(
        FollowUp, on_delete=models.CASCADE, related_name="declines", verbose_name=_("visit")
    )
    facilitator = models.ForeignKey(
        Facilitator, on_delete=models.CASCADE, related_name="+", verbose_name=_("facilitator")
    )
    note = models.CharField(
        _("note to staff"),
        max_length=NOTE_MAX_LENGTH,
        blank=True,
        help_text=_("Short and practical; never health details about anyone."),
    )
    created_at = models.DateTimeField(_("declined"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("declined visit")
        verbose_name_plural = _("declined visits")
        constraints = [
            models.UniqueConstraint(
                fields=["follow_up", "facilitator"], name="one_decline_per_facilitator"
            ),
        ]

    def __str__(self):
        return f"{self.facilitator} – {self.follow_up}"
