"""The public interest form, its receipt page and the withdrawal link."""

import contextlib
import logging
import uuid

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from selvhjelp import pagecache
from selvhjelp.models import Centre

from . import retention, status
from .consent import CONSENT_VERSION
from .forms import IntakeForm, StatusUpdateForm
from .models import ConsentText, Intake, IntakeError, new_reference
from .ratelimit import check_submission
from .services import submit_intake, update_by_person

logger = logging.getLogger(__name__)

TEMPLATE = "intake/intake_form.html"
# The receipt page shows the reference and centre of the form just sent. They
# are kept in a signed cookie of this browser only (no session, nothing in
# the database): a reload shows the receipt again, another browser with the
# same address sees none, and the address carries nothing.
RECEIPT_COOKIE = "kvittering"
RECEIPT_SALT = "intake.receipt"

# The unbound form is rendered once per language and address (the address
# names the centre) and kept in the cache; each response puts a fresh CSRF
# token and submission key where these stood. Any template works: only the
# two values are replaced.
CSRF_PLACEHOLDER = "csrf-placeholder-5d1c0e8a"
KEY_PLACEHOLDER = uuid.UUID("00000000-5d1c-4e8a-9f00-000000000000")
FORM_KEY_PREFIX = "intake-form"


# Never cached by browsers: each rendering carries its own submission key.
@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def intake_create(request, centre_slug=None):
    if request.method != "POST":
        return _blank_form(request, centre_slug)
    centre = get_object_or_404(Centre.objects.active(), slug=centre_slug) if centre_slug else None
    form = IntakeForm(request.POST, centre=centre)
    if form.is_valid():
        key = form.cleaned_data["submission_key"]
        decision = check_submission(request, submission_key=key)
        if not decision:
            context = {
                "form": form,
                "centre": centre,
                "rate_limited": True,
                "retry_at": decision.retry_at,
            }
            return render(request, TEMPLATE, context, status=429)
        if form.is_spam():
            logger.info("An interest form filled in the honeypot and was dropped.")
            return _show_receipt(
                new_reference(),
                form.cleaned_data["centre"],
                form.cleaned_data["contact_by"],
                spam=True,
            )
        try:
            intake = submit_intake(**form.submission())
        except IntakeError as error:
            form.add_error(None, str(error))
        else:
            return _show_receipt(intake.reference, intake.centre, intake.contact_by)
    return render(request, TEMPLATE, {"form": form, "centre": centre})


def _blank_form(request, centre_slug):
    """The form page, rendered once per language and address and then reused."""
    reusable = pagecache.may_use_cache(request) and settings.PAGE_CACHE_SECONDS > 0
    key = _form_key(request.path, translation.get_language())
    html = pagecache.cache_get(key) if reusable else None
    if html is None:
        centre = None
        if centre_slug:
            centre = get_object_or_404(Centre.objects.active(), slug=centre_slug)
        form = IntakeForm(centre=centre)
        form.fields["submission_key"].initial = KEY_PLACEHOLDER
        # One query for the centres; the template may ask whether there are any.
        len(form.fields["centre"].queryset)
        # The centre (when the address names one) is named in the page's header.
        context = {"form": form, "centre": centre, "csrf_token": CSRF_PLACEHOLDER}
        html = render_to_string(TEMPLATE, context, request=request)
        if reusable:
            pagecache.cache_set(key, html)
    elif centre_slug and not Centre.objects.active().filter(slug=centre_slug).exists():
        raise Http404
    html = html.replace(CSRF_PLACEHOLDER, get_token(request)).replace(
        str(KEY_PLACEHOLDER), str(uuid.uuid4())
    )
    return HttpResponse(html)


def _form_key(path, language):
    return f"{FORM_KEY_PREFIX}:{pagecache.fingerprint()}:{language}:{path}"


def forget_rendered_forms():
    """Drop the rendered forms of every language and centre (they name centres and themes)."""
    paths = set()
    slugs = list(Centre.objects.values_list("slug", flat=True))
    for code, _name in settings.LANGUAGES:
        with translation.override(code), contextlib.suppress(NoReverseMatch):
            paths.add((code, reverse("intake:create")))
            for slug in slugs:
                paths.add((code, reverse("intake:create-for-centre", args=[slug])))
    pagecache.cache_delete_many([_form_key(path, code) for code, path in paths])


def _show_receipt(reference, centre, contact_by, *, spam=False):
    # How the person asked to be contacted, so the receipt promises the right
    # channel (a call, an SMS or an email): a choice, not a detail about them.
    response = redirect("intake:done")
    value = signing.dumps(
        {"r": reference, "c": centre.pk, "b": str(contact_by), "s": spam}, salt=RECEIPT_SALT
    )
    response.set_cookie(
        RECEIPT_COOKIE,
        value,
        max_age=settings.SESSION_COOKIE_AGE,
        path=response["Location"],
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


@never_cache
def intake_done(request):
    """The receipt: the reference and the centre, from this browser's receipt cookie.

    One query. A form erased or anonymised since shows no receipt; a form
    dropped by the honeypot shows its made-up reference as if it were saved.
    """
    try:
        receipt = signing.loads(
            request.COOKIES.get(RECEIPT_COOKIE, ""),
            salt=RECEIPT_SALT,
            max_age=settings.SESSION_COOKIE_AGE,
        )
    except signing.BadSignature:
        receipt = {}
    reference = centre = contact_by = None
    if isinstance(receipt, dict) and receipt.get("s"):
        centre = Centre.objects.filter(pk=receipt.get("c")).first()
        reference = receipt.get("r") if centre else None
        contact_by = receipt.get("b")
    elif isinstance(receipt, dict) and receipt.get("r"):
        intake = (
            Intake.objects.filter(reference=str(receipt["r"])[:7], anonymised_at__isnull=True)
            .select_related("centre")
            .only("reference", "contact_by", "centre")
            .first()
        )
        if intake is not None:
            reference, centre, contact_by = intake.reference, intake.centre, intake.contact_by
    return render(
        request,
        "intake/intake_done.html",
        {"reference": reference, "centre": centre, "contact_by": contact_by},
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
