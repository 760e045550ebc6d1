"""The portal's URLs plus views that fail, to see the error pages as users do."""

from django.core.exceptions import BadRequest, PermissionDenied
from django.urls import include, path


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
    path("", include("selvhjelp.urls")),
]
