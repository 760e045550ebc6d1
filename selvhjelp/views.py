from django.conf import settings
from django.contrib import messages as django_messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django.views.generic import TemplateView

from . import health, messaging
from .models import Centre
from .pagecache import public_page

home = public_page(TemplateView.as_view(template_name="pages/home.html"))
about = public_page(TemplateView.as_view(template_name="pages/about.html"))
questions = public_page(TemplateView.as_view(template_name="pages/questions.html"))
accessibility = public_page(TemplateView.as_view(template_name="pages/accessibility.html"))


@require_http_methods(["GET", "HEAD"])
def choose_language(request, code):
    """A link of the language switch on a page outside the language-prefixed ones.

    Remembers the language in the language cookie and goes back to `neste`
    (a path on this site). A link, not a form: no CSRF cookie is needed; all
    it changes is the language this browser is shown.
    """
    back = request.GET.get("neste", "/")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "/"
    response = redirect(back)
    if code in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
        )
    return response


@public_page
def privacy(request):
    """The privacy page: the periods the nightly jobs use and what an anonymised person keeps.

    Both come from intake.retention (`periods()`, ANONYMISED_KEEPS), the same
    values the jobs act on, so the page cannot promise other than they do.
    """
    from intake import consent, retention

    context = {
        **vars(retention.periods()),
        "kept_after_anonymising": [kept.label for kept in retention.ANONYMISED_KEEPS],
        "consent_version": consent.CONSENT_VERSION,
        # The interest form's rate limit keeps its counters this long.
        "rate_limit_minutes": max(1, settings.INTAKE_RATE_LIMIT_PERIOD // 60),
        "receipt_days": max(1, settings.SESSION_COOKIE_AGE // (24 * 60 * 60)),
    }
    return render(request, "pages/privacy.html", context)


@public_page
def centres(request):
    """The centres that take interest forms, each with a link to the form."""
    return render(request, "pages/centres.html", {"centres": Centre.objects.active()})


@never_cache
def health_check(request):
    """200 when the database and a configured broker answer, else 503.

    Anonymous callers get only the overall status; staff see each component.
    """
    components = {"database": health.database_ok(), "broker": health.broker_ok()}
    healthy = all(ok is not False for ok in components.values())
    body = {"status": "ok" if healthy else "unavailable"}
    if request.user.is_authenticated and request.user.is_staff:
        names = {True: "ok", False: "unavailable", None: "not configured"}
        body.update({name: names[ok] for name, ok in components.items()})
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def stop_messages(request, token):
    """The stop link in a reminder: GET shows what would stop, the button (POST) stops it.

    Opening the link changes nothing, so a mail program or virus scanner that
    follows links stops nothing. The page names only the kind of message,
    never a person, a group or a centre: whoever has the link sees no more.
    """
    template = "pages/messages_stop.html"
    try:
        stop = messaging.read_stop_request(token)
    except messaging.MessageError:
        return render(request, template, {"invalid": True}, status=404)
    if request.method == "POST":
        _stop, created = messaging.stop_messages(token=token)
        if created:
            django_messages.success(request, _("Done: these reminders are stopped."))
        return redirect(request.path)
    return render(request, template, {"stop": stop})
