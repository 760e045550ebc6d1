"""Workflows around interest forms."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from selvhjelp.messaging import queue_message
from selvhjelp.models import OutboundMessage

from .consent import CONSENT_VERSION
from .models import Intake, IntakeError, StatusChange


@transaction.atomic
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
):
    """Save an interest form and write its confirmation to the outbox, atomically.

    A repeated `submission_key` (double click, retried request) returns the
    intake saved the first time instead of a second one. Raises IntakeError
    when a rule of the portal is broken, whatever the form checked before.
    """
    if submission_key:
        existing = Intake.objects.filter(submission_key=submission_key).first()
        if existing:
            return existing
    if not centre.active:
        raise IntakeError(_("This centre does not take new interest forms right now."))
    if not (confirmed_adult and timezone.localdate().year - birth_year >= 18):
        raise IntakeError(_("Self-help groups in this portal are for adults aged 18 or older."))
    if not applying_for_self:
        raise IntakeError(_("You can only send an interest form for yourself."))
    if not consent_given:
        raise IntakeError(_("We need your consent to store the form."))
    if not (email or phone):
        raise IntakeError(
            _("Give an email address or a mobile number so the centre can reach you.")
        )

    intake = Intake.objects.create(
        centre=centre,
        name=name,
        email=email,
        phone=phone,
        contact_by=contact_by,
        birth_year=birth_year,
        confirmed_adult=confirmed_adult,
        gender=gender,
        about=about,
        format=format,
        kind=kind,
        applying_for_self=applying_for_self,
        consent_version=CONSENT_VERSION,
        consent_given_at=timezone.now(),
        submission_key=submission_key,
    )
    intake.themes.set(themes)
    intake.availability.set(availability)
    StatusChange.objects.create(intake=intake, to_status=Intake.Status.NEW)
    _queue_confirmation(intake)
    return intake


def _queue_confirmation(intake):
    """The neutral receipt: reference and centre, never what the form said."""
    wants_email = intake.contact_by == Intake.ContactBy.EMAIL or not intake.phone
    channel, recipient = (
        (OutboundMessage.Channel.EMAIL, intake.email)
        if wants_email and intake.email
        else (OutboundMessage.Channel.SMS, intake.phone)
    )
    queue_message(
        centre=intake.centre,
        channel=channel,
        recipient=recipient,
        template="intake_confirmation",
        about=intake,
        dedup_key=f"intake-confirmation:{intake.pk}",
        context={
            "first_name": intake.first_name,
            "reference": intake.reference,
            "centre": intake.centre.name,
            "centre_phone": intake.centre.phone,
            "response_days": intake.centre.usual_response_days,
        },
    )
