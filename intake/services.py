"""Workflows around interest forms."""

from datetime import timedelta

from auditlog.context import disable_auditlog
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from selvhjelp import audit, outbox_keys
from selvhjelp.messaging import queue_message
from selvhjelp.models import Centre, OutboundMessage

from .consent import CONSENT_VERSION, form_language
from .models import ContactAttempt, Intake, IntakeError, KeepApart, StatusChange, Theme, is_adult


def submit_intake(
    *,
    centre,
    name,
    birth_year,
    confirmed_adult,
    applying_for_self,
    consent_given,
    email="",
    phone="",
    contact_by=Intake.ContactBy.PHONE,
    gender="",
    themes=(),
    about="",
    format=Intake.Format.EITHER,
    kind=Intake.Kind.ANY,
    availability=(),
    submission_key=None,
    source=Intake.Source.WEB,
    consent_taken_by=None,
):
    """Save an interest form and write its confirmation to the outbox, atomically.

    A repeated `submission_key` (double click, retried request) returns the
    intake saved the first time instead of a second one. Raises IntakeError
    when a rule of the portal is broken, whatever the form checked before.
    `applying_for_self` is checked, not stored: every form is about the
    person who sends it. Staff registering a person who phoned pass
    `source=Intake.Source.PHONE` and themselves as `consent_taken_by` (the
    person consented on the phone); the person gets the same receipt. The
    consent is stored with the version of its text and the language the
    form was in (intake.consent).

    Six INSERTs whatever was chosen (the form, its themes, its times, its
    status, its one audit entry, its receipt) and one look for an identical
    form, in one transaction; a repeated key costs one more query, after the
    insert fails.
    """
    if first := identical_submission(centre, name, birth_year, email, phone):
        return first
    if not centre.active:
        raise IntakeError(_("This centre does not take new interest forms right now."))
    if not (confirmed_adult and is_adult(birth_year, timezone.localdate())):
        raise IntakeError(_("Self-help groups in this portal are for adults aged 18 or older."))
    if not applying_for_self:
        raise IntakeError(_("You can only send an interest form for yourself."))
    if not consent_given:
        raise IntakeError(_("We need your consent to store the form."))
    if not (email or phone):
        raise IntakeError(
            _("Give an email address or a mobile number so the centre can reach you.")
        )
    values = {
        "centre": centre,
        "name": name,
        "email": email,
        "phone": phone,
        "contact_by": contact_by,
        "birth_year": birth_year,
        "confirmed_adult": confirmed_adult,
        "gender": gender,
        "about": about,
        "format": format,
        "kind": kind,
        "submission_key": submission_key,
        "source": source,
        "consent_taken_by": consent_taken_by,
    }
    try:
        with transaction.atomic():
            return _save_intake(values, themes, availability)
    except IntegrityError:
        # The unique submission key: the same form was saved before (a double
        # click, a retried request, or a twin request that committed first).
        twin = submission_key and Intake.objects.filter(submission_key=submission_key).first()
        if not twin:
            raise
        return twin


def _save_intake(values, themes, availability):
    # The audit entry is written below, once, with the times of week in it:
    # auditlog would write one for the row and another for the times.
    with disable_auditlog():
        intake = Intake.objects.create(
            **values,
            consent_version=CONSENT_VERSION,
            consent_language=form_language(),
            language=form_language(),
            consent_given_at=timezone.now(),
        )
    themes, availability = list(themes), list(availability)
    if themes:
        Through = Intake.themes.through
        Through.objects.bulk_create(Through(intake=intake, theme=theme) for theme in themes)
    if availability:
        Through = Intake.availability.through
        Through.objects.bulk_create(Through(intake=intake, slot=slot) for slot in availability)
    audit.log_created(intake, m2m={"availability": availability})
    StatusChange.objects.create(intake=intake, to_status=Intake.Status.NEW)
    _queue_confirmation(intake)
    return intake


# A form sent again with the same answers this soon is the same form (the
# page reloaded with a new submission key after Back, a second tab...).
IDENTICAL_WITHIN = timedelta(hours=24)


def identical_submission(centre, name, birth_year, email, phone):
    """The first form of the last 24 hours with the same centre, name, birth year and contacts.

    One query. submit_intake returns it instead of saving a second form and
    sending a second receipt. The name compares without case or extra spaces.
    """
    return (
        Intake.objects.filter(
            centre=centre,
            name__iexact=" ".join(str(name).split()),
            birth_year=birth_year,
            email__iexact=email or "",
            phone=phone or "",
            created_at__gte=timezone.now() - IDENTICAL_WITHIN,
            anonymised_at__isnull=True,
        )
        .order_by("created_at", "pk")
        .first()
    )


def message_channel(intake):
    """(channel, address) for messages to the person: the way they asked to be reached.

    Email when they chose email or gave no mobile number; otherwise SMS (a
    person who prefers a phone call gets texts, as calls are for staff). Every
    message to a participant goes by this choice: the receipt, the group's
    messages and the reminders.
    """
    wants_email = intake.contact_by == Intake.ContactBy.EMAIL or not intake.phone
    if wants_email and intake.email:
        return OutboundMessage.Channel.EMAIL, intake.email
    return OutboundMessage.Channel.SMS, intake.phone


def _queue_confirmation(intake):
    """The neutral receipt: reference and centre, never what the form said."""
    channel, recipient = message_channel(intake)
    queue_message(
        centre=intake.centre,
        channel=channel,
        recipient=recipient,
        message_type="intake_confirmation",
        about=intake,
        to=intake,
        dedup_key=outbox_keys.intake_confirmation(intake),
        # A form saved in this transaction: its key cannot be in the outbox yet.
        new=True,
        context={
            "first_name": intake.first_name,
            "reference": intake.reference,
            "centre": intake.centre.name,
            "centre_phone": intake.centre.phone,
            "response_days": intake.centre.usual_response_days,
        },
    )


# --- Staff handling ---------------------------------------------------------

# Ending an intake needs a reason staff can read later.
REASON_REQUIRED = {Intake.Status.WITHDRAWN, Intake.Status.CLOSED}


def ensure_may_handle(actor, intake):
    """Second wall behind the admin's scoping: staff act only on their centres' forms."""
    if actor is None or actor.is_superuser:
        return
    if not Centre.objects.for_user(actor).filter(pk=intake.centre_id).exists():
        raise PermissionDenied


def _lock(intake):
    return Intake.objects.select_for_update().get(pk=intake.pk)


@transaction.atomic
def change_intake_status(*, intake, to, actor, reason=""):
    """Move `intake` to status `to` on behalf of `actor`, keeping the history.

    Locks the intake row so two staff acting at once cannot both move it.
    Withdrawing and closing need a reason. Raises IntakeError for a move
    that makes no sense; `intake` is refreshed with the new status.
    Returns the StatusChange written.
    """
    if to not in Intake.Status.values:
        raise IntakeError(_("Unknown status."))
    reason = (reason or "").strip()
    if to in REASON_REQUIRED and not reason:
        raise IntakeError(_("Give a reason when an interest form is withdrawn or closed."))
    max_length = StatusChange._meta.get_field("reason").max_length
    if len(reason) > max_length:
        raise IntakeError(
            _("The reason can be at most %(max)d characters long.") % {"max": max_length}
        )
    locked = _lock(intake)
    ensure_may_handle(actor, locked)
    change = locked.change_status(to, by=actor, reason=reason)
    intake.status, intake.status_changed_at = locked.status, locked.status_changed_at
    return change


@transaction.atomic
def record_contact_attempt(*, intake, kind, note="", actor):
    """Log a call, a message left or an internal note about `intake` by `actor`.

    Who and when are always the actor and now: a log entry cannot be written
    in someone else's name or backdated.
    """
    if kind not in ContactAttempt.Kind.values:
        raise IntakeError(_("Choose what happened."))
    note = (note or "").strip()
    max_length = ContactAttempt._meta.get_field("note").max_length
    if len(note) > max_length:
        raise IntakeError(
            _("The note can be at most %(max)d characters long.") % {"max": max_length}
        )
    if kind == ContactAttempt.Kind.NOTE and not note:
        raise IntakeError(_("Write the note before saving it."))
    ensure_may_handle(actor, _lock(intake))
    return ContactAttempt.objects.create(
        intake=intake, kind=kind, note=note, by=actor, at=timezone.now()
    )


@transaction.atomic
def log_contact(*, intake, kind, note="", actor, mark_contacted=False):
    """Log a call or note and, when `mark_contacted`, mark a new form contacted: one step.

    Both or neither: a status that cannot change leaves no half-done log.
    Marking is skipped (not refused) when the form is no longer new, as when
    a colleague marked it meanwhile. Returns the ContactAttempt.
    """
    attempt = record_contact_attempt(intake=intake, kind=kind, note=note, actor=actor)
    intake.refresh_from_db(fields=["status", "status_changed_at"])
    if mark_contacted and intake.status == Intake.Status.NEW:
        change_intake_status(intake=intake, to=Intake.Status.CONTACTED, actor=actor)
    return attempt


@transaction.atomic
def merge_intakes(*, keep, duplicate, actor):
    """The same person sent two forms: keep `keep`, close `duplicate` as merged into it.

    Both histories stay: the duplicate keeps its own status history and
    notes and points to the kept form (`merged_into`), and a note on the
    kept form names the duplicate. The duplicate's times of week are added
    to the kept form's. Refused across centres, for a form in a group, and
    for a form already merged. Returns the kept intake.
    """
    if keep.pk == duplicate.pk:
        raise IntakeError(_("Choose two different interest forms to merge."))
    ids = Intake.objects.lock([keep, duplicate])
    forms = {intake.pk: intake for intake in Intake.objects.filter(pk__in=ids)}
    keep, duplicate = forms[keep.pk], forms[duplicate.pk]
    ensure_may_handle(actor, keep)
    ensure_may_handle(actor, duplicate)
    if keep.centre_id != duplicate.centre_id:
        raise IntakeError(_("Only forms at the same centre can be merged."))
    if keep.merged_into_id or duplicate.merged_into_id:
        raise IntakeError(_("One of the forms has been merged already."))
    if duplicate.status == Intake.Status.PLACED:
        raise IntakeError(
            _("%(reference)s is in a group: merge the other form into it instead.")
            % {"reference": duplicate.reference}
        )
    reason = _("Merged into %(reference)s (the same person).") % {"reference": keep.reference}
    if duplicate.is_open:
        duplicate.change_status(Intake.Status.CLOSED, by=actor, reason=reason)
    duplicate.merged_into = keep
    duplicate.save(update_fields=["merged_into", "updated_at"])
    keep.availability.add(*duplicate.availability.all())
    ContactAttempt.objects.create(
        intake=keep,
        kind=ContactAttempt.Kind.NOTE,
        note=_(
            "%(reference)s, sent on %(date)s, was merged into this form; its history is kept there."
        )
        % {"reference": duplicate.reference, "date": duplicate.created_at.date().isoformat()},
        by=actor,
        at=timezone.now(),
    )
    return keep


# Fields staff may correct after talking to the person; everything else is
# either what the person answered (kept as given) or kept by the system.
EDITABLE_FIELDS = ("centre", "name", "email", "phone", "contact_by", "gender", "format", "kind")


def ensure_may_move_centre(intake):
    """Refuse to move a person in an active group: every member belongs to the group's centre."""
    if intake.memberships.filter(left_on__isnull=True).exists():
        raise IntakeError(
            _(
                "%(name)s is in a group at this centre. End the membership in the group "
                "before moving the person to another centre."
            )
            % {"name": intake.name}
        )


@transaction.atomic
def update_intake_details(*, intake, fields, actor):
    """Save staff corrections of the `fields` named (contact details, wishes).

    Only EDITABLE_FIELDS can change here: status changes go through
    change_intake_status so the history is always written.
    """
    fields = [name for name in fields if name in EDITABLE_FIELDS]
    if not (intake.email or intake.phone):
        raise IntakeError(
            _("Give an email address or a mobile number so the centre can reach the person.")
        )
    # Both the stored centre and, when it moves, the new one must be the actor's.
    locked = _lock(intake)
    ensure_may_handle(actor, locked)
    ensure_may_handle(actor, intake)
    if "centre" in fields and locked.centre_id != intake.centre_id:
        ensure_may_move_centre(locked)
    if fields:
        intake.save(update_fields=[*fields, "updated_at"])
    return intake


# --- Themes -----------------------------------------------------------------


def ensure_other_theme_remains(*, theme, active, is_other, deleting=False):
    """Refuse a change that would leave the form without a "something else" theme.

    The list of themes is a help, never a gate (see DOMAIN.md): the form must
    always offer an active theme meaning "something else".
    """
    if not theme.pk:
        return
    stored = Theme.objects.filter(pk=theme.pk, is_other=True, active=True).exists()
    stays = active and is_other and not deleting
    if not stored or stays:
        return
    others = Theme.objects.filter(is_other=True, active=True).exclude(pk=theme.pk)
    if not others.exists():
        raise IntakeError(
            _(
                "The form must always offer “something else”. Make another theme mean "
                "“something else” before hiding or deleting this one."
            )
        )


@transaction.atomic
def save_theme(*, theme):
    """Create or change a theme, keeping an active "something else" theme."""
    list(Theme.objects.select_for_update().filter(is_other=True))
    ensure_other_theme_remains(theme=theme, active=theme.active, is_other=theme.is_other)
    theme.save()
    return theme


def ensure_theme_deletable(theme):
    """Refuse deleting the last "something else" theme or one people have chosen.

    A theme people have chosen stays, so their answers keep their meaning;
    staff hide it from the form instead.
    """
    ensure_other_theme_remains(
        theme=theme, active=theme.active, is_other=theme.is_other, deleting=True
    )
    if theme.intakes.exists():
        raise IntakeError(
            _(
                "People have chosen this theme, so it cannot be deleted. "
                "Untick “shown on the form” to hide it instead."
            )
        )


@transaction.atomic
def delete_theme(*, theme):
    """Delete a theme if ensure_theme_deletable allows it."""
    list(Theme.objects.select_for_update().filter(is_other=True))
    ensure_theme_deletable(theme)
    theme.delete()


# --- The person's own changes -------------------------------------------------

# What a person may change on their status page, and how staff read it in the history.
PERSON_EDITABLE = {
    "phone": gettext_lazy("mobile number"),
    "email": gettext_lazy("email address"),
    "contact_by": gettext_lazy("how to be contacted"),
    "availability": gettext_lazy("times that suit"),
}


@transaction.atomic
def update_by_person(*, intake, changes):
    """Save what the person changed on their status page, and note it for staff.

    `changes` maps names of PERSON_EDITABLE to new values. The note in the
    contact log names what changed, never the old or new values: the audit
    log keeps those for the fields, as for staff corrections. Returns the
    names of the fields that really changed.
    """
    locked = _lock(intake)
    if not locked.is_open and locked.status != Intake.Status.PLACED:
        raise IntakeError(_("This interest form can no longer be changed."))
    changed = []
    for name in ("phone", "email", "contact_by"):
        if name in changes and str(changes[name] or "") != str(getattr(locked, name) or ""):
            setattr(locked, name, changes[name] or "")
            changed.append(name)
    if not (locked.email or locked.phone):
        raise IntakeError(
            _("Give an email address or a mobile number so the centre can reach you.")
        )
    if changed:
        locked.save(update_fields=[*changed, "updated_at"])
    if "availability" in changes:
        wanted = {slot.pk for slot in changes["availability"]}
        if wanted != set(locked.availability.values_list("pk", flat=True)):
            locked.availability.set(wanted)
            changed.append("availability")
    if changed:
        with translation.override("nb"):
            note = _("The person changed on their status page: %(fields)s.") % {
                "fields": ", ".join(str(PERSON_EDITABLE[name]) for name in changed)
            }
        ContactAttempt.objects.create(
            intake=locked, kind=ContactAttempt.Kind.NOTE, note=note, by=None, at=timezone.now()
        )
        for name in ("phone", "email", "contact_by"):
            setattr(intake, name, getattr(locked, name))
    return changed


@transaction.atomic
def keep_apart(*, intake, other, actor):
    """Record that `intake` and `other` must not be in the same group; returns `intake`'s row.

    Staff of the centre only, both people of the same centre. Written in
    both directions in one transaction; recording a pair again changes
    nothing. Groups are not checked here: the suggested groups
    (groups.suggestions) and their acceptance obey it.
    """
    if other is None or other.pk == intake.pk:
        raise IntakeError(_("Choose another person."))
    Intake.objects.lock([intake, other])
    intake, other = Intake.objects.get(pk=intake.pk), Intake.objects.get(pk=other.pk)
    ensure_may_handle(actor, intake)
    ensure_may_handle(actor, other)
    if intake.centre_id != other.centre_id:
        raise IntakeError(_("Both people must belong to the same centre."))
    row, _created = KeepApart.objects.get_or_create(
        intake=intake, other=other, defaults={"created_by": actor}
    )
    KeepApart.objects.get_or_create(intake=other, other=intake, defaults={"created_by": actor})
    return row


@transaction.atomic
def stop_keeping_apart(*, intake, other, actor):
    """Remove the pair `intake`-`other` (both directions); returns how many rows went."""
    Intake.objects.lock([intake, other])
    ensure_may_handle(actor, intake)
    deleted, _rows = KeepApart.objects.filter(
        models.Q(intake=intake, other=other) | models.Q(intake=other, other=intake)
    ).delete()
    return deleted


def kept_apart_pairs(intakes):
    """{(smaller id, larger id)} of the pairs among `intakes` (ids or instances); one query."""
    ids = {intake.pk if isinstance(intake, Intake) else int(intake) for intake in intakes}
    rows = KeepApart.objects.filter(intake__in=ids, other__in=ids).values_list("intake", "other")
    return {(min(a, b), max(a, b)) for a, b in rows}
