import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from selvhjelp.errors import RuleError
from selvhjelp.models import Centre

from .reference import THEME_LABELS

# Self-help groups in the portal are for adults (DOMAIN.md). Only the year of
# birth is asked: a person is counted as the age they reach in a year.
ADULT_AGE = 18

# No 0/O, 1/I/L: the code is read aloud on the phone.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def age_in_year(birth_year, date):
    """The age a person born in `birth_year` reaches in the year of `date`."""
    return date.year - birth_year


def is_adult(birth_year, on):
    """The one test of adulthood: 18 or older in the year of `on`."""
    return age_in_year(birth_year, on) >= ADULT_AGE


def new_reference():
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
    return f"{code[:3]}-{code[3:]}"


class IntakeError(RuleError):
    """A rule about intakes was broken; the message is shown to the user as is."""


class Theme(models.Model):
    """A problem theme people can tick on the form, edited by staff."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    is_other = models.BooleanField(
        _("means 'something else'"),
        default=False,
        help_text=_("The form always offers this theme; exactly one theme should have it."),
    )
    active = models.BooleanField(_("shown on the form"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["is_other", "position", "name"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def __str__(self):
        # The starting themes in the page's language (intake.reference).
        return str(THEME_LABELS.get(self.name, self.name))


class Slot(models.Model):
    """A part of a weekday (Monday evening...). The 21 rows come from a migration."""

    class Part(models.TextChoices):
        MORNING = "morning", _("morning")
        AFTERNOON = "afternoon", _("afternoon")
        EVENING = "evening", _("evening")

    WEEKDAYS = [
        (0, _("Monday")),
        (1, _("Tuesday")),
        (2, _("Wednesday")),
        (3, _("Thursday")),
        (4, _("Friday")),
        (5, _("Saturday")),
        (6, _("Sunday")),
    ]

    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=WEEKDAYS)
    part = models.CharField(_("part of day"), max_length=10, choices=Part.choices)

    class Meta:
        ordering = ["weekday", "part"]
        verbose_name = _("time of week")
        verbose_name_plural = _("times of week")
        constraints = [models.UniqueConstraint(fields=["weekday", "part"], name="unique_slot")]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.get_part_display()}"

    @classmethod
    def part_of_day(cls, time):
        """The part of day a meeting starting at `time` falls in."""
        if time.hour < 12:
            return cls.Part.MORNING
        if time.hour < 17:
            return cls.Part.AFTERNOON
        return cls.Part.EVENING


class IntakeQuerySet(models.QuerySet):
    def for_user(self, user):
        """Intakes of the centres `user` works for (all for superusers)."""
        return self.filter(centre__in=Centre.objects.for_user(user))

    def open(self):
        return self.filter(status__in=Intake.OPEN_STATUSES)

    def lock(self, intakes):
        """Lock the rows of `intakes` (instances or ids) in id order; return the ids."""
        ids = sorted(
            {intake.pk if isinstance(intake, Intake) else int(intake) for intake in intakes}
        )
        # A plain query of ids: joined tables would be locked too.
        list(self.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
        return ids


class Intake(models.Model):
    """An interest form and its handling by the centre's staff."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        WAITING = "waiting", _("Ready for a group")
        PLACED = "placed", _("In a group")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        CLOSED = "closed", _("Closed")

    class Gender(models.TextChoices):
        WOMAN = "woman", _("Woman")
        MAN = "man", _("Man")
        OTHER = "other", _("Other")

    class Format(models.TextChoices):
        PHYSICAL = "physical", _("Meeting in person")
        DIGITAL = "digital", _("Meeting by video")
        EITHER = "either", _("Either is fine")

    class Kind(models.TextChoices):
        ACROSS = "across", _("People with different problems")
        SAME = "same", _("People with the same problem")
        ANY = "any", _("No preference")

    class ContactBy(models.TextChoices):
        PHONE = "phone", _("Phone call")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("Email")

    class Source(models.TextChoices):
        WEB = "web", _("The web form")
        PHONE = "phone", _("By phone, registered by staff")

    OPEN_STATUSES = [Status.NEW, Status.CONTACTED, Status.WAITING]
    # Which status may follow which; withdrawn and closed end the intake.
    TRANSITIONS = {
        Status.NEW: {Status.CONTACTED, Status.WAITING, Status.WITHDRAWN, Status.CLOSED},
        Status.CONTACTED: {Status.WAITING, Status.WITHDRAWN, Status.CLOSED},
        Status.WAITING: {Status.CONTACTED, Status.PLACED, Status.WITHDRAWN, Status.CLOSED},
        Status.PLACED: {Status.WAITING, Status.WITHDRAWN, Status.CLOSED},
        Status.WITHDRAWN: set(),
        Status.CLOSED: set(),
    }

    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, related_name="intakes", verbose_name=_("centre")
    )
    reference = models.CharField(
        _("reference"), max_length=7, unique=True, default=new_reference, editable=False
    )
    # What the withdrawal link in the receipt names (signed, intake.retention):
    # random, so a link tells nothing of how many forms exist.
    withdrawal_key = models.UUIDField(
        _("withdrawal key"), unique=True, default=uuid.uuid4, editable=False
    )
    name = models.CharField(_("name"), max_length=120)
    email = models.EmailField(_("email"), blank=True)
    phone = PhoneNumberField(_("mobile number"), blank=True)
    contact_by = models.CharField(
        _("prefers to be contacted by"),
        max_length=10,
        choices=ContactBy.choices,
        default=ContactBy.PHONE,
    )
    birth_year = models.PositiveSmallIntegerField(_("year of birth"))
    confirmed_adult = models.BooleanField(_("confirmed being 18 or older"), default=False)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    themes = models.ManyToManyField(
        Theme, related_name="intakes", blank=True, verbose_name=_("themes")
    )
    about = models.TextField(
        _("in their own words"),
        max_length=1000,
        blank=True,
        help_text=_("Health information. Never copy it into messages or notes."),
    )
    format = models.CharField(
        _("meeting format"), max_length=10, choices=Format.choices, default=Format.EITHER
    )
    kind = models.CharField(
        _("kind of group"), max_length=10, choices=Kind.choices, default=Kind.ANY
    )
    availability = models.ManyToManyField(
        Slot, related_name="intakes", blank=True, verbose_name=_("available")
    )
    # The consent: which text (ConsentText: its version, in the language the
    # person read it in) and when. Empty only once the person is anonymised.
    consent_version = models.CharField(_("consent text version"), max_length=20, blank=True)
    consent_language = models.CharField(_("consent text language"), max_length=10, blank=True)
    consent_given_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    # How the form came in: sent by the person, or filled in by staff while
    # the person was on the phone (who took the consent is kept then).
    source = models.CharField(
        _("received by"), max_length=10, choices=Source.choices, default=Source.WEB
    )
    consent_taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("consent taken by phone by"),
    )
    # The form this one was merged into (the same person twice); this one is
    # closed and keeps its own history.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )
    # The language the person used (a code of settings.LANGUAGES), set when
    # the form is sent: their emails and SMS are written in it. Bokmål for
    # forms registered by staff and for those sent before it was kept.
    language = models.CharField(_("language"), max_length=10, default="nb")
    # Set by the form page; a second POST of the same form finds the first
    # intake. Cleared SUBMISSION_KEY_HOURS later (the job clear_submission_keys).
    submission_key = models.UUIDField(_("submission key"), unique=True, null=True, editable=False)

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW, db_index=True
    )
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    created_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Retention (intake.retention): set when the person withdrew with the link
    # in their receipt; the nightly job deletes the form after this time.
    delete_after = models.DateTimeField(_("to be deleted after"), null=True, blank=True)
    # Set when everything naming the person was removed; the row stays only
    # for the group's statistics.
    anonymised_at = models.DateTimeField(_("anonymised"), null=True, blank=True, editable=False)
    # Set by the nightly job when an open form has had no activity for
    # INTAKE_IDLE_MONTHS: staff see it, and the job closes the form
    # INTAKE_IDLE_WARNING_DAYS later unless something happens meanwhile.
    idle_notice_at = models.DateTimeField(
        _("no activity noticed"), null=True, blank=True, editable=False
    )

    objects = IntakeQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("interest form")
        verbose_name_plural = _("interest forms")
        constraints = [
            # An anonymised form keeps no way to reach the person.
            models.CheckConstraint(
                condition=~models.Q(email="", phone="") | models.Q(anonymised_at__isnull=False),
                name="intake_has_contact_channel",
            ),
            # Every form is sent with consent; only anonymising removes the record of it.
            models.CheckConstraint(
                condition=models.Q(consent_given_at__isnull=False)
                | models.Q(anonymised_at__isnull=False),
                name="intake_has_consent",
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.name}"

    @property
    def name_and_reference(self):
        """ "Kari Nordmann (K7M-2QX)": how staff pages and messages to staff name a person."""
        return f"{self.name} ({self.reference})"

    @property
    def first_name(self):
        return self.name.split()[0] if self.name.strip() else ""

    def age_on(self, date):
        """The age the person reaches in the year of `date`.

        Only the birth year is collected (data minimisation); the explicit
        "I am 18 or older" box covers the months before the birthday.
        """
        return age_in_year(self.birth_year, date)

    def is_adult_on(self, date):
        return is_adult(self.birth_year, date)

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES

    def change_status(self, to, *, by, reason=""):
        """Move to status `to`, keeping the change in the history.

        Raises IntakeError for a move that makes no sense (closed -> new...).
        """
        if to == self.status:
            raise IntakeError(
                _("The interest form already has the status “%(status)s”.")
                % {"status": self.get_status_display()}
            )
        if to not in self.TRANSITIONS[self.status]:
            raise IntakeError(
                _("An interest form with the status “%(old)s” cannot be changed to “%(new)s”.")
                % {"old": self.get_status_display(), "new": self.Status(to).label}
            )
        previous = self.status
        self.status = to
        self.status_changed_at = timezone.now()
        self.save(update_fields=["status", "status_changed_at", "updated_at"])
        return StatusChange.objects.create(
            intake=self, from_status=previous, to_status=to, changed_by=by, reason=reason
        )

    def mark_contacted(self, *, by):
        return self.change_status(self.Status.CONTACTED, by=by)

    def mark_waiting(self, *, by):
        return self.change_status(self.Status.WAITING, by=by)

    def mark_placed(self, *, by, reason=""):
        return self.change_status(self.Status.PLACED, by=by, reason=reason)

    def withdraw(self, *, by, reason):
        return self.change_status(self.Status.WITHDRAWN, by=by, reason=reason)

    def close(self, *, by, reason):
        return self.change_status(self.Status.CLOSED, by=by, reason=reason)


class StatusChange(models.Model):
    """One step in an intake's status history: who, when, from, to and why."""

    intake = models.ForeignKey(
        Intake, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("intake")
    )
    from_status = models.CharField(
        _("from"), max_length=10, choices=Intake.Status.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=10, choices=Intake.Status.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name = _("status change")
        verbose_name_plural = _("status history")
        # The start page's "withdrawn since your last visit" at any data size.
        indexes = [models.Index(fields=["to_status", "changed_at"], name="status_change_to_at")]

    def __str__(self):
        return f"{self.get_from_status_display() or '–'} → {self.get_to_status_display()}"


class ContactAttempt(models.Model):
    """A call, message or note by staff about an intake."""

    class Kind(models.TextChoices):
        CALL_ANSWERED = "answered", _("Phone call, talked")
        NO_ANSWER = "no_answer", _("Phone call, no answer")
        MESSAGE_LEFT = "message", _("Left a message")
        NOTE = "note", _("Internal note")

    intake = models.ForeignKey(
        Intake, on_delete=models.CASCADE, related_name="contact_attempts", verbose_name=_("intake")
    )
    kind = models.CharField(_("what happened"), max_length=10, choices=Kind.choices)
    note = models.TextField(_("note"), max_length=1000, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("contact attempt or note")
        verbose_name_plural = _("contact attempts and notes")

    def __str__(self):
        return self.get_kind_display()


class ConsentText(models.Model):
    """The exact words of one version of the consent text, in one language.

    Written by a data migration and by `manage.py record_consent_texts`
    (intake.consent), never changed: a form's consent_version and
    consent_language name the row the person agreed to.
    """

    version = models.CharField(_("version"), max_length=20)
    language = models.CharField(_("language"), max_length=10)
    text = models.TextField(_("text"))
    created = models.DateTimeField(_("stored"), default=timezone.now)

    class Meta:
        ordering = ["-version", "language"]
        verbose_name = _("consent text")
        verbose_name_plural = _("consent texts")
        constraints = [
            models.UniqueConstraint(fields=["version", "language"], name="unique_consent_text")
        ]

    def __str__(self):
        return f"{self.version} ({self.language})"


class ErasureRequest(models.Model):
    """A staff member asked to erase a person; a second person must confirm.

    Another staff member of the form's centre, or a superuser, confirms it
    within ERASURE_REQUEST_DAYS (intake.rights). At most one request per
    form; it goes with the form when the person is erased. Both steps are
    in the access log as well.
    """

    intake = models.OneToOneField(
        Intake, on_delete=models.CASCADE, related_name="erasure_request", verbose_name=_("intake")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("asked by"),
    )
    requested_at = models.DateTimeField(_("asked"), default=timezone.now)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")

    def __str__(self):
        return f"{self.intake_id} ({self.requested_at:%Y-%m-%d})"

    @property
    def expires_at(self):
        return self.requested_at + timedelta(days=settings.ERASURE_REQUEST_DAYS)

    def is_expired(self, now=None):
        return (now or timezone.now()) >= self.expires_at


class KeepApart(models.Model):
    """Staff decided that two people must not be in the same group.

    Recorded after a call (neighbours, colleagues, former partners...). Seen
    by the centre's staff only, never by either person; kept with the intake
    and deleted with it (retention, erasure). Stored once in each direction
    (`intake` -> `other` and back), so each person's page lists their pairs;
    intake.services.keep_apart and stop_keeping_apart write both rows.
    """

    intake = models.ForeignKey(
        Intake, on_delete=models.CASCADE, related_name="kept_apart", verbose_name=_("intake")
    )
    other = models.ForeignKey(
        Intake, on_delete=models.CASCADE, related_name="+", verbose_name=_("not with")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("not in the same group")
        verbose_name_plural = _("not in the same group")
        constraints = [
            models.UniqueConstraint(fields=["intake", "other"], name="unique_keep_apart"),
            models.CheckConstraint(
                condition=~models.Q(intake=models.F("other")), name="keep_apart_two_people"
            ),
        ]

    def __str__(self):
        # Never a name or a reference: the admin's history of the page keeps
        # this text, and it must not name the other person once they are erased.
        return _("not in the same group (no. %(number)s)") % {"number": self.pk}
