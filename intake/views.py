"""The public interest form, its receipt page and the withdrawal link."""

import logging

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from selvhjelp.models import Centre

from . import retention, status
from .consent import CONSENT_VERSION
from .forms import IntakeForm, StatusUpdateForm
from .models import ConsentText, IntakeError, new_reference
from .ratelimit import allow_submission
from .services import submit_intake, update_by_person

logger = logging.getLogger(__name__)

# The session remembers only the reference and the centre of the form just
# sent, so a reload shows the receipt again and the address carries nothing.
RECEIPT_SESSION_KEY = "intake_receipt"
TEMPLATE = "intake/intake_form.html"


# Never cached anywhere: each rendering carries its own submission key.
@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def intake_create(request, centre_slug=None):
    centre = get_object_or_404(Centre.objects.active(), slug=centre_slug) if centre_slug else None
    form = IntakeForm(request.POST if request.method == "POST" else None, centre=centre)
    if form.is_valid():
        key = form.cleaned_data["submission_key"]
        if not allow_submission(request, submission_key=key):
            return render(
                request,
                TEMPLATE,
                {"form": form, "centre": centre, "rate_limited": True},
                status=429,
            )
        if form.is_spam():
            logger.info("An interest form filled in the honeypot and was dropped.")
            return _show_receipt(
                request,
                new_reference(),
                form.cleaned_data["centre"],
                form.cleaned_data["contact_by"],
            )
        try:
            intake = submit_intake(**form.submission())
        except IntakeError as error:
            form.add_error(None, str(error))
        else:
            return _show_receipt(request, intake.reference, intake.centre, intake.contact_by)
    return render(request, TEMPLATE, {"form": form, "centre": centre})


def _show_receipt(request, reference, centre, contact_by):
    # How the person asked to be contacted, so the receipt promises the right
    # channel (a call, an SMS or an email): a choice, not a detail about them.
    request.session[RECEIPT_SESSION_KEY] = {
        "reference": reference,
        "centre": centre.pk,
        "contact_by": str(contact_by),
    }
    return redirect("intake:done")


@never_cache
def intake_done(request):
    receipt = request.session.get(RECEIPT_SESSION_KEY)
    if not isinstance(receipt, dict):
        receipt = {}
    centre = Centre.objects.filter(pk=receipt.get("centre")).first() if receipt else None
    return render(
        request,
        "intake/intake_done.html",
        {
            "reference": receipt.get("reference") if centre else None,
            "centre": centre,
            "contact_by": receipt.get("contact_by"),
        },
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def intake_withdraw(request, token):
    """The withdrawal link in the receipt: GET asks, the button (POST) withdraws.

    Opening the link changes nothing, so a mail program or virus scanner that
    follows links withdraws nothing. The page names only the reference and
    the centre, never what the form said.
    """
    template = "intake/intake_withdraw.html"
    try:
        intake = retention.intake_for_withdrawal(token)
    except retention.WithdrawalLinkError as error:
        return render(request, template, {"invalid": True, "expired": error.expired}, status=404)
    if request.method == "POST" and intake is not None:
        if retention.withdraw_by_person(token=token) is not None:
            messages.success(request, _("Done: your interest is withdrawn."))
        return redirect(request.path)
    return render(request, template, {"intake": intake, "invalid": False})


def consent_text(request, version):
    """The stored words of a consent version, in the page's language (or else bokmål)."""
    texts = {row.language: row for row in ConsentText.objects.filter(version=version[:20])}
    consent = texts.get(translation.get_language()) or texts.get(settings.LANGUAGE_CODE)
    if consent is None:
        raise Http404
    current_url = reverse("intake:consent-text", kwargs={"version": CONSENT_VERSION})
    return render(
        request,
        "intake/consent_text.html",
        {
            "consent": consent,
            "is_current": consent.version == CONSENT_VERSION,
            "current_url": current_url,
        },
    )


@never_cache
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def intake_status(request, token):
    """The person's own page, reached only by the link in their receipt ("Hvor står jeg?").

    Shows the stage, what happens next and the centre's contact details; lets
    the person change how to reach them and when they can meet. Never the
    themes or the free text. A wrong or too old link answers 404.
    """
    intake = status.intake_for_status(token)
    form = StatusUpdateForm(request.POST or None, intake=intake)
    if request.method == "POST" and form.is_valid():
        try:
            changed = update_by_person(intake=intake, changes=form.changes())
        except IntakeError as error:
            form.add_error(None, str(error))
        else:
            if changed:
                messages.success(request, _("Thank you. The centre can see your changes."))
            else:
                messages.info(request, _("You changed nothing, so nothing was saved."))
            return redirect(request.path)
    placement = status.placement_of(intake)
    stage = status.stage_of(intake, placement)
    return render(
        request,
        "intake/intake_status.html",
        {
            "intake": intake,
            "centre": intake.centre,
            "placement": placement,
            "stage": stage,
            "steps": status.steps(stage),
            "form": form,
            "withdraw_path": (
                reverse("intake:withdraw", kwargs={"token": retention.withdrawal_token(intake.pk)})
                if intake.is_open
                else ""
            ),
            "contact_by_date": status.contact_by_date(intake),
        },
        status=400 if form.errors else 200,
    )
