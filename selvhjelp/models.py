from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CentreQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def for_user(self, user):
        """The centres whose data `user` may see: all for superusers."""
        if user.is_superuser:
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(staff_memberships__user=user)


class Centre(models.Model):
    """A local organisation that receives interest forms and starts groups."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("short name in addresses"), max_length=60, unique=True)
    area = models.CharField(
        _("area or municipality"),
        max_length=120,
        help_text=_("Where the centre's groups meet, as people would say it."),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    website = models.URLField(_("website"), blank=True)
    runs_digital_groups = models.BooleanField(_("runs digital groups"), default=False)
    usual_response_days = models.PositiveSmallIntegerField(
        _("usually calls within (working days)"),
        default=5,
        help_text=_("Shown to people after they send the form."),
    )
    facilitator_meetings = models.PositiveSmallIntegerField(
        _("facilitators attend the first meetings"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_(
            "How many of a new group's first meetings its facilitators attend, unless "
            "staff choose otherwise when they form the group."
        ),
    )
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active centres receive interest forms.")
    )

    objects = CentreQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("centre")
        verbose_name_plural = _("centres")

    def __str__(self):
        return self.name


class StaffMembership(models.Model):
    """A staff user's access to one centre's people and groups."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_memberships",
        verbose_name=_("user"),
    )
    centre = models.ForeignKey(
        Centre,
        on_delete=models.CASCADE,
        related_name="staff_memberships",
        verbose_name=_("centre"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "centre"], name="unique_staff_membership")
        ]

    def __str__(self):
        return f"{self.user} – {self.centre}"


class OutboundMessage(models.Model):
    """One email or SMS the system sends; every message is a row here first.

    Rows are written inside the transaction that causes them and sent after
    commit. `dedup_key` is unique so the same reminder is never written twice.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        # Due or being sent when a backup was restored: it may have gone out
        # already, so it waits for staff to send or drop it (after_restore).
        HELD = "held", _("Held after a restore")

    centre = models.ForeignKey(
        Centre,
        on_delete=models.CASCADE,
        related_name="outbound_messages",
        verbose_name=_("centre"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    # A key of selvhjelp.messaging.MESSAGE_TYPES: which text this is.
    message_type = models.CharField(_("message type"), max_length=80)
    context = models.JSONField(_("template values"), default=dict, blank=True)
    # What the message is about (a meeting, a group, a membership...).
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    about = GenericForeignKey("content_type", "object_id")
    # The person it went to (an intake, a facilitator or a user), whatever
    # their address is now: retention, erasure and exports find a person's
    # messages by it. Empty only for rows written before it was kept.
    person_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    person_id = models.PositiveBigIntegerField(null=True, blank=True)
    person = GenericForeignKey("person_type", "person_id")
    # The language the text is written in: the person's (Intake.language)
    # when the message was queued; empty means bokmål.
    language = models.CharField(_("language"), max_length=10, blank=True)
    dedup_key = models.CharField(_("de-duplication key"), max_length=200, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    due_at = models.DateTimeField(_("due"), db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        indexes = [
            models.Index(fields=["status", "due_at"], name="outbox_status_due"),
            models.Index(fields=["content_type", "object_id"], name="outbox_about"),
            models.Index(fields=["person_type", "person_id"], name="outbox_person"),
        ]

    def __str__(self):
        return f"{self.message_type} ({self.get_channel_display()})"


class MessageOptOut(models.Model):
    """A recipient stopped one kind of optional message about one thing.

    Written by the stop link in a reminder (messaging.stop_messages). The
    reminder jobs write no message of `message_type` about the object, and a
    message already waiting is not sent. What `about` is sets the scope: a
    membership for a participant's reminders, an assignment for a
    facilitator's.
    """

    # The centre that sent the messages: its staff see the stop and can undo it.
    centre = models.ForeignKey(
        Centre,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="message_opt_outs",
        verbose_name=_("centre"),
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    about = GenericForeignKey("content_type", "object_id")
    message_type = models.CharField(_("message type"), max_length=80)
    created_at = models.DateTimeField(_("stopped"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("stopped reminder")
        verbose_name_plural = _("stopped reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "message_type"],
                name="unique_message_opt_out",
            )
        ]

    def __str__(self):
        return f"{self.message_type} ({self.content_type_id}:{self.object_id})"


class AccessEntry(models.Model):
    """One look at people's data by a user: who, when, what they did and with whom.

    The access log (selvhjelp.audit.record_access). A page that shows several
    people (a search, a group's page) is one entry naming each of them
    (AccessedPerson). Kept ACCESS_LOG_RETENTION_MONTHS, also after a person
    is erased: their rows then name them only by a pseudonym (a random code
    stored nowhere else). The change history is django-auditlog's; it is
    deleted with the person because it holds the values that changed.
    """

    class Action(models.TextChoices):
        OPENED = "opened", _("Opened the person's page")
        LISTED = "listed", _("Saw the person's name in a list")
        READ_HEALTH = "read_health", _("Read the health information, giving a reason")
        EXPORTED = "exported", _("Exported everything stored")
        ERASURE_REQUESTED = "erasure_asked", _("Asked for the person's data to be erased")
        ERASURE_CANCELLED = "erasure_dropped", _("Withdrew a request to erase")
        ERASED = "erased", _("Erased the person's data")

    class Page(models.TextChoices):
        PERSON = "person", _("the person's page")
        SEARCH = "search", _("search in the interest forms")
        THEME = "theme", _("interest forms filtered by theme")
        GROUP = "group", _("a group's page")
        FORM_GROUP = "form_group", _("forming a group")
        OUTBOX = "outbox", _("the list of outgoing messages")
        EXPORT = "export", _("the export file")
        COMMAND = "command", _("a command on the server")

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    # The user name at the time: the entry still says who if the user is deleted.
    actor_name = models.CharField(_("user name"), max_length=150, blank=True)
    action = models.CharField(_("what"), max_length=20, choices=Action.choices)
    page = models.CharField(_("where"), max_length=20, choices=Page.choices, blank=True)
    # Why a national administrator read health information, or why a person
    # was erased; never the person's name (it is removed on erasure).
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("access")
        verbose_name_plural = _("access log")

    def __str__(self):
        return f"{self.get_action_display()} ({self.actor_name})"


class AccessedPerson(models.Model):
    """A person an AccessEntry names: by the row (while it exists) or by a pseudonym."""

    entry = models.ForeignKey(AccessEntry, on_delete=models.CASCADE, related_name="people")
    person_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    # Empty once the person is erased or anonymised; `pseudonym` then tells
    # the entries of one person apart from another's, and nothing leads back.
    person_id = models.PositiveBigIntegerField(null=True, blank=True)
    person = GenericForeignKey("person_type", "person_id")
    pseudonym = models.CharField(_("pseudonym"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("person accessed")
        verbose_name_plural = _("people accessed")
        indexes = [
            models.Index(fields=["person_type", "person_id"], name="accessed_person"),
            models.Index(fields=["pseudonym"], name="accessed_pseudonym"),
        ]

    def __str__(self):
        return self.pseudonym or f"{self.person_type_id}:{self.person_id}"


class TodayVisit(models.Model):
    """When a staff user opened the start page ("I dag"), for its "since your last visit".

    `since` is the start of the visit before the current one: opening the
    page again within TODAY_VISIT_GAP keeps it, so reloading during the
    morning's work does not empty the "since your last visit" section.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="today_visit",
        verbose_name=_("user"),
    )
    seen_at = models.DateTimeField(_("last opened"))
    since = models.DateTimeField(_("visit before"), null=True, blank=True)

    class Meta:
        verbose_name = _("start page visit")
        verbose_name_plural = _("start page visits")

    def __str__(self):
        return f"{self.user_id} {self.seen_at:%Y-%m-%d %H:%M}"
