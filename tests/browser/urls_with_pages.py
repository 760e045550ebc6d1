"""The portal's URLs plus the pages a browser test cannot reach by walking:
the error pages (from views that fail) and the login lock-out page."""

from django.urls import include, path

from selvhjelp.login_security import lockout_response
from tests.selvhjelp.urls_with_errors import fail, refuse, reject


def locked_out(request):
    return lockout_response(request)


urlpatterns = [
    path("feil/500/", fail),
    path("feil/403/", refuse),
    path("feil/400/", reject),
    path("igangsetter/sperret/", locked_out),
    path("", include("selvhjelp.urls")),
]
