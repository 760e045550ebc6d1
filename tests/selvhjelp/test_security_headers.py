"""Security headers on public, admin and error pages, and the error pages themselves."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def csp_directives(response):
    policy = response.headers["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


def assert_hardened(response, *, https=True):
    directives = csp_directives(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]  # no 'unsafe-inline', no nonce, no CDN
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "geolocation=()" in response.headers["Permissions-Policy"]
    cache = {part.strip() for part in response.headers["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= cache
    if https:
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.fixture(autouse=True)
def _production_hsts(settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000


def test_public_page_has_every_header(client):
    response = client.get("/", secure=True)
    assert response.status_code == 200
    assert_hardened(response)


def test_interest_form_has_every_header(client):
    response = client.get("/meld-interesse/", secure=True)
    assert response.status_code == 200
    assert_hardened(response)


def test_admin_page_of_a_logged_in_staff_member_has_every_header(staff_client):
    response = staff_client.get("/admin/", secure=True)
    assert response.status_code == 200
    assert_hardened(response)


def test_admin_login_page_has_every_header(client):
    response = client.get("/admin/login/", secure=True)
    assert response.status_code == 200
    assert_hardened(response)


def test_404_page_has_every_header_and_is_norwegian(client):
    response = client.get("/finnes-ikke/", secure=True)
    assert response.status_code == 404
    assert_hardened(response)
    assert '<html lang="nb"' in response.content.decode()


def test_static_files_keep_their_own_caching(client, settings):
    # WhiteNoise answers before the no-store middleware: CSS may be cached.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    response = client.get("/static/css/public.css", secure=True)
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


@pytest.mark.urls("tests.selvhjelp.urls_with_errors")
@pytest.mark.parametrize(
    ("url", "status", "heading"),
    [
        ("/feil/500/", 500, "Noe gikk galt"),
        ("/feil/403/", 403, "Du har ikke tilgang til denne siden"),
        ("/feil/400/", 400, "Noe var galt med forespørselen"),
    ],
)
def test_error_pages_are_norwegian_in_the_layout_with_headers(url, status, heading):
    client = Client(raise_request_exception=False)
    response = client.get(url, secure=True)
    html = response.content.decode()
    assert response.status_code == status
    assert f"<h1>{heading}</h1>" in html
    assert 'id="main"' in html  # the site's layout, with its skip-link target
    assert "a bug" not in html  # no internals for the public
    assert_hardened(response)


def test_expired_form_gives_the_norwegian_csrf_page(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/meld-interesse/", {"name": "Ola"}, secure=True)
    assert response.status_code == 403
    assert "Skjemaet er utløpt" in response.content.decode()
    assert_hardened(response)
