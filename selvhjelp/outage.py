"""While the database is unreachable: answer 503, keep what a person typed.

`DatabaseOutageMiddleware` turns a view's lost database into a 503 with
`Retry-After`; `server_error` (handler500) does the same for an error raised
outside a view (a staff session read in middleware). Any other error stays
an ordinary 500.

The public interest form answers with itself: the person's answers filled
in again (nothing is saved, nothing validated), the crisis notice, and a
note to press "Send" again in a few minutes. The same submission key goes
back in the form, so one press sends it once the database is back. Its
choices (centres, themes, times of the week) come from a copy kept in the
cache, and in each web process, whenever the form was shown while the
database answered (`remember_form_choices`).

Everything else (staff, facilitator and other public pages) gets a plain
503 page. /helse/ answers 503 on its own (selvhjelp.health).
"""

import contextlib
import logging
import sys
import time
import uuid

from django import forms
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import defaults

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 120
INTAKE_FORM_VIEWS = {"intake:create", "intake:create-for-centre"}
# How long a copy of the form's choices is used before it is made again.
CHOICES_REFRESH_SECONDS = 10 * 60
CHOICES_CACHE_SECONDS = 7 * 24 * 60 * 60
CACHE_KEY = "outage:intake-form-choices:{language}"
_remembered = {}  # language -> (time made, choices): this process's own copy


def is_database_outage(error):
    """True when `error` means the database cannot be reached (not a deadlock or a timeout).

    A connection that failed or broke (the server stopped mid-query) is an
    error of the client with no SQLSTATE, or the server's "connection
    exception" (08...) or "operator intervention" (57P..: shut down, not yet
    accepting connections). A deadlock, a lock or statement timeout has its
    own SQLSTATE and stays an ordinary error.
    """
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    raw = connection.connection
    if raw is None or getattr(raw, "closed", False) or getattr(raw, "broken", False):
        return True
    sqlstate = getattr(error.__cause__, "sqlstate", None)
    return sqlstate is None or sqlstate.startswith(("08", "57P"))


class DatabaseOutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = request.resolver_match
        if (
            match is not None
            and match.view_name in INTAKE_FORM_VIEWS
            and request.method == "GET"
            and response.status_code == 200
        ):
            remember_form_choices()
        return response

    def process_exception(self, request, exception):
        if is_database_outage(exception):
            return outage_response(request)
        return None


def server_error(request, *args, **kwargs):
    """handler500: a lost database anywhere in the request is a 503, the rest a 500."""
    if is_database_outage(sys.exc_info()[1]):
        return outage_response(request)
    return defaults.server_error(request, *args, **kwargs)


def outage_response(request):
    match = request.resolver_match
    view = match.view_name if match else "-"
    # The view's name, not the path: paths can carry tokens.
    logger.warning("The database is unreachable: %s %s answered 503", request.method, view)
    response = None
    if view in INTAKE_FORM_VIEWS:
        response = _intake_form(request)
    if response is None:
        try:
            response = HttpResponse(render_to_string("503.html", {"request": request}), status=503)
        except Exception:  # the page itself must not fail
            logger.exception("The 503 page could not be shown")
            response = HttpResponse(
                _("The service is unavailable. Please try again in a few minutes."),
                status=503,
                content_type="text/plain; charset=utf-8",
            )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


# --- The interest form, from the cache ---------------------------------------------


def remember_form_choices():
    """Keep a copy of the form's choices, made at most every CHOICES_REFRESH_SECONDS."""
    language = translation.get_language()
    made, _choices = _remembered.get(language, (0, None))
    if time.monotonic() - made < CHOICES_REFRESH_SECONDS:
        return
    from intake.forms import IntakeForm

    form = IntakeForm()
    choices = {
        name: [(str(value), str(label)) for value, label in form.fields[name].choices]
        for name in ("centre", "themes", "availability")
    }
    choices["grid"] = [
        (str(day), [cell and {**cell, "label": str(cell["label"])} for cell in cells])
        for day, cells in form.availability_grid()
    ]
    _remembered[language] = (time.monotonic(), choices)
    # Redis down too: this process's own copy still serves.
    with contextlib.suppress(Exception):
        cache.set(CACHE_KEY.format(language=language), choices, CHOICES_CACHE_SECONDS)


def remembered_form_choices():
    language = translation.get_language()
    if language in _remembered:
        return _remembered[language][1]
    try:
        return cache.get(CACHE_KEY.format(language=language))
    except Exception:
        return None


class _Choices(list):
    """Stands in for a queryset the form template asks whether it `exists`."""

    def all(self):
        return self

    def exists(self):
        return bool(self)


def outage_form(posted, choices):
    """An unbound interest form holding what was posted, with choices from the copy.

    Unbound, so that nothing validates (that would ask the database); the
    posted values are its initial values, the submission key included.
    """
    from intake.forms import IntakeForm

    class OutageIntakeForm(IntakeForm):
        def availability_grid(self):
            ticked = {str(value) for value in self.initial.get("availability", [])}

            def cell_now(cell):
                return cell and {**cell, "checked": str(cell["value"]) in ticked}

            return [(day, [cell_now(cell) for cell in cells]) for day, cells in choices["grid"]]

    initial = {}
    for name, field in IntakeForm.base_fields.items():
        values = posted.getlist(name) if posted else []
        if not values or name == "website":
            continue
        multiple = getattr(field.widget, "allow_multiple_selected", False)
        initial[name] = values if multiple else values[0]
    key = initial.get("submission_key", "")
    try:
        uuid.UUID(str(key))
    except ValueError:
        initial["submission_key"] = str(uuid.uuid4())
    form = OutageIntakeForm(initial=initial)
    for name in ("centre", "themes", "availability"):
        field = form.fields[name]
        if not isinstance(field, forms.ModelChoiceField):
            # Themes and times: the field reads the cached copy itself (intake.choices).
            continue
        field.queryset = _Choices(choices[name])
        field.choices = choices[name]
    return form


def _intake_form(request):
    choices = remembered_form_choices()
    if not choices:
        return None
    try:
        form = outage_form(request.POST if request.method == "POST" else None, choices)
        # No context processors: they would read the session from the database.
        html = render_to_string(
            "intake/intake_form.html",
            {"form": form, "outage": True, "request": request, "csrf_token": get_token(request)},
        )
    except Exception:
        logger.exception("The interest form could not be shown during the outage")
        return None
    return HttpResponse(html, status=503)
