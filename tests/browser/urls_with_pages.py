"""The portal's URLs plus the pages a browser test cannot reach by walking:
the error pages (from views that fail) and the login lock-out page."""

from django.conf.urls.i18n import i18n_patterns
from django.core.exceptions import BadRequest, PermissionDenied
from django.urls import path

from selvhjelp.login_security import lockout_response
from selvhjelp.urls import urlpatterns as portal


def fail(request):
    raise RuntimeError("a bug")


def refuse(request):
    raise PermissionDenied


def reject(request):
    raise BadRequest


def locked_out(request):
    return lockout_response(request)


# The error pages in each language, as the public pages: "/en/feil/500/".
urlpatterns = i18n_patterns(
    path("feil/500/", fail),
    path("feil/403/", refuse),
    path("feil/400/", reject),
    prefix_default_language=False,
) + [
    path("igangsetter/sperret/", locked_out),
    *portal,  # not include(): the portal's own i18n_patterns must stay at the top
]
