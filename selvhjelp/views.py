from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from . import health

home = TemplateView.as_view(template_name="pages/home.html")
privacy = TemplateView.as_view(template_name="pages/privacy.html")
accessibility = TemplateView.as_view(template_name="pages/accessibility.html")


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
