"""Retention and data rights: deleting, anonymising, exporting and erasing a person.

What is kept and for how long (the privacy page shows the same periods):

- An interest form withdrawn or closed without the person ever joining a
  group is deleted INTAKE_RETENTION_MONTHS after it ended.
- A form the person withdrew with the link in their receipt is deleted
  WITHDRAWAL_DELETE_AFTER_DAYS after the withdrawal (`delete_after`).
- A person who was in a group is anonymised MEMBERSHIP_RETENTION_MONTHS after
  their last membership ended, once their form is no longer open: the
  memberships stay (for the group's statistics) but nothing names the person.

Deleting or anonymising a form also removes every trace naming the person
elsewhere: the audit log's change and access entries (django-auditlog), the
admin's own history, the outbox rows and stopped reminders. Auditlog is
switched off meanwhile, or it would log the deletion with the person's name.
Each step takes a fixed number of queries per batch of forms.
"""

import json
import logging
from dataclasses import dataclass
from datetime import timedelta

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry as AuditEntry
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.admin.models import LogEntry as AdminEntry
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from groups.models import Membership
from selvhjelp import messaging
from selvhjelp.audit import record_access
from selvhjelp.models import MessageOptOut, OutboundMessage

from .models import ContactAttempt, Intake, IntakeError, StatusChange, new_reference
from .services import ensure_may_handle

logger = logging.getLogger(__name__)

# What replaces a name or a free-text reason that is removed; like the audit
# log's "[skjult]", stored as data rather than translated on display.
ANONYMISED = "[anonymisert]"
# Stands in for the name in the access entry recording an erasure.
ERASED = "[slettet]"
BATCH_SIZE = 500
ENDED = [Intake.Status.WITHDRAWN, Intake.Status.CLOSED]


# --- Who is due ---------------------------------------------------------------


def intakes_to_delete(now):
    """Forms to delete at `now`: ended without a group past their period, or withdrawn by link."""
    cutoff = now - relativedelta(months=settings.INTAKE_RETENTION_MONTHS)
    return Intake.objects.filter(
        Q(status__in=ENDED, status_changed_at__lte=cutoff) | Q(delete_after__lte=now),
        ~Exists(Membership.objects.filter(intake=OuterRef("pk"))),
    )


def intakes_to_anonymise(now):
    """People who were in a group, due to be anonymised at `now`.

    Their last membership ended more than MEMBERSHIP_RETENTION_MONTHS ago
    (counted in Oslo dates: left on 1 March, anonymised from 2 March the
    period later) and their form has not been open (waiting for a new group)
    since then; or they withdrew with the link in their receipt.
    """
    months = relativedelta(months=settings.MEMBERSHIP_RETENTION_MONTHS)
    memberships = Membership.objects.filter(intake=OuterRef("pk"))
    last_left = memberships.order_by("-left_on").values("left_on")[:1]
    return (
        Intake.objects.filter(anonymised_at__isnull=True)
        .filter(Exists(memberships), ~Exists(memberships.filter(left_on__isnull=True)))
        .annotate(last_left_on=Subquery(last_left))
        .filter(
            Q(
                last_left_on__lt=timezone.localdate(now) - months,
                status_changed_at__lte=now - months,
            )
            & ~Q(status__in=Intake.OPEN_STATUSES)
            | Q(delete_after__lte=now)
        )
    )


@dataclass(frozen=True)
class RetentionResult:
    deleted: int
    anonymised: int

    def as_dict(self):
        return {"deleted": self.deleted, "anonymised": self.anonymised}


def apply_retention(*, now=None, dry_run=False):
    """Delete and anonymise what is past its retention period; returns the counts.

    With `dry_run` nothing changes and the counts say what would happen.
    Works in batches, each in its own transaction, rechecking every form
    under a row lock so one handled meanwhile by staff is left alone. Safe
    to run twice: the second run finds nothing.
    """
    now = now or timezone.now()
    delete_ids = list(intakes_to_delete(now).values_list("pk", flat=True))
    anonymise_ids = list(intakes_to_anonymise(now).values_list("pk", flat=True))
    if dry_run:
        return RetentionResult(deleted=len(delete_ids), anonymised=len(anonymise_ids))
    deleted = anonymised = 0
    for start in range(0, len(delete_ids), BATCH_SIZE):
        with transaction.atomic(), disable_auditlog():
            batch = delete_ids[start : start + BATCH_SIZE]
            intakes = list(intakes_to_delete(now).filter(pk__in=batch).select_for_update())
            deleted += _delete(intakes)
    for start in range(0, len(anonymise_ids), BATCH_SIZE):
        with transaction.atomic(), disable_auditlog():
            batch = anonymise_ids[start : start + BATCH_SIZE]
            intakes = list(intakes_to_anonymise(now).filter(pk__in=batch).select_for_update())
            anonymised += _anonymise(intakes, now)
    if deleted or anonymised:
        logger.info("Retention: deleted %d forms, anonymised %d people", deleted, anonymised)
    return RetentionResult(deleted=deleted, anonymised=anonymised)


# --- Removing every trace -------------------------------------------------------


def _about(model_ids, *, field):
    """Q for rows whose generic relation (`field`: object_pk/object_id) names any of `model_ids`."""
    condition = Q(pk__in=[])
    for model, ids in model_ids.items():
        if ids:
            condition |= Q(
                content_type=ContentType.objects.get_for_model(model),
                **{f"{field}__in": [str(pk) for pk in ids]},
            )
    return condition


def person_messages(intakes):
    """Outbox rows naming the people of `intakes`: sent to them, or about their form or place.

    Found by `OutboundMessage.person` (the person a message went to, whatever
    their address is now) and by what the message is about, never by
    matching addresses: a group's messages (a moved meeting...) are about the
    group but went to each member, and another form of the same person (they
    applied twice) keeps its own.
    """
    intake_ids = [intake.pk for intake in intakes]
    membership_ids = list(
        Membership.objects.filter(intake__in=intake_ids).values_list("pk", flat=True)
    )
    about = _about({Intake: intake_ids, Membership: membership_ids}, field="object_id")
    to_them = Q(person_type=ContentType.objects.get_for_model(Intake), person_id__in=intake_ids)
    return OutboundMessage.objects.filter(about | to_them)


def _purge_traces(intakes):
    """Delete the log, outbox and stop rows naming the people of `intakes`."""
    intake_ids = [intake.pk for intake in intakes]
    related = {
        Intake: intake_ids,
        Membership: list(
            Membership.objects.filter(intake__in=intake_ids).values_list("pk", flat=True)
        ),
        ContactAttempt: list(
            ContactAttempt.objects.filter(intake__in=intake_ids).values_list("pk", flat=True)
        ),
        StatusChange: list(
            StatusChange.objects.filter(intake__in=intake_ids).values_list("pk", flat=True)
        ),
    }
    AuditEntry.objects.filter(_about(related, field="object_pk")).delete()
    AdminEntry.objects.filter(_about(related, field="object_id")).delete()
    person_messages(intakes).delete()
    MessageOptOut.objects.filter(
        _about({Intake: related[Intake], Membership: related[Membership]}, field="object_id")
    ).delete()
    _redact_admin_history(intakes)


def _redact_admin_history(intakes):
    """Take the names out of the admin's history of other objects (a group's members inline)."""
    names = {intake.name.strip() for intake in intakes if len(intake.name.strip()) >= 3}
    if not names:
        return
    # The admin stores its change messages as JSON (non-ASCII escaped).
    spellings = {name: {name, json.dumps(name)[1:-1]} for name in names}
    condition = Q(pk__in=[])
    for variants in spellings.values():
        for variant in variants:
            condition |= Q(change_message__contains=variant) | Q(object_repr__contains=variant)
    entries = list(AdminEntry.objects.filter(condition))
    for entry in entries:
        for variants in spellings.values():
            for variant in variants:
                entry.change_message = entry.change_message.replace(variant, ANONYMISED)
                entry.object_repr = entry.object_repr.replace(variant, ANONYMISED)
    AdminEntry.objects.bulk_update(entries, ["change_message", "object_repr"])


def _delete(intakes):
    """Delete `intakes` (locked, with no memberships) and their traces; returns the count."""
    if not intakes:
        return 0
    _purge_traces(intakes)
    Intake.objects.filter(pk__in=[intake.pk for intake in intakes]).delete()
    return len(intakes)


def _anonymise(intakes, now):
    """Remove everything naming the people of `intakes` (locked); memberships stay."""
    if not intakes:
        return 0
    _purge_traces(intakes)
    ids = [intake.pk for intake in intakes]
    ContactAttempt.objects.filter(intake__in=ids).delete()
    StatusChange.objects.filter(intake__in=ids).exclude(reason="").update(reason="")
    Membership.objects.filter(intake__in=ids).exclude(left_reason="").update(left_reason=ANONYMISED)
    Intake.themes.through.objects.filter(intake_id__in=ids).delete()
    Intake.availability.through.objects.filter(intake_id__in=ids).delete()
    references = _fresh_references(len(intakes))
    for intake, reference in zip(intakes, references, strict=True):
        # A new reference: the old one is in the person's own receipt.
        intake.reference = reference
        intake.name = ANONYMISED
        intake.email = ""
        intake.phone = ""
        intake.contact_by = Intake.ContactBy.PHONE
        # Only the decade stays, for the age spread in statistics.
        intake.birth_year -= intake.birth_year % 10
        intake.gender = ""
        intake.about = ""
        intake.submission_key = None
        intake.delete_after = None
        intake.anonymised_at = now
        intake.updated_at = now
    Intake.objects.bulk_update(
        intakes,
        [
            "reference",
            "name",
            "email",
            "phone",
            "contact_by",
            "birth_year",
            "gender",
            "about",
            "submission_key",
            "delete_after",
            "anonymised_at",
            "updated_at",
        ],
    )
    return len(intakes)


def _fresh_references(count):
    references = set()
    while len(references) < count:
        wanted = {new_reference() for _ in range(count - len(references))}
        taken = set(Intake.objects.filter(reference__in=wanted).values_list("reference", flat=True))
        references |= wanted - taken
    return list(references)[:count]


# --- Staff: export and erasure ----------------------------------------------------


def export_person(*, intake, actor):
    """Everything stored about the person of `intake`, as a Norwegian HTML document.

    Recorded as an access by `actor`. Returns (file name, bytes); the file
    is named by the reference, never the name.
    """
    ensure_may_handle(actor, intake)
    intake = (
        Intake.objects.select_related("centre")
        .prefetch_related("themes", "availability")
        .get(pk=intake.pk)
    )
    messages = list(person_messages([intake]).select_related("centre").order_by("created_at"))
    with translation.override("nb"), timezone.override(settings.TIME_ZONE):
        for message in messages:
            message.label = messaging.message_type_label(message.message_type)
            try:
                message.text = messaging.render_message(message, preview=True)
            except Exception:  # an old message whose template changed: show what we have
                message.text = None
        content = render_to_string(
            "intake/person_export.html",
            {
                "intake": intake,
                "status_changes": intake.status_changes.select_related("changed_by"),
                "contact_attempts": intake.contact_attempts.select_related("by").order_by("at"),
                "memberships": intake.memberships.select_related("group", "group__centre"),
                "messages": messages,
                "log": _log_of(intake),
                "exported_at": timezone.now(),
            },
        )
    record_access(intake)
    return f"selvhjelp-{intake.reference}.html", content.encode("utf-8")


# What the export calls each kind of audit entry about the person's form.
LOG_ACTIONS = {
    AuditEntry.Action.CREATE: gettext_lazy("The form was received"),
    AuditEntry.Action.UPDATE: gettext_lazy("Changed"),
    AuditEntry.Action.DELETE: gettext_lazy("Deleted"),
    AuditEntry.Action.ACCESS: gettext_lazy("Opened or exported"),
}


def _log_of(intake):
    """Who opened or changed the person's form, and when (the audit log, oldest first)."""
    entries = (
        AuditEntry.objects.get_for_object(intake).select_related("actor").order_by("timestamp")
    )
    return [
        {
            "at": entry.timestamp,
            "what": LOG_ACTIONS.get(entry.action, entry.get_action_display()),
            "by": entry.actor,
        }
        for entry in entries
    ]


@dataclass(frozen=True)
class Erasure:
    reference: str
    anonymised: bool  # False: deleted


@transaction.atomic
def erase_person(*, intake, actor):
    """Delete (or, after a group, anonymise) everything naming the person of `intake`.

    A person who was in a group is anonymised rather than deleted, so the
    group's statistics stay whole. Refused while they are in an active group:
    staff end the membership first. What remains is one access entry by
    `actor` naming only the old reference, so the centre can say when and
    by whom the person was erased if they ask.
    """
    locked = Intake.objects.select_for_update().filter(pk=intake.pk).first()
    if locked is None:
        raise IntakeError(_("This interest form no longer exists."))
    ensure_may_handle(actor, locked)
    memberships = Membership.objects.filter(intake=locked)
    if memberships.filter(left_on__isnull=True).exists():
        raise IntakeError(
            _(
                "The person is in a group now. End their membership of the group first, "
                "then erase their data."
            )
        )
    anonymised = memberships.exists()
    erased = Erasure(reference=locked.reference, anonymised=anonymised)
    stand_in = Intake(pk=locked.pk, centre_id=locked.centre_id, reference=erased.reference)
    with disable_auditlog():
        if anonymised:
            _anonymise([locked], timezone.now())
        else:
            _delete([locked])
    stand_in.name = ERASED
    record_access(stand_in)
    logger.info("Intake %s erased by user %s", stand_in.pk, actor.pk)
    return erased


# --- The withdrawal link in the receipt -------------------------------------------

WITHDRAWAL_SALT = "intake.withdraw"


class WithdrawalLinkError(Exception):
    """A withdrawal link that cannot be used; `expired` tells the two kinds apart."""

    def __init__(self, *, expired=False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def withdrawal_token(intake_id):
    """A signed, dated token naming only the form's id."""
    return signing.TimestampSigner(salt=WITHDRAWAL_SALT).sign(str(intake_id))


def withdrawal_url(intake_id):
    token = withdrawal_token(intake_id)
    return settings.SITE_URL + reverse("intake:withdraw", kwargs={"token": token})


def withdrawal_context(message):
    """Send-time values of the receipt: the personal withdrawal link (never in the outbox)."""
    if message.content_type_id != ContentType.objects.get_for_model(Intake).pk:
        return {}
    return {"withdraw_url": withdrawal_url(message.object_id)}


def read_withdrawal_token(token):
    """The id a withdrawal link names; WithdrawalLinkError if it is not ours or too old."""
    signer = signing.TimestampSigner(salt=WITHDRAWAL_SALT)
    max_age = timedelta(days=settings.WITHDRAWAL_LINK_MAX_AGE_DAYS)
    try:
        value = signer.unsign(token, max_age=max_age)
    except signing.SignatureExpired:
        raise WithdrawalLinkError(expired=True) from None
    except signing.BadSignature:
        raise WithdrawalLinkError from None
    if not value.isdigit():
        raise WithdrawalLinkError
    return int(value)


def intake_for_withdrawal(token):
    """The form a withdrawal link names (None when it is no longer stored)."""
    return (
        Intake.objects.select_related("centre")
        .filter(pk=read_withdrawal_token(token), anonymised_at__isnull=True)
        .first()
    )


@transaction.atomic
def withdraw_by_person(*, token):
    """The person withdraws their interest with their link: the form closes and will be deleted.

    Only an open form (not yet in a group) can be withdrawn this way; a
    second use changes nothing. Returns the intake, or None when nothing was
    withdrawn.
    """
    intake_id = read_withdrawal_token(token)
    intake = Intake.objects.select_for_update().filter(pk=intake_id).first()
    if intake is None or not intake.is_open:
        return None
    with translation.override("nb"):
        reason = _("Withdrawn by the person themselves, with the link in their receipt.")
    intake.withdraw(by=None, reason=reason)
    intake.delete_after = timezone.now() + timedelta(days=settings.WITHDRAWAL_DELETE_AFTER_DAYS)
    intake.save(update_fields=["delete_after", "updated_at"])
    logger.info("Intake %s withdrawn by the person with their link", intake.pk)
    return intake
