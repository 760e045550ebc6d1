"""Every response carries the headers of a normal page: error pages, refusals, redirects."""

import pytest
from django.test import Client

from tests.selvhjelp.test_security_headers import assert_hardened

pytestmark = pytest.mark.usefixtures("postgres")


@pytest.fixture(autouse=True)
def _production(settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.ALLOWED_HOSTS = ["selvhjelp.example.no"]


def client():
    return Client(raise_request_exception=False, HTTP_HOST="selvhjelp.example.no")


def test_the_400_for_a_bad_host_has_every_header():
    """As found: the 400 page for a bad Host had no X-Frame-Options."""
    response = client().get("/", HTTP_HOST="evil.example.com", secure=True)
    assert response.status_code == 400
    assert_hardened(response)


def test_the_400_for_a_bad_host_behind_the_https_redirect_has_every_header(settings):
    """With SECURE_SSL_REDIRECT the bad Host is found inside SecurityMiddleware itself."""
    settings.SECURE_SSL_REDIRECT = True
    response = client().get("/", HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    assert_hardened(response, https=False)


def test_the_https_redirect_has_every_header(settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client().get("/")
    assert response.status_code == 301
    assert_hardened(response, https=False)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/finnes-ikke/", 404),
        ("/igangsetter/kalender/%00.ics", 404),
        ("/meld-interesse/trekk/a%00b/", 404),
        ("/?q=%00", 400),
        ("/admin/intake/intake/", 302),
        ("/helse/", 200),
    ],
)
def test_refusals_and_redirects_have_every_header(url, status):
    response = client().get(url, secure=True)
    assert response.status_code == status
    assert_hardened(response)


def test_the_csrf_refusal_has_every_header(db):
    response = Client(
        enforce_csrf_checks=True, raise_request_exception=False, HTTP_HOST="selvhjelp.example.no"
    ).post("/igangsetter/logg-inn/", {"username": "x", "password": "y"}, secure=True)
    assert response.status_code == 403
    assert_hardened(response)


@pytest.mark.urls("tests.selvhjelp.urls_with_errors")
@pytest.mark.parametrize(("url", "status"), [("/feil/500/", 500), ("/feil/403/", 403)])
def test_500_and_403_have_every_header(url, status):
    response = client().get(url, secure=True)
    assert response.status_code == status
    assert_hardened(response)


def test_the_lock_out_page_has_every_header(staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client().post(
            "/admin/login/", {"username": staff.username, "password": "feil"}, secure=True
        )
    assert response.status_code == 429
    assert_hardened(response)
