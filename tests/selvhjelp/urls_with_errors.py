"""The portal's URLs plus views that fail, to see the error pages as users do."""

from django.core.exceptions import BadRequest, PermissionDenied
from django.urls import path

from selvhjelp.urls import handler500  # noqa: F401 - the portal's 500
from selvhjelp.urls import urlpatterns as portal


def fail(request):
    raise RuntimeError("a bug")


def refuse(request):
    raise PermissionDenied


def reject(request):
    raise BadRequest


urlpatterns = [
    path("feil/500/", fail),
    path("feil/403/", refuse),
    path("feil/400/", reject),
    # Spread, not included: the portal's URLconf uses i18n_patterns.
    *portal,
]
