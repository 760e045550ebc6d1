"""A person's rights, and who may read their form.

- Reading health information: staff of the form's centre read all of it. A
  superuser who is not staff of that centre sees the name, contact details
  and status, and reads the themes and free text only after giving a reason,
  which goes into the access log ("breaking the glass"); the reason opens
  that form for BREAK_GLASS_MINUTES.
- Export: everything stored about the person, as a Norwegian HTML file.
- Erasure: a superuser erases at once; a centre's staff member asks, and
  another staff member of the centre or a superuser confirms within
  ERASURE_REQUEST_DAYS (the one who asked cannot). Both steps are in the
  access log, which survives the erasure under a pseudonym; nobody's access
  entries are removed. `manage.py erase_person` uses the same service.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry as AuditEntry
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from groups.models import Membership
from selvhjelp import messaging
from selvhjelp.audit import Action, Page, accesses_of, has_accessed, record_access
from selvhjelp.models import StaffMembership

from . import consent, retention
from .models import ErasureRequest, Intake, IntakeError
from .services import ensure_may_handle

logger = logging.getLogger(__name__)


# --- Who reads the health information ----------------------------------------------


def works_at(user, centre_id):
    """Whether `user` is staff of the centre (superusers too only through a membership)."""
    if user is None or not user.is_authenticated:
        return False
    return StaffMembership.objects.filter(user=user, centre_id=centre_id).exists()


def may_read_health(user, intake):
    """Whether `user` may now read the themes and free text of `intake`.

    Staff of its centre may; a superuser who is not may for BREAK_GLASS_MINUTES
    after giving a reason (`break_the_glass`); nobody else.
    """
    if works_at(user, intake.centre_id):
        return True
    if not (user is not None and user.is_superuser):
        return False
    since = timezone.now() - timedelta(minutes=settings.BREAK_GLASS_MINUTES)
    return has_accessed(user, intake, Action.READ_HEALTH, since=since)


def needs_reason_to_read(user, intake):
    """A superuser outside the form's centre who has not given a reason (in force) yet."""
    return user is not None and user.is_superuser and not may_read_health(user, intake)


REASON_MIN_LENGTH = 10


@transaction.atomic
def break_the_glass(*, intake, actor, reason):
    """A superuser outside the form's centre reads its health information, for `reason`.

    The reason is kept in the access log, where the person's export shows it.
    Raises IntakeError for a reason too short to tell anyone anything.
    """
    if not actor.is_superuser:
        raise PermissionDenied
    reason = " ".join((reason or "").split())
    if len(reason) < REASON_MIN_LENGTH:
        raise IntakeError(
            _("Say why you need to read it, in at least %(count)d characters.")
            % {"count": REASON_MIN_LENGTH}
        )
    return record_access(
        actor=actor, action=Action.READ_HEALTH, people=[intake], page=Page.PERSON, reason=reason
    )


# --- Export -----------------------------------------------------------------------


def export_person(*, intake, actor):
    """Everything stored about the person of `intake`, as a Norwegian HTML document.

    Every message that went to them, rendered; every change to their form
    with the values before and after (former names and contact details); the
    consent text they agreed to, word for word; and who opened, listed,
    exported or read their form, each as its own action. Recorded as an
    export by `actor`. Returns (file name, bytes); the file is named by the
    reference, never the name.
    """
    ensure_may_handle(actor, intake)
    if not may_read_health(actor, intake):
        raise IntakeError(_("Give a reason to read the form's health information first."))
    intake = (
        Intake.objects.select_related("centre")
        .prefetch_related("themes", "availability")
        .get(pk=intake.pk)
    )
    messages = list(
        retention.person_messages([intake]).select_related("centre").order_by("created_at")
    )
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
                "consent_text": consent.text_agreed_to(intake),
                "status_changes": intake.status_changes.select_related("changed_by"),
                "contact_attempts": intake.contact_attempts.select_related("by").order_by("at"),
                "memberships": intake.memberships.select_related("group", "group__centre"),
                "messages": messages,
                "changes": changes_of(intake),
                "accesses": accesses_of(intake),
                "exported_at": timezone.now(),
            },
        )
    record_access(actor=actor, action=Action.EXPORTED, people=[intake], page=Page.EXPORT)
    return f"selvhjelp-{intake.reference}.html", content.encode("utf-8")


# Fields the system keeps for itself: their changes say nothing to the person.
UNSHOWN_CHANGES = {"id", "updated_at", "status_changed_at", "idle_notice_at", "submission_key"}
CHANGE_ACTIONS = {
    AuditEntry.Action.CREATE: gettext_lazy("The form was received"),
    AuditEntry.Action.UPDATE: gettext_lazy("Changed"),
}


def changes_of(intake):
    """Every change to the form, oldest first: when, by whom, each field's value before and after.

    From the change history (django-auditlog); what the person wrote is
    masked there ("[skjult]"), so it is masked here too.
    """
    entries = (
        AuditEntry.objects.get_for_object(intake)
        .filter(action__in=list(CHANGE_ACTIONS))
        .select_related("actor")
        .order_by("timestamp", "pk")
    )
    rows = []
    for entry in entries:
        fields = []
        if entry.action == AuditEntry.Action.UPDATE:
            for name, change in (entry.changes_dict or {}).items():
                if name in UNSHOWN_CHANGES:
                    continue
                fields.append({"label": _field_label(name), **_before_after(change)})
        rows.append(
            {
                "at": entry.timestamp,
                "what": CHANGE_ACTIONS[entry.action],
                "by": entry.actor,
                "fields": fields,
            }
        )
    return rows


def _field_label(name):
    try:
        return str(Intake._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def _before_after(change):
    if isinstance(change, dict):  # a many-to-many change: what was added or removed
        objects = ", ".join(str(item) for item in change.get("objects", []))
        if change.get("operation") == "delete":
            return {"before": objects, "after": ""}
        return {"before": "", "after": objects}
    before, after = (list(change) + [None, None])[:2]
    return {"before": _shown(before), "after": _shown(after)}


def _shown(value):
    return "" if value in (None, "None") else str(value)


# --- Erasure ----------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    reference: str
    anonymised: bool  # False: deleted
    requested_by: object = None  # the user who asked, when someone else confirmed


@dataclass(frozen=True)
class ErasureOutcome:
    erased: Erasure | None = None  # done
    request: ErasureRequest | None = None  # waiting for a second person


def pending_request(intake, *, now=None):
    """The request to erase `intake` that can still be confirmed, or None."""
    request = ErasureRequest.objects.select_related("requested_by").filter(intake=intake).first()
    if request is None or request.is_expired(now):
        return None
    return request


def may_confirm(user, request):
    """Someone other than the one who asked: a superuser, or staff of the form's centre."""
    if user.pk == request.requested_by_id:
        return False
    return user.is_superuser or works_at(user, request.intake.centre_id)


def _refuse_while_in_group(intake):
    if Membership.objects.filter(intake=intake, left_on__isnull=True).exists():
        raise IntakeError(
            _(
                "The person is in a group now. End their membership of the group first, "
                "then erase their data."
            )
        )


@transaction.atomic
def erase_person(*, intake, actor, reason="", page=Page.PERSON):
    """Erase the person of `intake`, or ask a second person to confirm it: one service for all.

    - A superuser erases at once.
    - Staff of the centre confirm a colleague's pending request, which erases.
    - Otherwise staff ask: the request waits ERASURE_REQUEST_DAYS for another
      staff member of the centre or a superuser. The one who asked cannot
      confirm (IntakeError).

    Erasing deletes the form, or anonymises it (ANONYMISED_KEEPS) when the
    person has been in a group, so the group's numbers stay whole; refused
    while they are in a group. Everything naming them goes
    (retention.purge_traces); the access log keeps who asked, who erased and
    every earlier access under a pseudonym. Returns an ErasureOutcome.
    """
    locked = Intake.objects.select_for_update().filter(pk=intake.pk).first()
    if locked is None:
        raise IntakeError(_("This interest form no longer exists."))
    ensure_may_handle(actor, locked)
    _refuse_while_in_group(locked)
    reason = " ".join((reason or "").split())
    request = ErasureRequest.objects.select_for_update().filter(intake=locked).first()
    if request is not None and request.is_expired():
        request.delete()
        request = None
    if request is not None and request.requested_by_id == actor.pk:
        raise IntakeError(
            _(
                "You asked for this erasure yourself. Another staff member of the centre, "
                "or a national administrator, must confirm it."
            )
        )
    if request is None and not actor.is_superuser:
        request = ErasureRequest.objects.create(intake=locked, requested_by=actor, reason=reason)
        record_access(
            actor=actor,
            action=Action.ERASURE_REQUESTED,
            people=[locked],
            page=page,
            reason=reason,
        )
        return ErasureOutcome(request=request)
    if request is not None and not may_confirm(actor, request):
        raise PermissionDenied
    return ErasureOutcome(erased=_erase(locked, actor, reason, page, request))


def _erase(locked, actor, reason, page, request):
    anonymised = Membership.objects.filter(intake=locked).exists()
    erased = Erasure(
        reference=locked.reference,
        anonymised=anonymised,
        requested_by=request.requested_by if request is not None else None,
    )
    if request is not None and not reason:
        reason = request.reason
    # Written before the traces go, so it gets the person's pseudonym too.
    record_access(actor=actor, action=Action.ERASED, people=[locked], page=page, reason=reason)
    with disable_auditlog():
        if anonymised:
            retention.anonymise_people([locked], timezone.now())
        else:
            retention.delete_people([locked])
    logger.info("A person's data was erased by user %s", actor.pk)
    return erased


@transaction.atomic
def drop_erasure_request(*, intake, actor):
    """The one who asked (or a superuser) withdraws a pending erasure request."""
    ensure_may_handle(actor, intake)
    request = ErasureRequest.objects.select_for_update().filter(intake=intake).first()
    if request is None:
        return None
    if request.requested_by_id != actor.pk and not actor.is_superuser:
        raise IntakeError(
            _("Only the one who asked, or a national administrator, can withdraw it.")
        )
    request.delete()
    record_access(actor=actor, action=Action.ERASURE_CANCELLED, people=[intake], page=Page.PERSON)
    return request
