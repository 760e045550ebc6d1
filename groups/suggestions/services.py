"""Staff decide on suggested groups: accept (hold the people), discard, let go, formed."""

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.models import Intake
from selvhjelp.models import Centre

from .. import rules
from ..models import GroupRuleError, Membership, SuggestedMember, Suggestion
from .proposals import first_meeting_on


def _ensure_staff_of(actor, centre):
    if not Centre.objects.for_user(actor).filter(pk=centre.pk).exists():
        raise PermissionDenied


def _release_stale(ids):
    """Let go of holds on people who are no longer waiting (placed by hand, withdrawn...)."""
    active = Membership.objects.active().filter(intake=OuterRef("intake"))
    SuggestedMember.objects.filter(intake__in=ids, holds=True).filter(
        Exists(active) | ~Exists(Intake.objects.filter(pk=OuterRef("intake"), status="waiting"))
    ).update(holds=False)


@transaction.atomic
def accept_suggestion(*, centre, intakes, weekday, part, format, kind, theme=None, actor):
    """Staff accept a proposed group: its people are held for it; returns the Suggestion.

    Locks the people (in id order, as forming a group does), then checks
    every hard rule again (groups.rules.suggestion_errors) and that nobody
    is held by another accepted suggestion: of two staff accepting
    overlapping proposals at once, the second waits, then gets a
    GroupRuleError and nothing is saved. The group itself is formed on the
    check page (groups.forming), filled in from the suggestion.
    """
    _ensure_staff_of(actor, centre)
    ids = Intake.objects.lock(intakes)
    _release_stale(ids)
    held = list(
        SuggestedMember.objects.filter(intake__in=ids, holds=True)
        .select_related("intake")
        .order_by("intake__name", "intake_id")
    )
    if held:
        raise GroupRuleError(
            _(
                "Someone else has just accepted a suggested group with %(people)s. Nothing "
                "was saved; the suggestions below are made again without them."
            )
            % {"people": ", ".join(member.intake.name_and_reference for member in held)}
        )
    loaded = rules.load_intakes(ids)
    errors = rules.suggestion_errors(
        loaded,
        centre=centre,
        kind=kind,
        theme=theme,
        format=format,
        weekday=weekday,
        part=part,
        start_date=first_meeting_on(weekday),
    )
    if errors:
        raise GroupRuleError(_("The suggestion no longer holds, so nothing was saved:"), *errors)
    suggestion = Suggestion.objects.create(
        centre=centre,
        status=Suggestion.Status.ACCEPTED,
        weekday=weekday,
        part=part,
        format=format,
        kind=kind,
        theme=theme,
        decided_by=actor,
        decided_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            SuggestedMember.objects.bulk_create(
                SuggestedMember(suggestion=suggestion, intake_id=pk, holds=True) for pk in ids
            )
    except IntegrityError as error:  # the database's own guard behind the lock
        raise GroupRuleError(
            _("Someone else has just accepted a suggested group with some of these people.")
        ) from error
    return suggestion


@transaction.atomic
def discard_suggestion(*, centre, intakes, weekday, part, format, kind, theme=None, actor):
    """Staff discard a proposal: it is not proposed again while its people all wait."""
    _ensure_staff_of(actor, centre)
    ids = sorted({intake.pk for intake in intakes})
    if Intake.objects.filter(pk__in=ids).exclude(centre=centre).exists():
        raise PermissionDenied
    suggestion = Suggestion.objects.create(
        centre=centre,
        status=Suggestion.Status.DISCARDED,
        weekday=weekday,
        part=part,
        format=format,
        kind=kind,
        theme=theme,
        decided_by=actor,
        decided_at=timezone.now(),
    )
    SuggestedMember.objects.bulk_create(
        SuggestedMember(suggestion=suggestion, intake_id=pk) for pk in ids
    )
    return suggestion


@transaction.atomic
def release_suggestion(*, suggestion, actor):
    """Staff let an accepted suggestion go: its people are free for other proposals."""
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    _ensure_staff_of(actor, suggestion.centre)
    if suggestion.status != Suggestion.Status.ACCEPTED:
        raise GroupRuleError(_("This suggestion is no longer accepted."))
    suggestion.status = Suggestion.Status.RELEASED
    suggestion.decided_by, suggestion.decided_at = actor, timezone.now()
    suggestion.save(update_fields=["status", "decided_by", "decided_at"])
    suggestion.members.update(holds=False)
    return suggestion


@transaction.atomic
def mark_formed(*, suggestion):
    """The group was formed from the suggestion: it holds nobody any more. Returns the group."""
    members = list(suggestion.members.values_list("intake_id", flat=True))
    membership = (
        Membership.objects.active().filter(intake__in=members).select_related("group").first()
    )
    if membership is None:
        return None
    Suggestion.objects.filter(pk=suggestion.pk).update(
        status=Suggestion.Status.FORMED, group=membership.group
    )
    suggestion.members.update(holds=False)
    return membership.group
