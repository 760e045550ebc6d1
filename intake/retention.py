"""Retention: what happens to a form over time, and removing every trace of a person.

What is kept and for how long (the privacy page shows the same periods and
the same list of what an anonymised person keeps, read from `periods()` and
ANONYMISED_KEEPS, so page and job cannot drift apart):

- A form that is open (or "in a group" without an active membership) and has
  had no activity for INTAKE_IDLE_MONTHS (no status change, correction,
  logged call or note) is shown to staff on the start page and in the
  digest; still without activity INTAKE_IDLE_WARNING_DAYS later, it is
  closed, and then deleted like any closed form.
- A form withdrawn or closed without the person ever joining a group is
  deleted INTAKE_RETENTION_MONTHS after it ended.
- A form the person withdrew with the link in their receipt is deleted
  WITHDRAWAL_DELETE_AFTER_DAYS after the withdrawal (`delete_after`).
- A person who was in a group is anonymised MEMBERSHIP_RETENTION_MONTHS after
  the day they left their last group, once their form is no longer open:
  only ANONYMISED_KEEPS stays (the groups keep their numbers), every other
  field of their rows becomes the same value for everyone.

Deleting or anonymising a person also removes every trace naming them
elsewhere, found by foreign key or generic relation, never by their current
name or address: the change history (django-auditlog, which holds former
names and contact details), the admin's history of their rows, the outbox
rows that went to them or were about them, stopped reminders, a pending
erasure request, and the sessions still showing their receipt; names and
contact details they ever had are also taken out of the admin's history of
groups written before it stopped naming members. The pairs staff marked as
"not in the same group" and the suggested groups they were in go with the
form (deleted with it, or when it is anonymised). The access log stays,
with the person replaced by a pseudonym (selvhjelp.audit.pseudonymise).
Auditlog is switched off meanwhile, or it would log the deletion with the
person's name. Each step takes a fixed number of queries per batch of forms.
"""

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry as AuditEntry
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.admin.models import LogEntry as AdminEntry
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from groups.models import Group, Membership, SuggestedMember, new_member_token
from selvhjelp import audit
from selvhjelp.dates import local_midnight
from selvhjelp.models import MessageOptOut, OutboundMessage

from .models import (
    ContactAttempt,
    ErasureRequest,
    Intake,
    KeepApart,
    StatusChange,
    new_reference,
)

logger = logging.getLogger(__name__)

# What replaces a name or a free-text reason that is removed; like the audit
# log's "[skjult]", stored as data rather than translated on display.
ANONYMISED = audit.REDACTED
BATCH_SIZE = 500
ENDED = [Intake.Status.WITHDRAWN, Intake.Status.CLOSED]
# The session key of the receipt page (intake.views): the reference and centre
# of the form just sent.
RECEIPT_SESSION_KEY = "intake_receipt"


# --- The periods (the privacy page shows these) ------------------------------------


@dataclass(frozen=True)
class Periods:
    intake_months: int
    membership_months: int
    withdrawal_days: int
    idle_months: int
    idle_warning_days: int
    access_log_months: int
    submission_key_hours: int


def periods():
    """The periods in force, from the settings: the job uses them, the privacy page shows them."""
    return Periods(
        intake_months=settings.INTAKE_RETENTION_MONTHS,
        membership_months=settings.MEMBERSHIP_RETENTION_MONTHS,
        withdrawal_days=settings.WITHDRAWAL_DELETE_AFTER_DAYS,
        idle_months=settings.INTAKE_IDLE_MONTHS,
        idle_warning_days=settings.INTAKE_IDLE_WARNING_DAYS,
        access_log_months=settings.ACCESS_LOG_RETENTION_MONTHS,
        submission_key_hours=settings.SUBMISSION_KEY_HOURS,
    )


# --- What an anonymised person keeps (the privacy page lists exactly these) -----------


@dataclass(frozen=True)
class Kept:
    model: type
    field: str
    label: str  # as the privacy page says it, to the person


ANONYMISED_KEEPS = (
    Kept(Intake, "centre", gettext_lazy("the centre you chose;")),
    Kept(Intake, "birth_year", gettext_lazy("the decade you were born in (1980 for 1987);")),
    Kept(Intake, "created_at", gettext_lazy("the month your form came in;")),
    Kept(Intake, "source", gettext_lazy("whether it came by the web form or by phone;")),
    Kept(Membership, "group", gettext_lazy("which groups you were in,")),
    Kept(Membership, "joined_on", gettext_lazy("the day you joined each of them")),
    Kept(Membership, "left_on", gettext_lazy("and the day you left.")),
)
# Every other field of the person's rows becomes the same value for everyone.
# (`reference` becomes a new random code; the times of the row become the
# time of anonymising; themes and times of week are emptied.)
ANONYMISED_INTAKE = {
    "name": ANONYMISED,
    "email": "",
    "phone": "",
    "contact_by": Intake.ContactBy.PHONE,
    "confirmed_adult": False,
    "gender": "",
    "about": "",
    "format": Intake.Format.EITHER,
    "kind": Intake.Kind.ANY,
    "consent_version": "",
    "consent_language": "",
    "consent_given_at": None,
    "language": "nb",
    "submission_key": None,
    "status": Intake.Status.CLOSED,
    "delete_after": None,
    "idle_notice_at": None,
    "consent_taken_by": None,
    "merged_into": None,
}
ANONYMISED_INTAKE_NEW = (
    "reference",
    "withdrawal_key",
    "status_changed_at",
    "updated_at",
    "anonymised_at",
)
ANONYMISED_MEMBERSHIP = {
    "seat": 1,
    "first_attended_on": None,
    "confidentiality_agreed_at": None,
    "left_reason": ANONYMISED,
    "added_by": None,
    "left_by_member": False,
}
# A new personal link key: the old one is in the member's messages.
ANONYMISED_MEMBERSHIP_NEW = ("link_token",)


# --- Who is due -----------------------------------------------------------------


def _may_go_idle():
    """Forms that should see activity: open, or "in a group" without an active membership."""
    active = Membership.objects.filter(intake=OuterRef("pk"), left_on__isnull=True)
    last_note = ContactAttempt.objects.filter(intake=OuterRef("pk")).order_by("-at").values("at")
    return (
        Intake.objects.filter(
            status__in=[*Intake.OPEN_STATUSES, Intake.Status.PLACED], anonymised_at__isnull=True
        )
        .exclude(Exists(active))
        .annotate(
            # Any change to the form saves updated_at; a logged call or note does not.
            last_activity=Greatest("updated_at", Coalesce(Subquery(last_note[:1]), "updated_at"))
        )
    )


def intakes_gone_idle(now):
    """Forms with no activity for INTAKE_IDLE_MONTHS that staff have not been shown yet."""
    cutoff = now - relativedelta(months=settings.INTAKE_IDLE_MONTHS)
    return (
        _may_go_idle()
        .filter(last_activity__lte=cutoff)
        .filter(Q(idle_notice_at__isnull=True) | Q(idle_notice_at__lt=F("last_activity")))
    )


def intakes_noticed_idle():
    """Forms shown to staff as idle and still without activity since: they will be closed."""
    return _may_go_idle().filter(
        idle_notice_at__isnull=False, idle_notice_at__gte=F("last_activity")
    )


def closes_on(intake):
    """The day the nightly job closes an idle form (its `idle_notice_at` set)."""
    noticed_on = timezone.localdate(intake.idle_notice_at)
    return noticed_on + timedelta(days=settings.INTAKE_IDLE_WARNING_DAYS)


def intakes_to_close(now):
    """Idle forms whose warning period is over without activity (counted in Oslo dates)."""
    last_day = timezone.localdate(now) - timedelta(days=settings.INTAKE_IDLE_WARNING_DAYS)
    return intakes_noticed_idle().filter(
        idle_notice_at__lt=local_midnight(last_day + timedelta(days=1))
    )


def intakes_to_delete(now):
    """Forms to delete at `now`: ended without a group past their period, or withdrawn by link."""
    cutoff = now - relativedelta(months=settings.INTAKE_RETENTION_MONTHS)
    return Intake.objects.filter(
        Q(status__in=ENDED, status_changed_at__lte=cutoff) | Q(delete_after__lte=now),
        ~Exists(Membership.objects.filter(intake=OuterRef("pk"))),
    )


def intakes_to_anonymise(now):
    """People who were in a group, due to be anonymised at `now`.

    The day they left their last group is more than MEMBERSHIP_RETENTION_MONTHS
    ago (counted in Oslo dates: left on 1 March, anonymised from 2 March the
    period later), however recently their form was closed, and their form is
    not open (waiting for a new group); or they withdrew with the link in
    their receipt.
    """
    months = relativedelta(months=settings.MEMBERSHIP_RETENTION_MONTHS)
    memberships = Membership.objects.filter(intake=OuterRef("pk"))
    last_left = memberships.order_by("-left_on").values("left_on")[:1]
    return (
        Intake.objects.filter(anonymised_at__isnull=True)
        .filter(Exists(memberships), ~Exists(memberships.filter(left_on__isnull=True)))
        .annotate(last_left_on=Subquery(last_left))
        .filter(
            Q(last_left_on__lt=timezone.localdate(now) - months)
            & ~Q(status__in=Intake.OPEN_STATUSES)
            | Q(delete_after__lte=now)
        )
    )


@dataclass(frozen=True)
class RetentionResult:
    idle: int  # shown to staff as idle tonight
    closed: int  # idle forms closed
    deleted: int
    anonymised: int

    def as_dict(self):
        return {
            "idle": self.idle,
            "closed": self.closed,
            "deleted": self.deleted,
            "anonymised": self.anonymised,
        }


def apply_retention(*, now=None, dry_run=False):
    """Tell staff of idle forms, close, delete and anonymise what is due; returns the counts.

    With `dry_run` nothing changes and the counts say what would happen.
    Works in batches, each in its own transaction, rechecking every form
    under a row lock so one handled meanwhile by staff is left alone. Safe
    to run twice: the second run finds nothing. A form closed tonight is
    deleted on the normal schedule, not tonight.
    """
    now = now or timezone.now()
    steps = [
        (intakes_gone_idle, _notice_idle),
        (intakes_to_close, _close_idle),
        (intakes_to_delete, _delete_batch),
        (intakes_to_anonymise, _anonymise_batch),
    ]
    due = [list(query(now).values_list("pk", flat=True)) for query, _step in steps]
    if dry_run:
        return RetentionResult(*(len(ids) for ids in due))
    counts = []
    references = set()
    for (query, step), ids in zip(steps, due, strict=True):
        done = 0
        for start in range(0, len(ids), BATCH_SIZE):
            with transaction.atomic(), disable_auditlog():
                batch = Intake.objects.lock(ids[start : start + BATCH_SIZE])
                intakes = list(query(now).filter(pk__in=batch))
                done += len(intakes)
                references |= step(intakes, now) or set()
        counts.append(done)
    delete_receipt_sessions(references)
    result = RetentionResult(*counts)
    if any(counts):
        logger.info("Retention: %s", result.as_dict())
    return result


def _notice_idle(intakes, now):
    Intake.objects.filter(pk__in=[intake.pk for intake in intakes]).update(idle_notice_at=now)


def _close_idle(intakes, now):
    if not intakes:
        return
    with translation.override(settings.LANGUAGE_CODE):
        reason = _(
            "Closed by the portal: no activity for %(months)d months, and none in the "
            "%(days)d days after staff were told."
        ) % {"months": settings.INTAKE_IDLE_MONTHS, "days": settings.INTAKE_IDLE_WARNING_DAYS}
    StatusChange.objects.bulk_create(
        StatusChange(
            intake=intake,
            from_status=intake.status,
            to_status=Intake.Status.CLOSED,
            changed_by=None,
            changed_at=now,
            reason=reason,
        )
        for intake in intakes
    )
    Intake.objects.filter(pk__in=[intake.pk for intake in intakes]).update(
        status=Intake.Status.CLOSED, status_changed_at=now, updated_at=now, idle_notice_at=None
    )


def _delete_batch(intakes, now):
    return delete_people(intakes, sessions=False)


def _anonymise_batch(intakes, now):
    return anonymise_people(intakes, now, sessions=False)


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


# The fields of an intake's change history that hold what names or reaches a person.
NAMING_FIELDS = ("name", "email", "phone")


def known_values(intakes):
    """Every name, contact detail and reference the people of `intakes` have had.

    The current ones, and the former ones from the change history (staff
    corrected a name or a number). One query.
    """
    values = set()
    for intake in intakes:
        values |= {intake.name, intake.email, str(intake.phone or ""), intake.reference}
    history = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Intake),
        object_pk__in=[str(intake.pk) for intake in intakes],
    ).values_list("changes", flat=True)
    for changes in history:
        if isinstance(changes, str):
            changes = json.loads(changes or "{}")
        for field in NAMING_FIELDS:
            change = (changes or {}).get(field)
            if isinstance(change, list):
                values.update(str(value) for value in change)
    return {value.strip() for value in values if value and value.strip() not in ("", "None")}


def purge_traces(intakes):
    """Remove the traces naming the people of `intakes` outside their own rows.

    Deletes their change history, the admin's history of their rows, their
    outbox rows, stopped reminders and erasure request; replaces them in the
    access log by a pseudonym; and takes every name and contact detail they
    ever had out of the admin's history of groups. Returns their references,
    for `delete_receipt_sessions`.
    """
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
    values = known_values(intakes)
    AuditEntry.objects.filter(_about(related, field="object_pk")).delete()
    AdminEntry.objects.filter(_about(related, field="object_id")).delete()
    person_messages(intakes).delete()
    MessageOptOut.objects.filter(
        _about({Intake: related[Intake], Membership: related[Membership]}, field="object_id")
    ).delete()
    ErasureRequest.objects.filter(intake__in=intake_ids).delete()
    # A reason staff wrote on one of the person's own entries may use a part of a name.
    parts = {part for value in values for part in value.split() if len(part) >= 3}
    audit.pseudonymise(Intake, intake_ids, redact=values | parts)
    _redact_group_history(values)
    return {intake.reference for intake in intakes}


def _redact_group_history(values):
    """Take names out of the admin's history of groups written before it stopped naming members.

    The group page's members inline once wrote each member's name into the
    group's change messages; since then it writes a membership number
    (groups.admin.GroupAdmin.construct_change_message).
    """
    spellings = set()
    for value in values:
        if len(value) >= 3:
            # The admin stores its change messages as JSON (non-ASCII escaped).
            spellings |= {value, json.dumps(value)[1:-1]}
    if not spellings:
        return
    condition = Q(pk__in=[])
    for spelling in spellings:
        condition |= Q(change_message__icontains=spelling) | Q(object_repr__icontains=spelling)
    entries = list(
        AdminEntry.objects.filter(content_type=ContentType.objects.get_for_model(Group)).filter(
            condition
        )
    )
    for entry in entries:
        for spelling in sorted(spellings, key=len, reverse=True):
            entry.change_message = audit.replace_ignoring_case(
                entry.change_message, spelling, ANONYMISED
            )
            entry.object_repr = audit.replace_ignoring_case(entry.object_repr, spelling, ANONYMISED)
    AdminEntry.objects.bulk_update(entries, ["change_message", "object_repr"])


def delete_receipt_sessions(references):
    """Delete the sessions that still hold the receipt of one of `references`.

    The receipt page keeps the reference and centre of the form just sent in
    the session. Sessions are stored encoded, so each is read; the nightly
    clear_expired_sessions keeps their number to those of the last weeks.
    Returns how many were deleted.
    """
    engine = settings.SESSION_ENGINE
    if not references or not engine.endswith((".db", ".cached_db")):
        return 0
    from django.contrib.sessions.models import Session

    store_class = import_module(engine).SessionStore
    doomed = []
    for key, data in Session.objects.values_list("session_key", "session_data").iterator(
        chunk_size=2000
    ):
        receipt = store_class().decode(data).get(RECEIPT_SESSION_KEY)
        if isinstance(receipt, dict) and receipt.get("reference") in references:
            doomed.append(key)
    for key in doomed:
        # Through the store, so a cached session goes from the cache as well.
        store_class(session_key=key).delete()
    return len(doomed)


def delete_people(intakes, *, sessions=True):
    """Delete `intakes` (locked, with no memberships) and every trace; returns their references."""
    if not intakes:
        return set()
    references = purge_traces(intakes)
    Intake.objects.filter(pk__in=[intake.pk for intake in intakes]).delete()
    if sessions:
        delete_receipt_sessions(references)
    return references


def anonymise_people(intakes, now, *, sessions=True):
    """Keep of the people of `intakes` (locked) only ANONYMISED_KEEPS; returns their references."""
    if not intakes:
        return set()
    references = purge_traces(intakes)
    ids = [intake.pk for intake in intakes]
    ContactAttempt.objects.filter(intake__in=ids).delete()
    StatusChange.objects.filter(intake__in=ids).delete()
    Intake.themes.through.objects.filter(intake_id__in=ids).delete()
    Intake.availability.through.objects.filter(intake_id__in=ids).delete()
    # Who must not meet whom, and which suggested groups they were in, name
    # them next to others: they go as they would with the form.
    KeepApart.objects.filter(Q(intake__in=ids) | Q(other__in=ids)).delete()
    SuggestedMember.objects.filter(intake__in=ids).delete()
    Membership.objects.filter(intake__in=ids).update(**ANONYMISED_MEMBERSHIP)
    memberships = list(Membership.objects.filter(intake__in=ids).only("pk"))
    for membership in memberships:
        membership.link_token = new_member_token()
    Membership.objects.bulk_update(memberships, ANONYMISED_MEMBERSHIP_NEW)
    for intake, reference in zip(intakes, _fresh_references(len(intakes)), strict=True):
        for field, value in ANONYMISED_INTAKE.items():
            setattr(intake, field, value)
        # A new reference: the old one is in the person's own receipt.
        intake.reference = reference
        intake.withdrawal_key = uuid.uuid4()
        intake.birth_year -= intake.birth_year % 10
        month = timezone.localtime(intake.created_at)
        intake.created_at = month.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        intake.status_changed_at = intake.updated_at = intake.anonymised_at = now
    Intake.objects.bulk_update(
        intakes,
        [*ANONYMISED_INTAKE, *ANONYMISED_INTAKE_NEW, "birth_year", "created_at"],
    )
    if sessions:
        delete_receipt_sessions(references)
    return references


def _fresh_references(count):
    references = set()
    while len(references) < count:
        wanted = {new_reference() for _ in range(count - len(references))}
        taken = set(Intake.objects.filter(reference__in=wanted).values_list("reference", flat=True))
        references |= wanted - taken
    return list(references)[:count]


# --- The withdrawal link in the receipt -------------------------------------------

WITHDRAWAL_SALT = "intake.withdraw"


class WithdrawalLinkError(Exception):
    """A withdrawal link that cannot be used; `expired` tells the two kinds apart."""

    def __init__(self, *, expired=False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def withdrawal_token(intake_id):
    """A signed, dated token naming the form's random withdrawal key (never its id)."""
    key = Intake.objects.values_list("withdrawal_key", flat=True).get(pk=intake_id)
    return signing.TimestampSigner(salt=WITHDRAWAL_SALT).sign(key.hex)


def withdrawal_url(intake_id):
    token = withdrawal_token(intake_id)
    return settings.SITE_URL + reverse("intake:withdraw", kwargs={"token": token})


def withdrawal_context(message):
    """Send-time values of the receipt: the personal withdrawal link (never in the outbox)."""
    if message.content_type_id != ContentType.objects.get_for_model(Intake).pk:
        return {}
    try:
        return {"withdraw_url": withdrawal_url(message.object_id)}
    except Intake.DoesNotExist:  # deleted before its receipt went out
        return {}


def read_withdrawal_token(token):
    """The id of the form a withdrawal link names (None when it is no longer stored).

    WithdrawalLinkError if the link is not ours or too old. Links sent before
    the random key named the form's id; they keep working until they expire
    (WITHDRAWAL_LINK_MAX_AGE_DAYS), as they are signed all the same.
    """
    signer = signing.TimestampSigner(salt=WITHDRAWAL_SALT)
    max_age = timedelta(days=settings.WITHDRAWAL_LINK_MAX_AGE_DAYS)
    try:
        value = signer.unsign(token, max_age=max_age)
    except signing.SignatureExpired:
        raise WithdrawalLinkError(expired=True) from None
    except signing.BadSignature:
        raise WithdrawalLinkError from None
    if value.isdigit():
        return int(value)
    try:
        key = uuid.UUID(hex=value)
    except ValueError:
        raise WithdrawalLinkError from None
    return Intake.objects.filter(withdrawal_key=key).values_list("pk", flat=True).first()


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
    # A browser that still shows the receipt would show it after the form is gone.
    delete_receipt_sessions({intake.reference})
    logger.info("Intake %s withdrawn by the person with their link", intake.pk)
    return intake
